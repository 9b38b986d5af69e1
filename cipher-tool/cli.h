/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool: what every subcommand shares. Includes only the public API. */
#ifndef CIPHER_TOOL_CLI_H
#define CIPHER_TOOL_CLI_H

#include <stdio.h>
#include <sys/types.h>
#include <vault.h>

#include "cli_opt.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_CANNOT_RUN = 126, EXIT_NOT_FOUND = 127 };

#if defined(__GNUC__)
#  define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#  define CLI_PRINTF(a, b)
#endif

/* Messages on stderr: "cipher-tool: error: ...", "warning:", "hint:". */
void cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);
void cli_warning(const char *fmt, ...) CLI_PRINTF(1, 2);
void cli_hint(const char *fmt, ...) CLI_PRINTF(1, 2);

/* The last error message printed (cli_error and the functions below), and
 * in *code (may be NULL) its library code: VAULT_EINVAL for a usage error,
 * VAULT_ERROR when none was known. "" before any error. */
const char *cli_last_error(int *code);

/* Print the library's last error (or fallback) and return EXIT_FAIL. */
int cli_fail(int rc, const char *fallback);

/* cli_fail() for a message that does not name what failed: prefixed with
 * "FILE: " and, when alias is not NULL, "alias \"ALIAS\": ". */
int cli_fail_in(int rc, const char *fallback, const char *file, const char *alias);

/* Usage error: "cipher-tool: error: MESSAGE", then "cipher-tool: hint: see
 * 'cipher-tool help CMD'" ('cipher-tool -help' for the WSO2 options, whose
 * cmd starts with '-'; 'cipher-tool --help' without cmd); EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) CLI_PRINTF(2, 3);

/* Where the passwords of one keystore come from: the library's password
 * sources (--password-fd, --password-file, --password-env), then the
 * terminal. Keep the struct alive as long as the
 * keystore: it is the password callback's payload. */
typedef struct cli_keystore {
    const char *path;
    const char *alias;
    const char *storetype;
    const char *password_file;
    int password_fd;              /* -1 when unset */
    const char *password_env;     /* opt-in: name of a variable */
    const char *key_password_file;
    int key_password_fd;
    const char *role;             /* "keystore" or "truststore", for prompts */
    const vault_secret *given;    /* a store password already at hand (-Dpassword=) */
    const char *crl;              /* truststore: --crl FILE, added to its CRLs */
    const char *key_cert;         /* --key-cert FILE: the certificate of a token or TPM key */
    const char *home_config;      /* a config: its product home's root password files are a
                                     source unless a password option is given (the library's
                                     vault_password_sources.config) */
    unsigned int root_flags;      /* -Dkey.password=true, -Dpersist.password=true:
                                     VAULT_PASSWORD_HOME_KEY_LINE, VAULT_PASSWORD_HOME_PERSIST */
    int no_pkcs1;                 /* refuse RSA PKCS#1 v1.5 values (--no-pkcs1) */
    int container_secret;         /* --container-secret: password_file may be root's, 0444/0644 */
    int allow_untrusted;          /* truststore: --allow-untrusted, a warning instead of a refusal */
    vault_password_provider *provider; /* the sources above, resolved once */
    int from_provider;            /* the store password came from the provider */
    int no_terminal;              /* no source had it and there was no terminal */
    int cancelled;                /* end of input at the password prompt */
    int keep_passwords;           /* --watch: keep what the sources gave for the next opens */
    vault_secret *kept_key_password; /* with keep_passwords: --key-password-fd's line */
} cli_keystore;

void cli_keystore_init(cli_keystore *k, const char *role);
void cli_keystore_clear(cli_keystore *k);

/* The shared keystore options (-k, --alias, the password sources, ...),
 * written into a cli_keystore. */
extern const cli_opt cli_keystore_opts[];

/* --storetype: a keystore type's name into a const char * (dest), else a
 * usage error of cmd; 0 or -1 (printed). */
