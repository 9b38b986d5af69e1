/* SPDX-License-Identifier: Apache-2.0 */
/* The Java properties scanner (java.util.Properties.load syntax) shared by
 * the cipher-text.properties reader (conf_properties.c) and the legacy
 * cipher-tool.properties map (conf_xml_map.c). */
#ifndef VAULT_CONF_PROPERTIES_H
#define VAULT_CONF_PROPERTIES_H

#include "internal.h"

/* One key/value pair as Properties.load would put it. The decoded strings
 * are NUL-terminated UTF-8 (raw bytes are kept as they are, \uXXXX escapes
 * become UTF-8) and are valid only during the callback: the value is wiped
 * when the callback returns, since it may be a plaintext secret. */
typedef struct conf_prop {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
    size_t value_start, value_end; /* raw span of the value; continued lines included */
    unsigned int line;             /* physical line where the key starts */
    unsigned int value_line;       /* physical line where the value starts */
} conf_prop;

/* Return 0 to go on; any other value stops the scan and is returned. */
typedef int (*conf_prop_cb)(const conf_prop *prop, void *payload);

/* Scan text [0, len) as Properties.load(Reader) would with UTF-8 input.
 * name is used in messages. A malformed \uXXXX escape, an unpaired UTF-16
 * surrogate or a NUL character is VAULT_EFORMAT naming name and line. */
int conf_properties_scan(const char *name, const unsigned char *text, size_t len, conf_prop_cb cb,
                         void *payload);

#endif
