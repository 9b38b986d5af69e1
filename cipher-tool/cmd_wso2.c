/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool -Dconfigure | -Dchange: the WSO2 cipher tool's command line,
 * run in a product home, doing what the Java tool does without its bugs:
 * every file is replaced atomically and verified, nothing half-written, no
 * secret echoed, and OAEP rather than PKCS#1 v1.5 unless asked. */
#include "cli.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct dropin {
    const char *home;
    int configure, change, rotate;
    const char *old_alias;
    cli_sealing s;
    vault_secret *argv_password;
    const char *transformation_name; /* as given: written back as given, like Java */
    int home_ruled;                       /* a secret-conf.properties governs the home */
    int home_symmetric;                   /* its runtime opens every value in the symmetric mode */
    vault_transformation home_t;          /* else the one algorithm it opens them with */
    char *home_algorithm;                 /* as secret-conf.properties spells it, or NULL */
    char *keystore_path, *keystore_alias; /* malloc'ed */
    vault_location *loc;                  /* the home's config, keystore and rule */
} dropin;

static dropin *of_password(void *field)
{
    return (dropin *)((char *)field - offsetof(dropin, argv_password));
}

static int parse_symmetric(void *field, const char *arg, const char *cmd)
{
    (void)arg;
    (void)cmd;
    *(int *)field = VAULT_FORMAT_WSO2_SYMMETRIC;
    return 0;
}

/* Written back to secret-conf.properties as given, like Java. */
static int parse_transformation(void *field, const char *arg, const char *cmd)
{
    dropin *d = (dropin *)((char *)field - offsetof(dropin, transformation_name));
    vault_transformation t;

    arg += strlen("org.wso2.CipherTransformation=");
    if (vault_transformation_from_name(&t, arg) != 0)
        return cli_usage_error(cmd, "unknown transformation \"%s\"", arg), -1;
    d->s.transformation = t;
    d->transformation_name = arg;
    return 0;
}

static int parse_jce_provider(void *field, const char *arg, const char *cmd)
{
    (void)field;
    arg += strlen("security.jce.provider=");
    if (strcmp(arg, "BC") != 0 && strcmp(arg, "BCFIPS") != 0)
        return cli_usage_error(cmd, "unknown JCE provider \"%s\" (BC or BCFIPS)", arg), -1;
    fprintf(stderr, "cipher-tool: note: -Dsecurity.jce.provider=%s: the values are the same with "
            "any provider; OpenSSL does the work here\n", arg);
    return 0;
}

/* arg points into argv: the password is wiped there, out of
 * /proc/PID/cmdline for the rest of the run. */
static int parse_password(void *field, const char *arg, const char *cmd)
{
    dropin *d = of_password(field);
    char *value = strchr(arg, '=') + 1;

    (void)cmd;
    cli_warning("-Dpassword puts the keystore password where every user of this machine can "
                "read it (ps, /proc); use --password-file or --password-fd");
    vault_secret_free(d->argv_password);
    d->argv_password = NULL;
    if (vault_secret_new(&d->argv_password, value, strlen(value)) != 0)
        return cli_fail(VAULT_ENOMEM, NULL), -1;
    memset(value, 0, strlen(value));
    return 0;
}