int cli_parse_storetype(void *dest, const char *arg, const char *cmd);

/* The WSO2 server's system properties for its root password files,
 * -Dkey.password=true and -Dpersist.password=true, taken by the commands
 * that read those files (render, exec, check); written into a
 * cli_keystore's root_flags. */
extern const cli_opt cli_root_password_opts[];

/* The password callback of every keystore the command line opens; payload
 * is a cli_keystore. */
int cli_password_cb(vault_secret **out, vault_password_kind kind, const char *path, const char *alias,
                    void *payload);

/* After a failure to open k's keystore (or a vault with k's passwords):
 * print the library's message, or why the password is missing, and a hint.
 * Returns EXIT_FAIL. */
int cli_keystore_fail(const cli_keystore *k, int rc);

/* Open the keystore with the passwords from k's sources (terminal last). */
int cli_open_keystore(vault_keystore **out, cli_keystore *k);

/* Open the certificate (PEM or DER) of a --cert option: 0, or the
 * library's code with its message printed. */
int cli_open_cert(vault_keystore **out, const char *path);

/* Read a secret value: stdin when it is not a terminal (whole input; one
 * trailing newline removed), else the terminal twice without echo. An
 * empty value, end of input at a prompt and differing entries are refused
 * with a message naming what; returns 0 or a negative code. */
int cli_read_value(vault_secret **out, const char *what);

/* A line from the controlling terminal without echo (vault_terminal_read():
 * echo is back on return and when SIGINT, SIGTERM, SIGHUP or SIGQUIT
 * arrives meanwhile, which then ends the tool). Returns 0, VAULT_ENOTFOUND
 * (no terminal), VAULT_ECANCELED (end of input before a line was ended),
 * VAULT_EFORMAT (line too long) or VAULT_ENOMEM. Prints nothing. */
int cli_prompt_secret(vault_secret **out, const char *prompt);

/* The same with echo (an alias, not a secret). */
int cli_prompt_line(vault_secret **out, const char *prompt);

/* Parse a non-negative descriptor number; -1 when invalid. */
int cli_parse_fd(const char *s);

/* Recipients and format for the commands that seal (encrypt, seal, change,
 * rotate): -k KEYSTORE [--alias A] and/or --cert CERT (repeatable),
 * --format, --transformation, --symmetric-key-file. */
#define CLI_MAX_CERTS CLI_OPT_LIST_MAX
typedef struct cli_sealing {
    cli_keystore key;              /* -k and its password options */
    vault_keystore *ks;            /* opened by cli_sealing_prepare() */
    const char *certs[CLI_MAX_CERTS];
    size_t cert_count;
    vault_keystore *cert_ks[CLI_MAX_CERTS];
    vault_recipient *recipients[CLI_MAX_CERTS + 1];
    size_t recipient_count;
    int format;                    /* vault_format; 0 until chosen */
    int transformation;            /* vault_transformation */
    const char *symmetric_key_file;
    vault_secret *symmetric_key;
    cli_keystore trust;            /* --truststore, its password, --allow-untrusted */
    vault_keystore *trust_ks;
    int type;                      /* --type (seal, change, set); 0: from the name */
    unsigned int apply_flags;      /* VAULT_APPLY_* added to every run (--not-for-wso2-runtime) */
} cli_sealing;

/* --not-for-wso2-runtime (seal, change, set, edit, rotate), written into
 * a cli_sealing's apply_flags. */
extern const cli_opt cli_not_for_wso2_opts[];

/* The trust gate on recipient certificates, shared by the commands that seal
 * and 'recipients add', written into the truststore's cli_keystore. */
extern const cli_opt cli_trust_opts[];

/* The trust options make sense together: EXIT_OK or EXIT_USAGE (printed). */
int cli_trust_usage(const cli_keystore *trust, const char *cmd);

/* The trust gate for recipient r, made from entry alias of ks (NULL: its
 * only key entry or first certificate): vault_recipient_check() with
 * trust_ks (NULL: none) and allow_untrusted, its warning printed, a refusal
 * printed with a hint. Returns EXIT_OK or EXIT_FAIL. */
