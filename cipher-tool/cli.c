/* SPDX-License-Identifier: Apache-2.0 */
/* Messages and the shared keystore options. */
#include "cli.h"

#include <vault/vault.h>

#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The last error said on stderr, for the JSON failure object. */
static char last_message[1024];
static int last_code = VAULT_OK;

static void message(const char *level, const char *fmt, va_list ap)
{
    va_list copy;

    if (strcmp(level, "error") == 0) {
        va_copy(copy, ap);
        vsnprintf(last_message, sizeof last_message, fmt, copy);
        va_end(copy);
        last_code = VAULT_ERROR;
    }
    fprintf(stderr, "cipher-tool: %s: ", level);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

const char *cli_last_error(int *code)
{
    if (code)
        *code = last_code;
    return last_message;
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message("error", fmt, ap);
    va_end(ap);
}

void cli_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message("warning", fmt, ap);
    va_end(ap);
}

void cli_hint(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message("hint", fmt, ap);
    va_end(ap);
}

int cli_fail(int rc, const char *fallback)
{
    const vault_error *e = vault_error_last();
    /* The library's record when it has one; it is never NULL. */
    cli_error("%s", e->code != VAULT_OK ? e->message : fallback ? fallback : vault_strerror(rc));
    last_code = e->code != VAULT_OK ? e->code : rc;
    return EXIT_FAIL;
}

int cli_fail_in(int rc, const char *fallback, const char *file, const char *alias)
{
    const vault_error *e = vault_error_last();
    const char *msg = e->code != VAULT_OK ? e->message : fallback ? fallback : vault_strerror(rc);

    if (alias)
        cli_error("%s: alias \"%s\": %s", file, alias, msg);
    else
        cli_error("%s: %s", file, msg);
    last_code = e->code != VAULT_OK ? e->code : rc;
    return EXIT_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message("error", fmt, ap);
    va_end(ap);
    last_code = VAULT_EINVAL;
    /* The WSO2 drop-in's "commands" (-Dconfigure, ...) share one help text. */
    if (cmd && cmd[0] == '-')
        fprintf(stderr, "cipher-tool: hint: see 'cipher-tool -help'\n");
    else if (cmd)
        fprintf(stderr, "cipher-tool: hint: see 'cipher-tool help %s'\n", cmd);
    else
        fprintf(stderr, "cipher-tool: hint: see 'cipher-tool --help'\n");
    return EXIT_USAGE;
}

int cli_parse_fd(const char *s)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > 65535)
        return -1;
    return (int)v;
}

void cli_keystore_init(cli_keystore *k, const char *role)
{
    memset(k, 0, sizeof *k);
    k->password_fd = -1;
    k->key_password_fd = -1;
    k->role = role;
}

void cli_keystore_clear(cli_keystore *k)
{
    vault_password_provider_free(k->provider);
    k->provider = NULL;
    k->from_provider = 0;
    vault_secret_free(k->kept_key_password);
    k->kept_key_password = NULL;
}

int cli_parse_storetype(void *dest, const char *arg, const char *cmd)
{
    vault_keystore_type type;
    if (vault_keystore_type_from_name(&type, arg) != 0)
        return cli_usage_error(cmd, "unknown keystore type \"%s\"", arg), -1;
    *(const char **)dest = arg;
    return 0;
}

/* What WSO2's DefaultSecretCallbackHandler reads ("true" after trim). */
static int parse_root_flag(void *dest, const char *arg, const char *cmd)
{
    unsigned int *flags = dest;
    if (strcmp(arg, "key.password=true") == 0)
        *flags |= VAULT_PASSWORD_HOME_KEY_LINE;
    else if (strcmp(arg, "persist.password=true") == 0)
        *flags |= VAULT_PASSWORD_HOME_PERSIST;
    else if (strcmp(arg, "key.password=false") != 0 && strcmp(arg, "persist.password=false") != 0)
        return cli_usage_error(cmd, "unknown -D%s (-Dkey.password=true or -Dpersist.password=true)", arg), -1;
    return 0;
}