static const cli_opt wso2_opts[] = {
    {NULL, 'D', CLI_ARG_REQUIRED, "configure",
     "seal every \"[plain text]\" secret of repository/conf/\n"
     "deployment.toml; without a deployment.toml, the legacy\n"
     "layout: mark the XML elements named in repository/conf/\n"
     "security/cipher-tool.properties with svns:secretAlias and\n"
     "seal repository/conf/security/cipher-text.properties.\n"
     "Then write repository/conf/security/secret-conf.properties.\n"
     "In an EI/MI home (conf/ at the top) the same files are\n"
     "under conf/.", CLI_TO(CLI_TO_FLAG, dropin, configure)},
    {NULL, 'D', CLI_ARG_REQUIRED, "change", "re-enter one secret (its alias and value are asked for)",
     CLI_TO(CLI_TO_FLAG, dropin, change)},
    {NULL, 'D', CLI_ARG_REQUIRED, "rotate",
     "re-encrypt every sealed secret (deployment.toml, else\n"
     "cipher-text.properties) from the key -Dold.alias=OLD of\n"
     "the same keystore to the key the configuration names,\n"
     "atomically; with -Dsymmetric, from the secret key OLD to\n"
     "the configured one", CLI_TO(CLI_TO_FLAG, dropin, rotate)},
    {NULL, 'D', CLI_ARG_REQUIRED, "old.alias=OLD", "-Drotate: the key the secrets are sealed with now",
     CLI_TO(CLI_TO_STRING, dropin, old_alias)},
    {NULL, 'D', CLI_ARG_REQUIRED, "symmetric", "AES-GCM with the keystore's secret key entry",
     CLI_CALL(parse_symmetric, dropin, s.format)},
    {NULL, 'D', CLI_ARG_REQUIRED, "org.wso2.CipherTransformation=T",
     "RSA, RSA/ECB/PKCS1Padding,\n"
     "RSA/ECB/OAEPwithSHA1andMGF1Padding (the default here; the\n"
     "Java tool's default is RSA, PKCS#1 v1.5),\n"
     "RSA/ECB/OAEPWithSHA-256AndMGF1Padding; written to\n"
     "secret-conf.properties for the server", CLI_CALL(parse_transformation, dropin, transformation_name)},
    {NULL, 'D', CLI_ARG_REQUIRED, "security.jce.provider=BC|BCFIPS",
     "accepted for compatibility (no effect on the values)", CLI_CALL(parse_jce_provider, dropin, home)},
    {NULL, 'D', CLI_ARG_REQUIRED, "password=P",
     "the keystore password on the command line: accepted for\n"
     "compatibility, but visible to every user of the machine", CLI_CALL(parse_password, dropin, argv_password)},
    {"password-file", 0, CLI_ARG_REQUIRED, "F", "the keystore password, safely",
     CLI_TO(CLI_TO_STRING, dropin, s.key.password_file)},
    {"password-fd", 0, CLI_ARG_REQUIRED, "N", "the keystore password from descriptor N",
     CLI_TO(CLI_TO_FD, dropin, s.key.password_fd)},
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_END,
};

const cli_opt_command cmd_wso2_options = {
    "-Dconfigure",
    "usage: cipher-tool -Dconfigure [-Dsymmetric] [-Dorg.wso2.CipherTransformation=T]\n"
    "                   [-Dpassword=P | --password-file F | --password-fd N]\n"
    "       cipher-tool -Dchange [same options]\n"
    "       cipher-tool -Drotate -Dold.alias=OLD [same options]\n"
    "\n"
    "The WSO2 cipher tool's command line, run in a product home ($CARBON_HOME, else\n"
    "the current directory, or its parent when run from the home's bin/).\n"
    "\n"
    "The keystore is the one the server uses: [keystore.internal], else\n"
    "[keystore.primary] of deployment.toml (file_name relative to\n"
    "repository/resources/security/), or Security/InternalKeyStore, else\n"
    "Security/KeyStore of carbon.xml in the legacy layout.\n"
    "\n",
    wso2_opts,
    "\n"
    "example:\n"
    "  cd /opt/wso2am-4.2.0 && cipher-tool -Dconfigure --password-file ~/.ks-pass\n",
    0,
};


static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The keystore the server uses, found the way vault_open() finds it
 * (locate_home()). */
static int locate_keystore(dropin *d)
{
    const vault_location *loc = d->loc;

    if (!loc->keystore) {
        cli_error("%s: no keystore named in deployment.toml, secret-conf.properties or carbon.xml", d->home);
        return EXIT_FAIL;
    }
    fprintf(stderr, "cipher-tool: using the keystore of %s: %s\n", loc->keystore_origin, loc->keystore);
    d->keystore_path = strdup(loc->keystore);
    /* No alias configured: the Java tool and the server use the product
     * default, so seal for that key too. */
    if (loc->key_alias && *loc->key_alias)
        d->keystore_alias = strdup(loc->key_alias);
    else if (d->s.format != VAULT_FORMAT_WSO2_SYMMETRIC)
        d->keystore_alias = strdup("wso2carbon");
    return d->keystore_path ? EXIT_OK : cli_fail(VAULT_ENOMEM, "out of memory");
}

/* Mark every XML element the legacy map names: the library marks them all
 * in memory first, so a missing element stops the run before any file
 * changes. */
static int mark_legacy_xml(const dropin *d)
{
    vault_legacy_marked *marked = NULL;
    const char *path;
    size_t i;

    if (vault_legacy_home_mark(&marked, d->home) != 0)
        return cli_fail(VAULT_ERROR, NULL);
    for (i = 0; vault_legacy_marked_at(&path, marked, i) == 0; i++)
        fprintf(stderr, "cipher-tool: %s: secret aliases marked\n", path);
    vault_legacy_marked_free(marked);
    return EXIT_OK;
}

