/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the legacy cipher-tool.properties map (alias =
 * FILE//XPATH,true|false in Java properties syntax).
 *
 * Every entry is read and looked up again by its alias, which must give
 * its own index (abort() otherwise: aliases are unique in a parsed map).
 */
#include <vault/xml.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_entry(const vault_legacy_map *map, size_t i)
{
    const vault_legacy_entry *e = NULL;
    size_t at = 0;

    if (vault_legacy_map_entry_at(&e, map, i) != 0 || !e->alias || !e->file || !e->xpath) {
        fprintf(stderr, "fuzz_legacy_map: entry %zu out of reach\n", i);
        abort();
    }
    if (vault_legacy_map_find(&at, map, e->alias) != 0 || at != i) {
        fprintf(stderr, "fuzz_legacy_map: alias of entry %zu found at %zu\n", i, at);
        abort();
    }
    if (e->attribute && !e->attribute_name) {
        fprintf(stderr, "fuzz_legacy_map: entry %zu: attribute without a name\n", i);
        abort();
    }
    (void)(strlen(e->file) + strlen(e->xpath) + (e->attribute_name ? strlen(e->attribute_name) : 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vault_legacy_map *map = NULL;
    size_t i;

    if (vault_legacy_map_parse(&map, "cipher-tool.properties", data, size) != 0)
        return 0;
    for (i = 0; i < vault_legacy_map_count(map); i++)
        check_entry(map, i);
    vault_legacy_map_free(map);
    return 0;
}
