/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool publish: copy the sealed values of config files into an etcd
 * secret repository in one transaction (docs/FLEET.md). */
#include "cli_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What the command line gives; the strings go straight into the library's
 * repository options. */
typedef struct publish_args {
    vault_repository_options ro;
    long long if_revision; /* -1: none */
    int prune;
    int json;
} publish_args;

static int parse_number(const char *s, long long *out)
{
    char *end;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' && *out >= 0 ? 0 : -1;
}

static int parse_if_revision(void *dest, const char *arg, const char *cmd)
{
    if (parse_number(arg, dest) != 0)
        return cli_usage_error(cmd, "--if-revision wants a revision number, not \"%s\"", arg), -1;
    return 0;
}

static int parse_timeout(void *dest, const char *arg, const char *cmd)
{
    long long timeout;
    if (parse_number(arg, &timeout) != 0 || timeout == 0 || timeout > 600000)
        return cli_usage_error(cmd, "--timeout-ms wants 1 to 600000, not \"%s\"", arg), -1;
    *(long *)dest = (long)timeout;
    return 0;
}

static const cli_opt publish_opts[] = {
    {"etcd", 0, CLI_ARG_REQUIRED, "ENDPOINTS", "comma-separated member URLs, tried in turn",
     CLI_TO(CLI_TO_STRING, publish_args, ro.endpoints)},
    {"prefix", 0, CLI_ARG_REQUIRED, "PREFIX", "key prefix, e.g. /vault/payments/",
     CLI_TO(CLI_TO_STRING, publish_args, ro.prefix)},
    {"if-revision", 0, CLI_ARG_REQUIRED, "N",
     "write only if no key under PREFIX changed after\n"
     "revision N (compare-and-swap)", CLI_CALL(parse_if_revision, publish_args, if_revision)},
    {"prune", 0, CLI_ARG_NONE, NULL, "delete the keys under PREFIX no file has any more",
     CLI_TO(CLI_TO_FLAG, publish_args, prune)},
    {"cacert", 0, CLI_ARG_REQUIRED, "FILE",
     "CA of the members' certificates (default: system CAs)", CLI_TO(CLI_TO_STRING, publish_args, ro.ca_file)},
    {"cert", 0, CLI_ARG_REQUIRED, "FILE", "client certificate (PEM)",
     CLI_TO(CLI_TO_STRING, publish_args, ro.cert_file)},
    {"key", 0, CLI_ARG_REQUIRED, "FILE", "its private key (PEM)", CLI_TO(CLI_TO_STRING, publish_args, ro.key_file)},
    {"timeout-ms", 0, CLI_ARG_REQUIRED, "N", "per endpoint (default 2000)",
     CLI_CALL(parse_timeout, publish_args, ro.timeout_ms)},
    {"user", 0, CLI_ARG_REQUIRED, "USER", "etcd user, when the cluster has auth enabled",
     CLI_TO(CLI_TO_STRING, publish_args, ro.user)},
    {"etcd-password-file", 0, CLI_ARG_REQUIRED, "F",
     "its password, first line of F (mode 0600)",
     CLI_TO(CLI_TO_STRING, publish_args, ro.password_file)},
    {"json", 0, CLI_ARG_NONE, NULL, "the report as JSON (docs/JSON.md)", CLI_TO(CLI_TO_FLAG, publish_args, json)},
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_END,
};

const cli_opt_command cmd_publish_options = {
    "publish",
    "usage: cipher-tool publish FILE... --etcd ENDPOINTS --prefix PREFIX [options]\n"
    "\n"
    "Write every sealed value of the files' [secrets] to etcd under PREFIX+alias,\n"
    "all in one transaction: either every value is written or none. A plain text\n"
    "or empty value, or an alias in two files, fails the whole publish before\n"
    "anything is sent. etcd only ever receives sealed values.\n"
    "\n",
    publish_opts,
    "\n"
    "The revision written is printed on standard output.\n"
    "\n"
    "example:\n"
    "  cipher-tool publish deployment.toml --etcd https://10.0.0.1:2379 --prefix /vault/payments/\n",
    0,
};