/* secret-conf.properties, as the WSO2 runtime reads it. */
static int write_secret_conf(dropin *d)
{
    vault_secret_conf c = VAULT_SECRET_CONF_INIT;
    char *path = NULL;

    c.home = d->home;
    c.keystore = d->keystore_path;
    c.keystore_type = vault_keystore_type_name(vault_keystore_get_type(d->s.ks));
    c.key_alias = d->keystore_alias;
    c.symmetric = d->s.format == VAULT_FORMAT_WSO2_SYMMETRIC;
    c.algorithm = d->transformation_name ? d->transformation_name
                                         : vault_transformation_name((vault_transformation)d->s.transformation);
    if (vault_secret_conf_write(&c) != 0 || vault_home_path(&path, d->home, VAULT_HOME_SECRET_CONF) != 0)
        return cli_fail(VAULT_ERROR, "cannot write secret-conf.properties");
    fprintf(stderr, "cipher-tool: %s written\n", path);
    vault_string_free(path);
    return EXIT_OK;
}

static int parse_args(dropin *d, int argc, char **argv)
{
    int rc = cli_opts_parse(&cmd_wso2_options, argc, argv, d);

    if (rc != EXIT_OK)
        return rc;
    if (optind < argc)
        return cli_usage_error("-Dconfigure", "unknown option \"%s\"", argv[optind]);
    if (d->configure + d->change + d->rotate != 1)
        return cli_usage_error("-Dconfigure", "give one of -Dconfigure, -Dchange and -Drotate");
    if (d->rotate && (!d->old_alias || !*d->old_alias))
        return cli_usage_error("-Drotate", "-Drotate needs -Dold.alias=OLD (the key the secrets are "
                               "sealed with now)");
    return EXIT_OK;
}

/* Where the home's config and keystore are, and the rule its WSO2 runtime
 * follows, in one look of the library's locator: the rule is one algorithm
 * for every value (RSA, PKCS#1 v1.5, when the line is absent) or the
 * symmetric mode. A home the locator finds no config in stops the run (no
 * keystore to seal for); so does a secret-conf.properties naming a rule that
 * runtime does not follow (another encryptionMode, an unknown algorithm):
 * nothing would open what is sealed for it. */
static int locate_home(dropin *d)
{
    vault_options o = VAULT_OPTIONS_INIT;
    const vault_location *loc;

    o.config = d->home;
    o.flags = VAULT_OPEN_WSO2_RULES;
    if (vault_locate(&d->loc, &o) != 0) {
        int rule = vault_error_last()->cause == VAULT_CAUSE_WSO2_RULE;
        cli_fail(VAULT_ERROR, NULL);
        if (!rule)
            cli_hint("run in the product home, or set CARBON_HOME");
        return EXIT_FAIL;
    }
    loc = d->loc;
    d->home_ruled = loc->wso2_rules;
    d->home_symmetric = loc->wso2_rules && loc->wso2_symmetric;
    d->home_t = loc->wso2_transformation;
    d->home_algorithm = loc->wso2_algorithm ? strdup(loc->wso2_algorithm) : NULL;
    return loc->wso2_algorithm && !d->home_algorithm ? cli_fail(VAULT_ENOMEM, NULL) : EXIT_OK;
}

/* The home's algorithm as secret-conf.properties spells it (written back
 * so, like Java); "RSA", PKCS#1 v1.5, when the line is absent. */
static const char *home_algorithm(const dropin *d)
{
    return d->home_algorithm ? d->home_algorithm : "RSA";
}

/* Whether FILE already holds sealed values (which the one algorithm of the
 * home must keep opening). */
static int has_sealed_values(const char *file)
{
    vault_config *cfg = NULL;
    const vault_config_entry *e;
    size_t i, n;
    int found = 0;

    if (!file_exists(file) || vault_config_open(&cfg, file, VAULT_CONFIG_AUTO) != 0) {
        vault_error_clear();
        return 0;
    }
    n = vault_config_count(cfg);
    for (i = 0; i < n && !found; i++)
        found = vault_config_entry_at(&e, cfg, i) == 0 && e->state == VAULT_VALUE_SEALED;
    vault_config_free(cfg);
    return found;
}

/* One algorithm per home: new and changed values keep the one the home
 * uses; another one is refused while older values would stop opening. */
