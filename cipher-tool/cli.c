/* Messages and the shared keystore options. */
#include "cli.h"

#include <vault/vault.h>

#include <errno.h>
#include <sodium.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void message(const char *level, const char *fmt, va_list ap)
{
    fprintf(stderr, "cipher-tool: %s: ", level);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
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
    cli_error("%s", e && e->message[0] ? e->message : fallback ? fallback : vault_strerror(rc));
    return EXIT_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message("error", fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "cipher-tool: hint: see 'cipher-tool %s --help'\n", cmd);
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
    vault_secret_free(k->second_line);
    k->second_line = NULL;
}

int cli_keystore_option(cli_keystore *k, int opt, const char *arg, const char *cmd)
{
    switch (opt) {
    case 'k': k->path = arg; return 1;
    case OPT_ALIAS: k->alias = arg; return 1;
    case OPT_STORETYPE:
        if (vault_keystore_type_from_name(arg) < 0) {
            cli_usage_error(cmd, "unknown keystore type \"%s\"", arg);
            return -1;
        }
        k->storetype = arg;
        return 1;
    case OPT_PASSWORD_FILE: k->password_file = arg; return 1;
    case OPT_PASSWORD_ENV: k->password_env = arg; return 1;
    case OPT_KEY_PASSWORD_FILE: k->key_password_file = arg; return 1;
    case OPT_PASSWORD_FD:
    case OPT_KEY_PASSWORD_FD: {
        int fd = cli_parse_fd(arg);
        if (fd < 0) {
            cli_usage_error(cmd, "bad descriptor number \"%s\"", arg);
            return -1;
        }
        if (opt == OPT_PASSWORD_FD)
            k->password_fd = fd;
        else
            k->key_password_fd = fd;
        return 1;
    }
    default: return 0;
    }
}

/* Read one line from the terminal (echoed: an alias, never a secret). */
int cli_prompt_line(vault_secret **out, const char *prompt)
{
    char buf[1024];
    size_t n = 0;
    int fd, rc;

    *out = NULL;
    fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return VAULT_ENOTFOUND;
    if (write(fd, prompt, strlen(prompt)) < 0) {
        /* the prompt is a courtesy; reading still works */
    }
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || c == '\n' || c == '\r')
            break;
        if (n + 1 < sizeof buf)
            buf[n++] = c;
    }
    close(fd);
    rc = vault_secret_new(out, buf, n);
    sodium_memzero(buf, sizeof buf);
    return rc;
}

/* The library's no-echo terminal reader; VAULT_ENOTFOUND without a terminal. */
int cli_prompt_secret(vault_secret **out, const char *prompt)
{
    int rc = vault_password_from_terminal(out, prompt);
    if (rc == VAULT_ENOTFOUND)
        vault_error_clear();
    return rc;
}

static int ask_store_password(cli_keystore *k, vault_secret **out, const char *path)
{
    char prompt[4200];
    int rc;

    if (k->given)
        return vault_secret_new(out, vault_secret_data(k->given), vault_secret_len(k->given));
    if (k->password_file) {
        vault_secret **second = k->key_password_file || k->key_password_fd >= 0 ? NULL : &k->second_line;
        return vault_password_from_file(out, second, k->password_file);
    }
    if (k->password_fd >= 0)
        return vault_password_from_fd(out, k->password_fd);
    if (k->password_env) {
        const char *v = getenv(k->password_env);
        if (!v) {
            cli_error("variable %s (given with --password-env) is not set", k->password_env);
            return VAULT_ENOTFOUND;
        }
        return vault_secret_new(out, v, strlen(v));
    }
    snprintf(prompt, sizeof prompt, "Password of %s %s: ", k->role, path);
    rc = cli_prompt_secret(out, prompt);
    if (rc == VAULT_ENOTFOUND) {
        cli_error("%s: a store password is needed and there is no terminal to ask for it", path);
        cli_hint("give it with --password-file FILE, --password-fd N or --password-env VAR");
        return VAULT_EAUTH;
    }
    return rc;
}

