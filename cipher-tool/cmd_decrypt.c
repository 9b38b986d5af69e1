/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool decrypt: open one sealed value read from stdin. */
#include "cli_json.h"

#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct decrypt_args {
    cli_keystore k;
    const char *name;
    int transformation;
    int json;
} decrypt_args;

static const cli_opt decrypt_opts[] = {
    CLI_OPT_INCLUDE_AT(cli_keystore_opts, decrypt_args, k),
    {"name", 'n', CLI_ARG_REQUIRED, "SECRET_ALIAS",
     "the alias the value was sealed for (native values\n"
     "are bound to it)", CLI_TO(CLI_TO_STRING, decrypt_args, name)},
    {"transformation", 0, CLI_ARG_REQUIRED, "T",
     "raw wso2 values: RSA (= RSA/ECB/PKCS1Padding),\n"
     "RSA/ECB/OAEPwithSHA1andMGF1Padding or\n"
     "RSA/ECB/OAEPWithSHA-256AndMGF1Padding; by default\n"
     "any of the three is accepted", CLI_CALL(cli_parse_transformation, decrypt_args, transformation)},
    {"no-pkcs1", 0, CLI_ARG_NONE, NULL,
     "refuse RSA PKCS#1 v1.5 values (the default when\n"
     "--transformation names an OAEP one)", CLI_TO(CLI_TO_FLAG, decrypt_args, k.no_pkcs1)},
    {"json", 0, CLI_ARG_NONE, NULL, "the secret in a JSON object (docs/JSON.md)", CLI_TO(CLI_TO_FLAG, decrypt_args, json)},
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_END,
};

const cli_opt_command cmd_decrypt_options = {
    "decrypt",
    "usage: cipher-tool decrypt -k KEYSTORE [--alias A] [-n SECRET_ALIAS]\n"
    "                           [--transformation T] [--no-pkcs1] [--json] [options]\n"
    "\n"
    "Open one sealed value (native, wso2, wso2-holder or wso2-symmetric) read from\n"
    "standard input and write the secret to standard output: exactly its bytes,\n"
    "with a newline added only when standard output is a terminal. Blank space\n"
    "around the value is ignored, and NAME=VALUE (what encrypt -n prints) is\n"
    "taken as the value VALUE of the secret alias NAME.\n"
    "\n",
    decrypt_opts,
    "\n"
    "The key is the keystore's private key (RSA values) or secret key\n"
    "(wso2-symmetric values). Values with PKCS#1 v1.5 padding open with a warning:\n"
    "it is a legacy format; 'cipher-tool rotate' re-seals them. Its decryption has\n"
    "no padding oracle (implicit rejection): a wrong key or a damaged value gives\n"
    "other bytes, not an error, and the same warning (SECURITY.md).\n"
    "\n"
    "example:\n"
    "  grep -o 'vault:v1:[A-Za-z0-9_-]*' app.toml | head -1 |\n"
    "      cipher-tool decrypt -k keystore.p12 --password-file ~/.ks-pass -n db.password\n",
    0,
};

/* Sealed values are not secret; a bound keeps a stray pipe from eating memory. */
#define MAX_VALUE_TEXT (16u * 1024u * 1024u)

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* "NAME=VALUE": no value format has '=' other than base64 padding at its
 * end, so a '=' followed by anything but '=' separates a name. */
static int split_name(char *text, const char **name, const char **value)
{
    char *eq = strchr(text, '=');

    *value = text;
    while (eq && eq[1] == '=')
        eq++;
    if (!eq || !eq[1])
        return EXIT_OK;
    *eq = '\0';
    if (*name && strcmp(*name, text) != 0) {
        cli_error("the value on standard input is for \"%s\", not for \"%s\" (-n)", text, *name);
        return EXIT_FAIL;
    }
    *name = text;
    *value = eq + 1;
    return EXIT_OK;
}