static int choose_algorithm(dropin *d, const char *sealed_file)
{
    /* A symmetric home stays symmetric unless another algorithm is named. */
    if (d->home_symmetric && !d->s.format && !d->transformation_name)
        d->s.format = VAULT_FORMAT_WSO2_SYMMETRIC;
    if (!d->s.format)
        d->s.format = VAULT_FORMAT_WSO2;
    if (d->s.format == VAULT_FORMAT_WSO2_SYMMETRIC || !d->home_ruled || d->home_symmetric)
        return EXIT_OK;
    if (!d->transformation_name) {
        d->s.transformation = d->home_t;
        d->transformation_name = home_algorithm(d);
        return EXIT_OK;
    }
    if (d->s.transformation != (int)d->home_t && !d->rotate && has_sealed_values(sealed_file)) {
        cli_error("%s: values sealed with %s exist; rotate them with -Drotate, or keep %s", sealed_file,
                  home_algorithm(d), home_algorithm(d));
        cli_hint("the server opens every value of a home with the one algorithm of secret-conf.properties");
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

/* -Dchange: which alias, on the terminal (the Java tool asks the same). */
static int ask_alias(char *buf, size_t size)
{
    vault_secret *line = NULL;
    if (cli_prompt_line(&line, "Enter the secret alias to change: ") != 0) {
        cli_error("-Dchange needs a terminal to ask for the alias and its new value");
        cli_hint("use 'cipher-tool change FILE ALIAS' with the value on standard input");
        return EXIT_FAIL;
    }
    snprintf(buf, size, "%s", vault_secret_str(line));
    vault_secret_free(line);
    return buf[0] ? EXIT_OK : EXIT_FAIL;
}

/* The product home without CARBON_HOME: the current directory, or its
 * parent when run from <HOME>/bin, as ciphertool.sh derives CARBON_HOME
 * from its own location. */
static const char *find_home(void)
{
    struct stat st;
    if (stat("repository/conf", &st) == 0 || stat("conf", &st) == 0)
        return ".";
    if ((stat("../repository/conf", &st) == 0 || stat("../conf", &st) == 0) && stat("../bin", &st) == 0)
        return "..";
    return ".";
}

/* -Dchange: the alias must exist before its new value is asked for. */
static int alias_exists(const char *file, const char *alias)
{
    vault_config *cfg = NULL;
    size_t i;
    int rc = EXIT_OK;

    if (vault_config_open(&cfg, file, VAULT_CONFIG_AUTO) != 0)
        return cli_fail(VAULT_ERROR, NULL);
    if (vault_config_find(&i, cfg, alias) != 0) {
        vault_error_clear();
        cli_error("no alias \"%s\" in %s", alias, file);
        rc = EXIT_FAIL;
    }
    vault_config_free(cfg);
    return rc;
}


/* The OAEP algorithm secret-conf.properties records for the values in place
 * (the one the WSO2 runtime opens them with), else DEFAULT. */
static vault_transformation configured_transformation(const dropin *d)
{
    vault_options o = VAULT_OPTIONS_INIT;
    vault_location *loc = NULL;
    vault_transformation t = VAULT_TRANSFORM_DEFAULT;
    char *ct = NULL;

    if (vault_home_path(&ct, d->home, VAULT_HOME_CIPHER_TEXT) != 0)
        return t;
    o.config = ct;
    /* PKCS#1 v1.5 recorded: values of any padding may be in place (an OAEP
     * one opens as such under DEFAULT, not as other bytes). */
    if (ct && file_exists(ct) && vault_locate(&loc, &o) == 0 &&
        loc->transformation != VAULT_TRANSFORM_RSA_PKCS1)
        t = loc->transformation;
    vault_error_clear();
    vault_location_free(loc);
    vault_string_free(ct);
    return t;
}

/* -Drotate: from the old alias of the server's keystore to its configured key.
 * The old values are opened with the recorded algorithm: with PKCS#1 v1.5's
 * implicit rejection a wrong old key would otherwise open OAEP values to
 * other bytes instead of failing. */
static int rotate_home(dropin *d, cli_apply *a, vault_sealer *sealer, const char *toml,
                       const char *cipher_text)
{
    vault_open_options o = VAULT_OPEN_OPTIONS_INIT;
    vault_opener *old = NULL;
    int rc;

    o.keystore = d->s.ks;
    o.key_alias = d->old_alias;
    o.transformation = configured_transformation(d);
    /* Raw PKCS#1 v1.5 values (a Java-sealed home) prove no key: they are
     * sealed again when the old alias is a key entry of the home's keystore
     * and every one opens to text (vault_config_apply()). */
    d->s.apply_flags |= VAULT_APPLY_ACCEPT_HOME_KEY_PKCS1;
    if ((rc = vault_opener_new(&old, &o)) != 0)
        return cli_fail(rc, NULL);
    fprintf(stderr, "cipher-tool: rotating from alias \"%s\" to alias \"%s\"\n", d->old_alias,
            d->keystore_alias ? d->keystore_alias : "(the only key)");
    rc = cli_rotate_file(a, &d->s, file_exists(toml) ? toml : cipher_text, old, sealer,
                         vault_format_name((vault_format)d->s.format));
    vault_opener_free(old);
    return rc == EXIT_OK ? write_secret_conf(d) : rc;
}

int cmd_wso2(int argc, char **argv)
{
    dropin d;
    cli_apply a;
    vault_sealer *sealer = NULL;
    vault_secret *given = NULL;
    char *toml = NULL, *cipher_text = NULL, alias[512];
    const char *env = getenv("CARBON_HOME");
    int rc;

    memset(&d, 0, sizeof d);
    cli_sealing_init(&d.s);
    d.home = env && *env ? env : find_home();
    rc = parse_args(&d, argc, argv);
    if (rc != EXIT_OK)
        goto done;
    if (vault_home_path(&toml, d.home, VAULT_HOME_DEPLOYMENT_TOML) != 0 ||
        vault_home_path(&cipher_text, d.home, VAULT_HOME_CIPHER_TEXT) != 0) {
        rc = cli_fail(VAULT_ENOMEM, NULL);
        goto done;
    }
    if ((rc = locate_home(&d)) != EXIT_OK ||
        (rc = choose_algorithm(&d, file_exists(toml) ? toml : cipher_text)) != EXIT_OK)
        goto done;
    if (!d.s.transformation && d.s.format == VAULT_FORMAT_WSO2)
        d.s.transformation = VAULT_TRANSFORM_RSA_OAEP_SHA1;
    if ((rc = locate_keystore(&d)) != EXIT_OK)
        goto done;
    d.s.key.path = d.keystore_path;
    d.s.key.alias = d.keystore_alias;
    d.s.key.given = d.argv_password;
    /* -Dconfigure and -Drotate write secret-conf.properties for the
     * algorithm they seal with; -Dchange keeps the home's. */
    if (!d.change)
        d.s.apply_flags |= VAULT_APPLY_SETS_HOME_ALGORITHM;
    if ((rc = cli_sealing_prepare(&d.s, "-Dconfigure", &sealer)) != EXIT_OK)
        goto done;
    cli_apply_init(&a, "-Dconfigure", d.rotate ? "did not rotate" : "could not be sealed", 0);
    if (d.rotate) {
        rc = rotate_home(&d, &a, sealer, toml, cipher_text);
        goto finish;
    }
    if (d.change) {
        if ((rc = ask_alias(alias, sizeof alias)) != EXIT_OK ||
            (rc = alias_exists(file_exists(toml) ? toml : cipher_text, alias)) != EXIT_OK)
            goto finish;
        if (cli_read_value(&given, "the new value") != 0) {
            rc = EXIT_FAIL;
            goto finish;
        }
        rc = cli_seal_file(&a, &d.s, sealer, file_exists(toml) ? toml : cipher_text, alias, given, 0);
        goto finish;
    }
    if (file_exists(toml))
        rc = cli_seal_file(&a, &d.s, sealer, toml, NULL, NULL, 0);
    else if ((rc = mark_legacy_xml(&d)) == EXIT_OK)
        rc = cli_seal_file(&a, &d.s, sealer, cipher_text, NULL, NULL, 0);
    if (rc == EXIT_OK)
        rc = write_secret_conf(&d);
finish:
    rc = cli_apply_finish(&a, rc);
done:
    vault_secret_free(given);
    vault_sealer_free(sealer);
    d.s.key.path = NULL;
    d.s.key.alias = NULL;
    cli_sealing_clear(&d.s);
    vault_secret_free(d.argv_password);
    free(d.keystore_path);
    free(d.keystore_alias);
    free(d.home_algorithm);
    vault_location_free(d.loc);
    vault_string_free(toml);
    vault_string_free(cipher_text);
    return rc;
}