int cli_check_trust(const vault_keystore *trust_ks, const vault_keystore *ks, const char *alias,
                    const vault_recipient *r, int allow_untrusted);

/* The options of the commands that seal: the keystore options, --cert,
 * --format, --transformation, --symmetric-key-file and the trust options,
 * written into a cli_sealing. */
extern const cli_opt cli_sealing_opts[];

/* An AES key file (vault_symmetric_key_from_file(): hex or base64 text,
 * else raw 16, 24 or 32 bytes). Returns EXIT_OK or EXIT_FAIL (message
 * printed). */
int cli_read_symmetric_key(const char *path, vault_secret **out);

/* --transformation: a JCE transformation's name into the int at dest (a
 * vault_transformation), else a usage error of cmd; 0 or -1 (printed). */
int cli_parse_transformation(void *dest, const char *arg, const char *cmd);

void cli_sealing_init(cli_sealing *s);
void cli_sealing_clear(cli_sealing *s);

/* Open the keystore and certificates, build the recipients and a sealer.
 * Returns EXIT_OK, EXIT_FAIL or EXIT_USAGE (messages printed). */
int cli_sealing_prepare(cli_sealing *s, const char *cmd, vault_sealer **out);

/* The check part of the apply options from s: the keystore (-k) whose key
 * opens the new values, or the symmetric key, and the recipients every new
 * value must name; and s->apply_flags. */
void cli_sealing_apply_options(const cli_sealing *s, vault_apply_options *o);

/* Without --format (and --not-for-wso2-runtime): the format and
 * transformation vault_seal_format_of_homes() finds for the files, with a
 * note naming the secret-conf.properties; homes with different rules are a
 * usage error. Returns EXIT_OK, EXIT_FAIL or EXIT_USAGE (printed). */
int cli_sealing_home_default(cli_sealing *s, char *const *paths, int count, const char *cmd);

/* One command's runs of vault_config_apply() over its files: failures
 * printed as they come, and with --json a report per file collected and
 * printed as one object at the end (docs/JSON.md). */
typedef struct cli_apply {
    const char *command;   /* "seal", "recipients add", ... */
    const char *fail_verb; /* "could not be sealed", "did not rotate", ... */
    int json;
    struct json_t *files;  /* --json: the file reports */
    struct json_t *key_ids; /* --json: the recipients sealed for, added or removed */
    int first_rc;          /* the first failure, for the JSON error object */
    char *first_message;
} cli_apply;

/* --json of the commands that report their runs through a cli_apply (seal,
 * change, set, rotate, recipients), written into an int. */
extern const cli_opt cli_apply_json_opts[];

void cli_apply_init(cli_apply *a, const char *command, const char *fail_verb, int json);

/* Run o; every failing alias and the run's failure printed. *out receives
 * the result (may be NULL when none could be made; free it with
 * vault_apply_result_free()). Returns EXIT_OK or EXIT_FAIL. */
int cli_apply_file(cli_apply *a, const vault_apply_options *o, vault_apply_result **out);

/* Report the recipients the new values are sealed for (or added, removed);
 * cli_apply_key_id() one key id whose kind is not known. */
void cli_apply_recipients(cli_apply *a, vault_recipient *const *r, size_t n);
void cli_apply_key_id(cli_apply *a, const char *hex);

/* Note a failure outside vault_config_apply() (code, message) for JSON. */
void cli_apply_note(cli_apply *a, int code, const char *message);
/* The same with the error last printed and its code (a usage error when rc
 * is EXIT_USAGE). */
void cli_apply_note_printed(cli_apply *a, int rc);

/* With --json print the object; release a. Returns rc, or EXIT_FAIL when
 * the JSON could not be written. */
int cli_apply_finish(cli_apply *a, int rc);