int cli_read_sealed_value(char **text, const char **name, const char **value)
{
    size_t cap = 0, start = 0;
    ssize_t n;
    char *buf = NULL;

    *text = NULL;
    if (isatty(STDIN_FILENO)) {
        fputs("Sealed value: ", stderr);
        n = getline(&buf, &cap, stdin);
    } else {
        n = getdelim(&buf, &cap, '\0', stdin);
    }
    if (n < 0 || (size_t)n > MAX_VALUE_TEXT || memchr(buf, '\0', (size_t)n)) {
        free(buf);
        cli_error(n < 0 ? "no value on standard input" : "standard input is no sealed value");
        return EXIT_FAIL;
    }
    while (n > 0 && is_blank(buf[n - 1]))
        buf[--n] = '\0';
    while (buf[start] && is_blank(buf[start]))
        start++;
    memmove(buf, buf + start, (size_t)n - start + 1);
    if (!buf[0]) {
        free(buf);
        cli_error("no value on standard input");
        return EXIT_FAIL;
    }
    *text = buf;
    if (split_name(buf, name, value) != EXIT_OK) {
        free(buf);
        *text = NULL;
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

static int write_secret(const vault_secret *s)
{
    size_t len = vault_secret_len(s);
    int tty = isatty(STDOUT_FILENO);

    /* Straight to the descriptor: no copy of the secret in stdio's buffer. */
    if (fflush(stdout) != 0 || cli_write_full(STDOUT_FILENO, vault_secret_data(s), len) != 0 ||
        (tty && cli_write_full(STDOUT_FILENO, "\n", 1) != 0)) {
        cli_error("cannot write to standard output");
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

/* In JSON mode the secret passes through jansson's buffers: its allocator
 * then wipes every block it frees. */
typedef union wiped_header {
    size_t size;
    max_align_t align;
} wiped_header;

static void *wiped_malloc(size_t size)
{
    wiped_header *h = size <= SIZE_MAX - sizeof *h ? malloc(sizeof *h + size) : NULL;
    if (!h)
        return NULL;
    h->size = size;
    return h + 1;
}

static void wiped_free(void *p)
{
    wiped_header *h = p ? (wiped_header *)p - 1 : NULL;
    if (!h)
        return;
    sodium_memzero(p, h->size);
    free(h);
}

static int write_json(const char *name, const vault_secret *s, unsigned int flags)
{
    size_t len = vault_secret_len(s), b64_len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = wiped_malloc(b64_len);
    json_t *o = cli_json_new("decrypt"), *text;
    int rc;

    if (!b64 || !o) {
        wiped_free(b64);
        json_decref(o);
        cli_error("out of memory");
        return EXIT_FAIL;
    }
    sodium_bin2base64(b64, b64_len, vault_secret_data(s), len, sodium_base64_VARIANT_ORIGINAL);
    /* json_stringn() refuses bytes that are not UTF-8: then null. */
    text = json_stringn((const char *)vault_secret_data(s), len);
    json_object_set_new(o, "alias", cli_json_string(name));
    json_object_set_new(o, "legacy", json_boolean(flags & VAULT_OPENED_LEGACY));
    json_object_set_new(o, "value", text ? text : json_null());
    json_object_set_new(o, "value_base64", json_string(b64));
    wiped_free(b64);
    rc = cli_json_print(o);
    return rc;
}

static int open_and_print(vault_keystore *ks, const cli_keystore *k, vault_transformation transformation,
                          unsigned int open_flags, const char *name, const char *value, int json)
{
    vault_open_options o = VAULT_OPEN_OPTIONS_INIT;
    vault_opener *op = NULL;
    vault_secret *s = NULL;
    const vault_keystore_entry *entry = NULL;
    const char *alias = k->alias;
    unsigned int flags = 0;
    int rc;

    /* The key entry, to name it when the value does not open. */
    if (vault_keystore_find(&entry, ks, k->alias) == 0)
        alias = entry->alias;
    else
        vault_error_clear();
    o.keystore = ks;
    o.key_alias = k->alias;
    o.transformation = transformation;
    o.flags = open_flags;
    if ((rc = vault_opener_new(&op, &o)) != 0)
        return cli_fail(rc, NULL);
    rc = vault_opener_open(&s, &flags, op, name, value);
    vault_opener_free(op);
    if (rc == VAULT_EAUTH)
        return cli_fail_in(rc, "decryption failed", k->path, alias);
    if (rc != 0) {
        cli_fail(rc, "decryption failed");
        if (rc == VAULT_EFORMAT)
            cli_hint("'cipher-tool inspect' tells what a value is");
        return EXIT_FAIL;
    }
    if (flags & VAULT_OPENED_LEGACY)
        cli_warning("the value was opened as RSA PKCS#1 v1.5, a legacy padding with which a wrong key "
                    "or a damaged value gives other bytes instead of an error; re-seal it "
                    "('cipher-tool rotate', or encrypt with the default OAEP or the native format), "
                    "or refuse such values with --no-pkcs1");
    rc = json ? write_json(name, s, flags) : write_secret(s);
    vault_secret_free(s);
    return rc;
}

int cmd_decrypt(int argc, char **argv)
{
    decrypt_args a = {.transformation = VAULT_TRANSFORM_DEFAULT, .json = cli_json_requested(argc, argv)};
    cli_keystore *k = &a.k;
    vault_keystore *ks = NULL;
    const char *value;
    char *text = NULL;
    int rc, json_done = 0;

    if (a.json) /* before jansson allocates anything */
        json_set_alloc_funcs(wiped_malloc, wiped_free);
    cli_keystore_init(k, "keystore");
    rc = cli_opts_parse(&cmd_decrypt_options, argc, argv, &a);
    if (rc != EXIT_OK)
        goto done;
    if (optind < argc) {
        rc = cli_usage_error("decrypt", "unexpected argument \"%s\" (the value is read from standard "
                             "input)", argv[optind]);
        goto done;
    }
    if (!k->path) {
        rc = cli_usage_error("decrypt", "missing -k KEYSTORE");
        goto done;
    }
    if (k->no_pkcs1 && a.transformation == VAULT_TRANSFORM_RSA_PKCS1) {
        rc = cli_usage_error("decrypt", "--no-pkcs1 contradicts --transformation %s",
                             vault_transformation_name(VAULT_TRANSFORM_RSA_PKCS1));
        goto done;
    }
    rc = EXIT_FAIL;
    if (cli_read_sealed_value(&text, &a.name, &value) != EXIT_OK)
        goto done;
    if (cli_open_keystore(&ks, k) != 0)
        goto done;
    rc = open_and_print(ks, k, (vault_transformation)a.transformation,
                        k->no_pkcs1 ? VAULT_OPENER_REFUSE_PKCS1 : 0, a.name, value, a.json);
    json_done = rc == EXIT_OK;
done:
    if (a.json && !json_done && rc > EXIT_OK)
        rc = cli_json_failure("decrypt", rc);
    free(text);
    vault_keystore_free(ks);
    cli_keystore_clear(k);
    return rc;
}
