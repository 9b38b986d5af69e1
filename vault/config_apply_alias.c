/* SPDX-License-Identifier: Apache-2.0 */
/* vault_config_apply(): SET with CREATE adds the alias to the file, as its
 * syntax writes a key, in the secrets table or at the end. */
#include "config_apply_internal.h"

#include <stdio.h>
#include <string.h>

static int bare_key(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              *s == '-'))
            return 0;
    return 1;
}

/* The alias as a key of the file's syntax, into buf. */
static int encode_key(char *buf, size_t size, vault_config_type type, const char *alias)
{
    size_t n = 0;
    const char *p;

    for (p = alias; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || (type == VAULT_CONFIG_PROPERTIES && (unsigned char)*p >= 0x80))
            return VAULT_EINVAL;
    if (type == VAULT_CONFIG_TOML && bare_key(alias))
        return snprintf(buf, size, "%s", alias) < (int)size ? 0 : VAULT_EINVAL;
    if (type == VAULT_CONFIG_TOML && n < size)
        buf[n++] = '"';
    for (p = alias; *p && n + 3 < size; p++) {
        int esc = type == VAULT_CONFIG_TOML ? (*p == '"' || *p == '\\')
                                            : strchr("\\:= #!", *p) != NULL;
        if (esc)
            buf[n++] = '\\';
        buf[n++] = *p;
    }
    if (*p || n + 2 >= size)
        return VAULT_EINVAL;
    if (type == VAULT_CONFIG_TOML)
        buf[n++] = '"';
    buf[n] = '\0';
    return 0;
}

/* Where a new line goes: after the line of the last secret, else after the
 * [secrets] header (TOML), else at the end (a [secrets] table is added to
 * a TOML file that has none). */
static size_t insert_at(const vault_config *cfg, int *need_table)
{
    size_t at = 0, i;
    const char *t = (const char *)cfg->text, *p;

    *need_table = 0;
    for (i = 0; i < cfg->count; i++)
        if (cfg->items[i]->end > at)
            at = cfg->items[i]->end;
    if (cfg->count == 0 && cfg->type == VAULT_CONFIG_TOML) {
        for (p = t; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
            const char *q = p;
            while (*q == ' ' || *q == '\t')
                q++;
            if (strncmp(q, "[secrets]", 9) == 0) {
                at = (size_t)(q - t) + 9;
                break;
            }
        }
        if (!p || !*p) {
            *need_table = 1;
            return cfg->len;
        }
    } else if (cfg->count == 0) {
        return cfg->len;
    }
    while (at < cfg->len && t[at] != '\n')
        at++;
    return at < cfg->len ? at + 1 : at;
}

/* The file's own line end, as its first line ends. */
static const char *line_end(const char *text, size_t len)
{
    const char *nl = memchr(text, '\n', len);
    return nl && nl > text && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* The file's text (values replaced) with a new line for the alias. */
int apply_create_alias(apply_run *r, const char *sealed)
{
    char key[1024], *cur = NULL, *line = NULL;
    const char *eol;
    size_t cur_len = 0, at, llen, pre;
    int need_table, rc, toml = r->cfg->type == VAULT_CONFIG_TOML;

    if (encode_key(key, sizeof key, r->cfg->type, r->o->alias) != 0)
        return vault__err(VAULT_EINVAL, "%s: cannot add alias \"%s\" (control characters%s); write it in the "
                         "file as \"[value]\" and seal", vault_config_path(r->cfg), r->o->alias,
                         toml ? "" : " or non-ASCII text");
    if ((rc = vault_config_render(&cur, &cur_len, r->cfg)) != 0)
        return rc;
    at = insert_at(r->cfg, &need_table);
    pre = at > 0 && cur[at - 1] != '\n';
    eol = line_end(cur, cur_len);
    llen = strlen(key) + strlen(sealed) + 40;
    if (!(line = vault__malloc(llen)) || !(r->text = vault__malloc(cur_len + llen + 2))) {
        rc = vault__oom();
        goto done;
    }
    llen = (size_t)snprintf(line, llen, "%s%s%s%s%s%s%s%s", pre ? eol : "", need_table ? eol : "",
                            need_table ? "[secrets]" : "", need_table ? eol : "", key, toml ? " = \"" : "=",
                            sealed, toml ? "\"" : "");
    llen += (size_t)snprintf(line + llen, 3, "%s", eol);
    memcpy(r->text, cur, at);
    memcpy(r->text + at, line, llen);
    memcpy(r->text + at + llen, cur + at, cur_len - at);
    r->text_len = cur_len + llen;
done:
    vault__free_ptr(line);
    vault__free_ptr(cur);
    return rc;
}

