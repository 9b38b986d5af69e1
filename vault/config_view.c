/* SPDX-License-Identifier: Apache-2.0 */
/* vault_config_render_plain(): the decrypted view of a configuration that
 * an editor shows (cipher-tool edit). */
#include "conf_internal.h"

#include <vault/apply.h>
#include <vault/cipher.h>

#include <sodium.h>
#include <string.h>

static void wipe_free(char *p)
{
    if (p) {
        sodium_memzero(p, strlen(p));
        vault__free_ptr(p);
    }
}

/* Item i as "[plaintext]", encoded for the file's syntax. */
static int plain_token(const vault_config *cfg, const conf_item *item, vault_opener *op, char **out)
{
    vault_secret *plain = NULL;
    char *bracketed = NULL;
    size_t n;
    int rc = vault_opener_open(&plain, NULL, op, item->info.alias, item->info.value);

    *out = NULL;
    if (rc != 0)
        return rc;
    n = vault_secret_len(plain);
    if (memchr(vault_secret_data(plain), '\0', n)) {
        vault_secret_free(plain);
        return vault__err(VAULT_EFORMAT, "%s: alias \"%s\": the secret holds a NUL byte and cannot be edited as "
                         "text", cfg->path, item->info.alias);
    }
    if (!(bracketed = vault__malloc(n + 3))) {
        vault_secret_free(plain);
        return vault__oom();
    }
    bracketed[0] = '[';
    memcpy(bracketed + 1, vault_secret_data(plain), n);
    bracketed[n + 1] = ']';
    bracketed[n + 2] = '\0';
    vault_secret_free(plain);
    rc = cfg->syntax->encode(cfg, item, bracketed, out);
    wipe_free(bracketed);
    return rc;
}

int vault_config_render_plain(vault_secret **out, const vault_config *cfg, vault_opener *op)
{
    char **tokens = NULL;
    unsigned char *data;
    size_t i, len = 0, at = 0, pos = 0;
    int rc = 0;

    if (!out || !cfg || !op)
        return vault__err(VAULT_EINVAL, "vault_config_render_plain: invalid argument");
    *out = NULL;
    if (cfg->count && !(tokens = vault__calloc(cfg->count, sizeof *tokens)))
        return vault__oom();
    /* Items are in file order, their spans ascending. */
    for (i = 0; rc == 0 && i < cfg->count; i++) {
        const conf_item *it = cfg->items[i];
        if (it->info.state == VAULT_VALUE_SEALED && !conf_item_replaced(it))
            rc = plain_token(cfg, it, op, &tokens[i]);
        len += tokens[i] ? strlen(tokens[i]) : conf_item_replaced(it) ? conf_item_token(it, NULL) : it->end - it->start;
        len += it->start - at;
        at = it->end;
    }
    if (rc != 0)
        goto done;
    len += cfg->len - at;
    if ((rc = vault__secret_alloc(out, len, &data)) != 0)
        goto done;
    for (i = 0, at = 0; i < cfg->count; i++) {
        const conf_item *it = cfg->items[i];
        const char *tok = tokens[i];
        memcpy(data + pos, cfg->text + at, it->start - at);
        pos += it->start - at;
        if (tok) {
            memcpy(data + pos, tok, strlen(tok));
            pos += strlen(tok);
        } else if (conf_item_replaced(it)) {
            pos += conf_item_token(it, (char *)data + pos);
        } else {
            memcpy(data + pos, cfg->text + it->start, it->end - it->start);
            pos += it->end - it->start;
        }
        at = it->end;
    }
    memcpy(data + pos, cfg->text + at, cfg->len - at);
    vault__secret_seal(*out);
done:
    for (i = 0; tokens && i < cfg->count; i++)
        wipe_free(tokens[i]);
    vault__free_ptr(tokens);
    return rc;
}