/* Gather the sealed values of every file; refuse anything not sealed. */
static int collect(char **files, int nfiles, vault_config ***cfgs, const char ***aliases,
                   const char ***values, size_t *n)
{
    size_t total = 0, i, j;
    int f, rc;

    *cfgs = calloc((size_t)nfiles, sizeof **cfgs);
    if (!*cfgs)
        return cli_fail(VAULT_ENOMEM, "out of memory");
    for (f = 0; f < nfiles; f++) {
        if ((rc = vault_config_open(&(*cfgs)[f], files[f], VAULT_CONFIG_AUTO)) != 0)
            return cli_fail(rc, files[f]);
        total += vault_config_count((*cfgs)[f]);
    }
    *aliases = calloc(total ? total : 1, sizeof **aliases);
    *values = calloc(total ? total : 1, sizeof **values);
    if (!*aliases || !*values)
        return cli_fail(VAULT_ENOMEM, "out of memory");
    for (f = 0; f < nfiles; f++) {
        for (i = 0; i < vault_config_count((*cfgs)[f]); i++) {
            const vault_config_entry *e;
            if ((rc = vault_config_entry_at(&e, (*cfgs)[f], i)) != 0)
                return cli_fail(rc, files[f]);
            if (e->state != VAULT_VALUE_SEALED) {
                cli_error("alias \"%s\" in %s is %s, not sealed: nothing published", e->alias, files[f],
                          e->state == VAULT_VALUE_PLAIN ? "plain text" : "empty");
                cli_hint("seal it first: cipher-tool seal %s", files[f]);
                return EXIT_FAIL;
            }
            for (j = 0; j < *n; j++)
                if (strcmp((*aliases)[j], e->alias) == 0) {
                    cli_error("alias \"%s\" is in more than one file (again in %s): nothing published",
                              e->alias, files[f]);
                    return EXIT_FAIL;
                }
            (*aliases)[*n] = e->alias;
            (*values)[*n] = e->value;
            (*n)++;
        }
    }
    return EXIT_OK;
}

/* The revision, the prefix and the aliases written (docs/JSON.md). */
static int print_json(const char *prefix, const char **aliases, size_t n, int64_t revision)
{
    json_t *o = cli_json_new("publish"), *a = json_array();
    size_t i;

    for (i = 0; i < n; i++)
        json_array_append_new(a, json_string(aliases[i]));
    json_object_set_new(o, "prefix", json_string(prefix));
    json_object_set_new(o, "revision", json_integer((json_int_t)revision));
    json_object_set_new(o, "aliases", a);
    return cli_json_print(o);
}

static int publish(int argc, char **argv, int json, int *printed)
{
    publish_args o = {VAULT_REPOSITORY_OPTIONS_INIT, -1, 0, json};
    vault_repository_options *ro = &o.ro;
    vault_config **cfgs = NULL;
    const char **aliases = NULL, **values = NULL;
    int64_t written = -1;
    size_t n = 0;
    int f, nfiles, ret, rc;

    if ((rc = cli_opts_parse(&cmd_publish_options, argc, argv, &o)) != EXIT_OK)
        return rc;
    nfiles = argc - optind;
    if (nfiles < 1)
        return cli_usage_error("publish", "no config file given");
    if (!ro->endpoints || !ro->prefix || !ro->prefix[0])
        return cli_usage_error("publish", "--etcd and --prefix are required");
    if (!ro->cert_file != !ro->key_file)
        return cli_usage_error("publish", "--cert and --key go together");
    if (!ro->user != !ro->password_file)
        return cli_usage_error("publish", "--user and --etcd-password-file go together");
    ret = collect(argv + optind, nfiles, &cfgs, &aliases, &values, &n);
    if (ret == EXIT_OK) {
        rc = vault_repository_publish(&written, ro, aliases, values, n, (int64_t)o.if_revision,
                                      o.prune ? VAULT_PUBLISH_PRUNE : 0);
        if (rc != 0) {
            const vault_error *e = vault_error_last();
            cli_error("%s%s: nothing published under %s: %s", argv[optind], nfiles > 1 ? " (and the others)" : "",
                      ro->prefix, e && e->message[0] ? e->message : vault_strerror(rc));
            ret = EXIT_FAIL;
        }
        else {
            *printed = json;
            if (json ? print_json(ro->prefix, aliases, n, written) != EXIT_OK
                     : printf("%lld\n", (long long)written) < 0 || fflush(stdout) != 0)
                ret = EXIT_FAIL;
            else
                fprintf(stderr, "cipher-tool: published %zu sealed values under %s at revision %lld\n", n,
                        ro->prefix, (long long)written);
        }
    }
    for (f = 0; cfgs && f < nfiles; f++)
        vault_config_free(cfgs[f]);
    free(cfgs);
    free(aliases);
    free(values);
    return ret;
}

int cmd_publish(int argc, char **argv)
{
    int json = cli_json_requested(argc, argv), printed = 0;
    int rc = publish(argc, argv, json, &printed);

    return json && rc != EXIT_OK && !printed ? cli_json_failure("publish", rc) : rc;
}
