/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small server that keeps its database password sealed in its own
 * deployment.toml and resolves it at start-up with libvault:
 *
 *     [database]
 *     host = "127.0.0.1"
 *     port = "5432"
 *     user = "sample"
 *     dbname = "sample"
 *     password = "$secret{db_password}"
 *
 *     [secrets]
 *     db_password = "<sealed by cipher-tool seal>"
 *
 * It logs in to PostgreSQL with the password, runs one query, logs the
 * answer and exits 0. A value that does not open (tampered, sealed for
 * another key) stops it before it connects: exit 1, naming the alias.
 *
 * usage: sample-server [--password-file FILE] CONFIG
 * The keystore (named in CONFIG's [keystore.primary]) password comes from
 * FILE, else systemd's $CREDENTIALS_DIRECTORY/keystore-password, else the
 * terminal.
 */
#include <vault.h>
#include <vault/vault.h>

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_FIELDS 5

static void logmsg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("sample-server: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static const char *vault_message(void)
{
    const vault_error *e = vault_error_last();
    return e ? e->message : "unknown error";
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL) {
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
        }
    }
    fclose(f);
    return buf;
}

/* The raw string value of key in the [database] table (this sample's
 * config only uses plain one-line strings: no escapes needed). */
static char *database_value(const char *toml, const char *key)
{
    const char *p = strstr(toml, "\n[database]");
    size_t klen = strlen(key);

    if (!p)
        return NULL;
    for (p = strchr(p + 1, '\n'); p && p[1] && p[1] != '['; p = strchr(p + 1, '\n')) {
        const char *line = p + 1, *q, *end;
        while (*line == ' ' || *line == '\t')
            line++;
        if (strncmp(line, key, klen) != 0)
            continue;
        q = line + klen;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q++ != '=')
            continue;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != '"' || !(end = strchr(q + 1, '"')))
            return NULL;
        return strndup(q + 1, (size_t)(end - q - 1));
    }
    return NULL;
}

/* A value of the config with its $secret{...} references resolved, in
 * guarded memory: a whole "$secret{alias}" is looked up, anything else is
 * expanded (a URL with a password in it, say). */
static int resolve_value(const vault *v, const char *raw, vault_secret **out)
{
    size_t n = strlen(raw);
    if (n > 9 && strncmp(raw, "$secret{", 8) == 0 && raw[n - 1] == '}' && !strchr(raw + 8, '}')[1]) {
        char *alias = strndup(raw + 8, n - 9);
        int rc = alias ? vault_get(out, v, alias) : VAULT_ENOMEM;
        free(alias);
        return rc;
    }
    return vault_expand(out, v, raw);
}

static int open_vault(vault **v, const char *config, const char *password_file)
{
    vault_password_sources src = VAULT_PASSWORD_SOURCES_INIT;
    vault_options opts = VAULT_OPTIONS_INIT;

    src.file = password_file;
    src.use_credentials_env = 1;
    src.allow_terminal = isatty(STDIN_FILENO);
    opts.config = config;
    opts.password_sources = &src;
    return vault_open(v, &opts);
}

static int query(PGconn *db)
{
    PGresult *r = PQexec(db, "SELECT current_user, version()");
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;

    if (ok)
        logmsg("connected as %s: %s", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
    else
        logmsg("query failed: %s", PQerrorMessage(db));
    PQclear(r);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const char *const keys[N_FIELDS] = {"host", "port", "user", "dbname", "password"};
    const char *words[N_FIELDS + 2], *values[N_FIELDS + 2];
    vault_secret *resolved[N_FIELDS] = {NULL};
    const char *config, *password_file = NULL;
    char *toml = NULL;
    vault *v = NULL;
    PGconn *db = NULL;
    int i, status = 1;

    if (argc == 4 && strcmp(argv[1], "--password-file") == 0) {
        password_file = argv[2];
        config = argv[3];
    } else if (argc == 2 && argv[1][0] != '-') {
        config = argv[1];
    } else {
        fprintf(stderr, "usage: sample-server [--password-file FILE] CONFIG\n");
        return 2;
    }
    if (open_vault(&v, config, password_file) != 0) {
        logmsg("refusing to start: %s", vault_message());
        goto done;
    }
    logmsg("resolved %zu secret%s from %s", vault_count(v), vault_count(v) == 1 ? "" : "s", vault_path(v));
    if (!(toml = read_file(config))) {
        logmsg("cannot read %s", config);
        goto done;
    }
    for (i = 0; i < N_FIELDS; i++) {
        char *raw = database_value(toml, keys[i]);
        int rc = raw ? resolve_value(v, raw, &resolved[i]) : VAULT_ENOTFOUND;
        if (!raw)
            logmsg("refusing to start: %s has no [database] %s", config, keys[i]);
        else if (rc != 0)
            logmsg("refusing to start: [database] %s: %s", keys[i], vault_message());
        free(raw);
        if (rc != 0)
            goto done;
        words[i] = keys[i];
        values[i] = vault_secret_str(resolved[i]);
    }
    /* Everything is resolved: the keystore and the other secrets can go. */
    vault_free(v);
    v = NULL;
    words[N_FIELDS] = "connect_timeout";
    values[N_FIELDS] = "10";
    words[N_FIELDS + 1] = values[N_FIELDS + 1] = NULL;
    /* The password goes as a parameter: never in a conninfo string that
     * could end up in a log. */
    db = PQconnectdbParams(words, values, 0);
    vault_secret_free(resolved[4]);
    resolved[4] = NULL;
    if (PQstatus(db) != CONNECTION_OK) {
        logmsg("cannot connect to %s:%s as %s: %s", values[0], values[1], values[2], PQerrorMessage(db));
        goto done;
    }
    status = query(db);
done:
    PQfinish(db);
    for (i = 0; i < N_FIELDS; i++)
        vault_secret_free(resolved[i]);
    vault_free(v);
    free(toml);
    return status;
}