/* Seal the PLAIN (and, asked for on a terminal, EMPTY) secrets of one
 * config file in place, or with alias that one secret to value (flags:
 * VAULT_APPLY_CREATE adds a missing alias). Checked with the key of s when
 * it is at hand. Messages printed; returns EXIT_OK or EXIT_FAIL. */
int cli_seal_file(cli_apply *a, cli_sealing *s, vault_sealer *sealer, const char *path, const char *alias,
                  const vault_secret *value, unsigned int flags);

/* "FILE: sealed N secrets, M already sealed" and the warning of a key that
 * could not be unlocked. Returns EXIT_OK. */
int cli_seal_report(const vault_apply_result *res);

/* Rotate one config file: every sealed value opened with old and sealed
 * again with sealer (format names it in messages); plain text left and
 * reported; values already on the new key left and reported. Checked with
 * the key of s when it is at hand. Returns EXIT_OK or EXIT_FAIL. */
int cli_rotate_file(cli_apply *a, cli_sealing *s, const char *path, vault_opener *old, vault_sealer *sealer,
                    const char *format);

/* Read a sealed value from standard input: blank space around it ignored,
 * "NAME=VALUE" (as encrypt -n prints it) split. *text is malloc'ed; name
 * (in: the -n alias or NULL, out: the alias) and value point into it.
 * Returns EXIT_OK or EXIT_FAIL (message printed). */
int cli_read_sealed_value(char **text, const char **name, const char **value);

/* Descriptors and buffers, one copy for every command (EINTR retried). */

/* Read len bytes from fd, or up to end of file: the number read, or -1
 * with errno set. */
ssize_t cli_read_full(int fd, void *buf, size_t len);

/* Write all len bytes to fd: 0, or -1 with errno set. */
int cli_write_full(int fd, const void *buf, size_t len);

/* Room for need elements of size bytes in the array whose pointer is at
 * arrp (a T ** passed as void *), *cap allocated: the capacity doubles
 * from 64; the old block is wiped before it is freed, as it may hold a
 * secret. 0, or VAULT_ENOMEM (overflow, allocation) with the array kept. */
int cli_grow(void *arrp, size_t *cap, size_t need, size_t size);

/* Everything fd gives up to end of file (at most max bytes), NUL-terminated,
 * in memory to release with cli_free_wiped(*out, *len + 1). 0; VAULT_EIO
 * (errno set), VAULT_EFORMAT (more than max), VAULT_ENOMEM. */
int cli_read_all(int fd, size_t max, unsigned char **out, size_t *len);

/* Wipe the first len bytes of p, then free it. NULL-safe. */
void cli_free_wiped(void *p, size_t len);

/* Subcommands. */
typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *subcommands; /* space-separated, or NULL */
    const cli_opt_command *options; /* its option table and help */
} cli_command;

/* The subcommand table of main.c. */
const cli_command *cli_command_table(size_t *count);
int cmd_completion(int argc, char **argv);
int cmd_textconv(int argc, char **argv);

int cmd_keystore(int argc, char **argv);
int cmd_wso2(int argc, char **argv);
int cmd_encrypt(int argc, char **argv);
int cmd_decrypt(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_seal(int argc, char **argv);
int cmd_change(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_edit(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_recipients(int argc, char **argv);
int cmd_rotate(int argc, char **argv);
int cmd_publish(int argc, char **argv);

/* The option tables and help texts of the subcommands. */
extern const cli_opt_command cmd_completion_options, cmd_textconv_options, cmd_keystore_options,
    cmd_encrypt_options, cmd_decrypt_options, cmd_inspect_options, cmd_seal_options, cmd_change_options,
    cmd_set_options, cmd_edit_options, cmd_check_options, cmd_list_options, cmd_render_options,
    cmd_exec_options, cmd_recipients_options, cmd_rotate_options, cmd_publish_options;

/* The WSO2 cipher tool's options (-Dconfigure, ...): 'cipher-tool -help'. */
extern const cli_opt_command cmd_wso2_options;

#endif