/* ---- descriptors and buffers ---- */

ssize_t cli_read_full(int fd, void *buf, size_t len)
{
    size_t have = 0;

    while (have < len) {
        ssize_t n = read(fd, (unsigned char *)buf + have, len - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        have += (size_t)n;
    }
    return (ssize_t)have;
}

int cli_write_full(int fd, const void *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = write(fd, (const unsigned char *)buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

void cli_free_wiped(void *p, size_t len)
{
    if (!p)
        return;
    sodium_memzero(p, len);
    free(p);
}

int cli_grow(void *arrp, size_t *cap, size_t need, size_t size)
{
    size_t c = *cap ? *cap : 64;
    void *old, *grown;

    if (need <= *cap)
        return 0;
    if (size == 0 || need > SIZE_MAX / size)
        return VAULT_ENOMEM;
    while (c < need)
        c = c <= SIZE_MAX / 2 ? c * 2 : need;
    if (c > SIZE_MAX / size)
        c = need;
    if (!(grown = malloc(c * size)))
        return VAULT_ENOMEM;
    /* The pointer is read and written as bytes: arrp is any T **. Not
     * realloc: the old block is wiped before it goes back. */
    memcpy(&old, arrp, sizeof old);
    if (old) {
        memcpy(grown, old, *cap * size);
        cli_free_wiped(old, *cap * size);
    }
    memcpy(arrp, &grown, sizeof grown);
    *cap = c;
    return 0;
}

int cli_read_all(int fd, size_t max, unsigned char **out, size_t *len)
{
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0, room;
    ssize_t got;
    int rc = 0;

    *out = NULL;
    *len = 0;
    for (;;) {
        /* Room for at least 4 KiB more and the NUL. */
        if (n > SIZE_MAX - 4097 || (rc = cli_grow(&buf, &cap, n + 4097, 1)) != 0) {
            rc = VAULT_ENOMEM;
            break;
        }
        room = cap - n - 1;
        if ((got = cli_read_full(fd, buf + n, room)) < 0) {
            rc = VAULT_EIO;
            break;
        }
        n += (size_t)got;
        if (n > max) {
            rc = VAULT_EFORMAT;
            break;
        }
        if ((size_t)got < room) /* end of file */
            break;
    }
    if (rc != 0) {
        int e = errno;
        cli_free_wiped(buf, cap);
        errno = e;
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* ---- the terminal: the library's reader ---- */

int cli_prompt_secret(vault_secret **out, const char *prompt)
{
    /* Ctrl-C at a prompt ends the tool, also while a command's own handler
     * is in place (render --watch). */
    return vault_terminal_read(out, prompt, VAULT_TERMINAL_OVERRIDE_HANDLERS);
}

int cli_prompt_line(vault_secret **out, const char *prompt)
{
    return vault_terminal_read(out, prompt, VAULT_TERMINAL_ECHO);
}

/* ---- keystore passwords ---- */

/* Ask on the terminal: "WHAT of ROLE PATH: ". With no terminal and
 * tell_no_terminal, k is marked for cli_keystore_fail()'s hint; end of
 * input cancels. */
static int ask_terminal(cli_keystore *k, vault_secret **out, const char *what, const char *path,
                        int tell_no_terminal)
{
    char prompt[4200];
    int rc;

    snprintf(prompt, sizeof prompt, "%s of %s %s: ", what, k->role, path);
    rc = cli_prompt_secret(out, prompt);
    if (rc == VAULT_ENOTFOUND) {
        if (tell_no_terminal)
            k->no_terminal = 1;
        return VAULT_ENOTFOUND;
    }
    if (rc == VAULT_ECANCELED) {
        k->cancelled = 1;
        return VAULT_EAUTH;
    }
    return rc;
}

/* The library's sources first (what the options name); the terminal only
 * when none of them has a password. */
static int store_password(cli_keystore *k, vault_secret **out, const char *path)
{
    vault_password_sources src = VAULT_PASSWORD_SOURCES_INIT;
    int rc;

    if (k->given)
        return vault_secret_new(out, vault_secret_data(k->given), vault_secret_len(k->given));
    if (!k->provider) {
        src.fd = k->password_fd;
        src.file = k->password_file;
        src.env = k->password_env;
        src.config = k->home_config;
        src.flags |= k->root_flags;
        /* systemd's LoadCredential=: as a service reads it, through the library. */
        src.use_credentials_env = 1;
        if (k->container_secret && k->password_file) {
            /* Said once per process: render --watch opens the keystore
             * again on every change in the repository. */
            static int warned;
            struct stat st;
            src.flags |= VAULT_PASSWORD_FILE_ROOT_SHARED;
            if (!warned && stat(k->password_file, &st) == 0 && st.st_uid == 0 && (st.st_mode & 077)) {
                warned = 1;
                cli_warning("%s: taken as a container secret (owned by root, mode %04o): every process "
                            "that can read it has the password of %s", k->password_file,
                            (unsigned)(st.st_mode & 07777), path);
            }
        }
        if ((rc = vault_password_provider_new(&k->provider, &src)) != 0)
            return rc;
    }
    rc = vault_password_provider_cb(out, VAULT_PASSWORD_STORE, path, NULL, k->provider);
    if (rc == 0)
        k->from_provider = 1;
    if (rc != VAULT_ENOTFOUND || vault_error_last()->cause != VAULT_CAUSE_NO_PASSWORD)
        return rc;
    return ask_terminal(k, out, "Password", path, 1);
}

int cli_password_cb(vault_secret **out, vault_password_kind kind, const char *path, const char *alias,
                    void *payload)
{
    cli_keystore *k = payload;
    (void)alias;
    *out = NULL;
    if (kind == VAULT_PASSWORD_STORE)
        return store_password(k, out, path);
    if (k->key_password_file)
        return vault_password_from_file(out, NULL, k->key_password_file);
    if (k->key_password_fd >= 0 && !k->keep_passwords)
        return vault_password_from_fd(out, k->key_password_fd);
    if (k->key_password_fd >= 0) { /* a descriptor gives its line once */
        int rc = k->kept_key_password ? 0 : vault_password_from_fd(&k->kept_key_password, k->key_password_fd);
        return rc ? rc
                  : vault_secret_new(out, vault_secret_data(k->kept_key_password),
                                     vault_secret_len(k->kept_key_password));
    }
    /* A password file's second line, when the store password came from one. */
    if (k->from_provider)
        return vault_password_provider_cb(out, VAULT_PASSWORD_KEY, path, NULL, k->provider);
    /* -Dkey.password=true: WSO2 asks for both passwords on the terminal. */
    if (k->root_flags & VAULT_PASSWORD_HOME_KEY_LINE)
        return ask_terminal(k, out, "Private key password", path, 0);
    return VAULT_ENOTFOUND; /* the store password is used, as Java does */
}

int cli_keystore_fail(const cli_keystore *k, int rc)
{
    const vault_error *e = vault_error_last();

    if (k->cancelled) {
        cli_error("%s: cancelled at the password prompt", k->path ? k->path : k->role);
        last_code = VAULT_ECANCELED;
        return EXIT_FAIL;
    }
    cli_error("%s", e->code == rc ? e->message : vault_strerror(rc));
    last_code = rc;
    if (k->no_terminal) {
        cli_hint("there is no terminal to ask for the password of %s; give it with "
                 "--password-file FILE, --password-fd N, --password-env VAR or a systemd credential "
                 "($CREDENTIALS_DIRECTORY/keystore-password)",
                 k->path ? k->path : k->role);
    } else if (rc == VAULT_EAUTH && k->from_provider && k->password_file && k->password_fd < 0) {
        /* The sources are tried in order: a descriptor comes before the file. */
        cli_hint("the store password was read from %s", k->password_file);
    } else if (rc == VAULT_EPERM && (k->password_file || k->key_password_file)) {
        cli_hint("chmod 600 the password file");
    } else if (rc == VAULT_ENOTFOUND && e->code == rc && e->cause == VAULT_CAUSE_NO_KEYSTORE) {
        cli_hint("give the keystore with -k KEYSTORE");
    }
    return EXIT_FAIL;
}

int cli_open_keystore(vault_keystore **out, cli_keystore *k)
{
    vault_keystore_options opts = VAULT_KEYSTORE_OPTIONS_INIT;
    int rc;

    if (k->storetype)
        (void)vault_keystore_type_from_name(&opts.type, k->storetype); /* checked when parsed */
    opts.password = cli_password_cb;
    opts.payload = k;
    opts.cert = k->key_cert;
    rc = vault_keystore_open(out, k->path, &opts);
    if (rc == 0 && k->crl && (rc = vault_keystore_add_crls(*out, k->crl)) != 0) {
        vault_keystore_free(*out);
        *out = NULL;
    }
    if (rc != 0)
        cli_keystore_fail(k, rc);
    return rc;
}

int cli_open_cert(vault_keystore **out, const char *path)
{
    cli_keystore c;
    int rc;

    cli_keystore_init(&c, "certificate");
    c.path = path;
    rc = cli_open_keystore(out, &c);
    cli_keystore_clear(&c);
    return rc;
}

/* Standard input that is not a terminal, whole; one trailing newline
 * ("echo secret | cipher-tool ...") is not part of the value. */
static int read_stdin(vault_secret **out, const char *what)
{
    unsigned char *buf = NULL;
    size_t n = 0, len;
    int rc = cli_read_all(STDIN_FILENO, SIZE_MAX, &buf, &n);

    if (rc == VAULT_EIO) {
        cli_error("cannot read %s from standard input: %s", what, strerror(errno));
        return rc;
    }
    if (rc != 0)
        return rc;
    len = n;
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    rc = vault_secret_new(out, buf, len);
    cli_free_wiped(buf, n + 1);
    return rc;
}

/* Why a prompt gave no value, said once for every caller. */
static int tty_failure(int rc, const char *what)
{
    if (rc == VAULT_ECANCELED) {
        cli_error("cancelled: end of input at the prompt for %s; nothing was written", what);
        last_code = VAULT_ECANCELED;
    } else if (rc == VAULT_ENOTFOUND)
        cli_error("no terminal to ask for %s; give it on standard input", what);
    else if (rc == VAULT_EFORMAT)
        cli_error("%s is longer than %d bytes", what, VAULT_TERMINAL_LINE_MAX);
    else if (rc == VAULT_ENOMEM)
        cli_error("out of memory");
    return rc;
}

int cli_read_value(vault_secret **out, const char *what)
{
    vault_secret *again = NULL;
    char prompt[256];
    int rc;

    *out = NULL;
    if (!isatty(STDIN_FILENO)) {
        if ((rc = read_stdin(out, what)) != 0)
            return rc;
    } else {
        snprintf(prompt, sizeof prompt, "Enter %s: ", what);
        if ((rc = cli_prompt_secret(out, prompt)) != 0)
            return tty_failure(rc, what);
        if (vault_secret_len(*out) > 0) {
            snprintf(prompt, sizeof prompt, "Enter %s again: ", what);
            if ((rc = cli_prompt_secret(&again, prompt)) != 0) {
                vault_secret_free(*out);
                *out = NULL;
                return tty_failure(rc, what);
            }
            if (vault_secret_len(*out) != vault_secret_len(again) ||
                sodium_memcmp(vault_secret_data(*out), vault_secret_data(again), vault_secret_len(again)) != 0) {
                cli_error("the two entries of %s differ; nothing was written", what);
                rc = VAULT_EINVAL;
            }
            vault_secret_free(again);
        }
    }
    if (rc == 0 && vault_secret_len(*out) == 0) {
        cli_error("%s is empty; nothing to seal", what);
        rc = VAULT_EINVAL;
    }
    if (rc != 0) {
        vault_secret_free(*out);
        *out = NULL;
    }
    return rc;
}

const cli_opt cli_keystore_opts[] = {
    {"keystore", 'k', CLI_ARG_REQUIRED, "FILE",
     "keystore (PKCS#12, JKS, JCEKS, PEM; type sniffed), or a\n"
     "PKCS#11 token: pkcs11:token=T;object=K[?module-path=M]\n"
     "(its PIN is the store password; docs/HARDWARE.md), or a\n"
     "TPM key: tpm2:handle=0x81000001[?pass] or a TSS2 key file", CLI_TO(CLI_TO_STRING, cli_keystore, path)},
    {"alias", 0, CLI_ARG_REQUIRED, "ALIAS", "key entry (default: the only key entry)", CLI_TO(CLI_TO_STRING, cli_keystore, alias)},
    {"storetype", 0, CLI_ARG_REQUIRED, "TYPE", "force the type: pkcs12, jks, jceks, pem, cert", CLI_CALL(cli_parse_storetype, cli_keystore, storetype)},
    {"password-file", 0, CLI_ARG_REQUIRED, "FILE",
     "store password from the first line of FILE (mode 0600;\n"
     "a second line is the key password)", CLI_TO(CLI_TO_STRING, cli_keystore, password_file)},
    {"password-fd", 0, CLI_ARG_REQUIRED, "N", "store password from descriptor N", CLI_TO(CLI_TO_FD, cli_keystore, password_fd)},
    {"password-env", 0, CLI_ARG_REQUIRED, "VAR",
     "store password from variable VAR (opt-in)", CLI_TO(CLI_TO_STRING, cli_keystore, password_env)},
    {"key-password-file", 0, CLI_ARG_REQUIRED, "F", "key password, when it differs from the store password",
     CLI_TO(CLI_TO_STRING, cli_keystore, key_password_file)},
    {"key-password-fd", 0, CLI_ARG_REQUIRED, "N",
     "key password from descriptor N", CLI_TO(CLI_TO_FD, cli_keystore, key_password_fd)},
    {"key-cert", 0, CLI_ARG_REQUIRED, "FILE",
     "certificate (PEM or DER) of a key held in a TPM, or in a\n"
     "PKCS#11 token that has none", CLI_TO(CLI_TO_STRING, cli_keystore, key_cert)},
    {"container-secret", 0, CLI_ARG_NONE, NULL,
     "the --password-file may be a container secret: owned by\n"
     "root and readable by all (Docker 0444, Kubernetes\n"
     "0644), never writable by others; warns", CLI_TO(CLI_TO_FLAG, cli_keystore, container_secret)},
    CLI_OPT_END,
};

/* The int cli_apply_json_opts fills. */
typedef struct json_flag {
    int json;
} json_flag;

const cli_opt cli_apply_json_opts[] = {
    {"json", 0, CLI_ARG_NONE, NULL, "a report on standard output (docs/JSON.md)", CLI_TO(CLI_TO_FLAG, json_flag, json)},
    CLI_OPT_END,
};

const cli_opt cli_root_password_opts[] = {
    {NULL, 'D', CLI_ARG_REQUIRED, "key.password=true",
     "as the WSO2 server started with it: the second line of the\n"
     "home's root password file is the private key's password\n"
     "(without it the first line is both); with no such file,\n"
     "asked for on the terminal after the store password", CLI_CALL(parse_root_flag, cli_keystore, root_flags)},
    {NULL, 'D', CLI_ARG_REQUIRED, "persist.password=true",
     "as the WSO2 server: leave the home's password files as\n"
     "they are (no rename, no deletion)", CLI_CALL(parse_root_flag, cli_keystore, root_flags)},
    CLI_OPT_END,
};