static int keystore_password(vault_secret **out, vault_password_kind kind, const char *path,
                             const char *alias, void *payload)
{
    cli_keystore *k = payload;
    (void)alias;
    *out = NULL;
    if (kind == VAULT_PASSWORD_STORE)
        return ask_store_password(k, out, path);
    if (k->key_password_file)
        return vault_password_from_file(out, NULL, k->key_password_file);
    if (k->key_password_fd >= 0)
        return vault_password_from_fd(out, k->key_password_fd);
    if (k->second_line)
        return vault_secret_new(out, vault_secret_data(k->second_line), vault_secret_len(k->second_line));
    return VAULT_ENOTFOUND; /* the store password is used, as Java does */
}

int cli_open_keystore(vault_keystore **out, cli_keystore *k)
{
    vault_keystore_options opts = VAULT_KEYSTORE_OPTIONS_INIT;
    int rc;

    if (k->storetype)
        opts.type = (vault_keystore_type)vault_keystore_type_from_name(k->storetype);
    opts.password = keystore_password;
    opts.payload = k;
    rc = vault_keystore_open(out, k->path, &opts);
    if (rc == 0 && k->crl && (rc = vault_keystore_add_crls(*out, k->crl)) != 0) {
        vault_keystore_free(*out);
        *out = NULL;
    }
    if (rc != 0) {
        const vault_error *e = vault_error_last();
        if (e)
            cli_error("%s", e->message);
        if (rc == VAULT_EPERM && (k->password_file || k->key_password_file))
            cli_hint("chmod 600 the password file");
    }
    return rc;
}

int cli_read_value(vault_secret **out, const char *what)
{
    vault_secret *again = NULL;
    char prompt[256];
    int rc;

    *out = NULL;
    if (!isatty(STDIN_FILENO)) {
        size_t cap = 4096, n = 0;
        unsigned char *buf = malloc(cap);
        ssize_t r;
        if (!buf)
            return VAULT_ENOMEM;
        while ((r = read(STDIN_FILENO, buf + n, cap - n)) != 0) {
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                sodium_memzero(buf, cap);
                free(buf);
                cli_error("cannot read %s from standard input: %s", what, strerror(errno));
                return VAULT_EIO;
            }
            n += (size_t)r;
            if (n == cap) {
                unsigned char *nb = malloc(cap * 2);
                if (!nb) {
                    sodium_memzero(buf, cap);
                    free(buf);
                    return VAULT_ENOMEM;
                }
                memcpy(nb, buf, n);
                sodium_memzero(buf, cap);
                free(buf);
                buf = nb;
                cap *= 2;
            }
        }
        /* "echo secret | cipher-tool ..." appends one newline that is not
         * part of the value. */
        if (n > 0 && buf[n - 1] == '\n')
            n--;
        if (n > 0 && buf[n - 1] == '\r')
            n--;
        rc = vault_secret_new(out, buf, n);
        sodium_memzero(buf, cap);
        free(buf);
        return rc;
    }
    snprintf(prompt, sizeof prompt, "Enter %s: ", what);
    rc = cli_prompt_secret(out, prompt);
    if (rc != 0)
        return rc;
    snprintf(prompt, sizeof prompt, "Enter %s again: ", what);
    rc = cli_prompt_secret(&again, prompt);
    if (rc == 0 && (vault_secret_len(*out) != vault_secret_len(again) ||
                    sodium_memcmp(vault_secret_data(*out), vault_secret_data(again), vault_secret_len(again)) != 0)) {
        cli_error("the two entries of %s differ", what);
        rc = VAULT_EINVAL;
    }
    vault_secret_free(again);
    if (rc != 0) {
        vault_secret_free(*out);
        *out = NULL;
    }
    return rc;
}
