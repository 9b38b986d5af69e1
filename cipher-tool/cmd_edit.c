/* SPDX-License-Identifier: Apache-2.0 */
/* cipher-tool edit: a config's secrets in an editor, decrypted on tmpfs,
 * sealed again on the way back; unchanged values keep their ciphertext. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

static const cli_opt edit_opts[] = {
    CLI_OPT_INCLUDE(cli_sealing_opts),
    CLI_OPT_INCLUDE(cli_not_for_wso2_opts),
    CLI_OPT_INCLUDE(cli_opt_help),
    CLI_OPT_END,
};

const cli_opt_command cmd_edit_options = {
    "edit",
    "usage: cipher-tool edit FILE -k KEYSTORE [--cert CERT]... [options]\n"
    "\n"
    "Open a deployment.toml or cipher-text.properties in $VISUAL (else $EDITOR,\n"
    "else vi) with every sealed secret shown as \"[plain text]\". The decrypted view\n"
    "lives in a 0600 file in a private directory on a memory file system (tmpfs:\n"
    "/dev/shm or $XDG_RUNTIME_DIR), is wiped and removed when the editor exits, and\n"
    "never touches a disk. On the way back, a value whose text did not change keeps\n"
    "its ciphertext (diffs stay small), a changed or new one is sealed (to -k and\n"
    "the --cert recipients, in --format), and the file is replaced atomically.\n"
    "Nothing is written when the editor exits with a non-zero status or the text\n"
    "did not change. In a WSO2 product home the default format is what its runtime\n"
    "opens (see seal).\n"
    "\n",
    edit_opts,
    "\n"
    "example:\n"
    "  EDITOR=nano cipher-tool edit deployment.toml -k wso2carbon.jks --password-file pw\n",
    0,
};

/* A private directory on a memory file system, or NULL. */
static char *private_tmpfs_dir(void)
{
    const char *bases[2];
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    size_t i;

    bases[0] = "/dev/shm";
    bases[1] = xdg && *xdg ? xdg : NULL;
    for (i = 0; i < 2; i++) {
        struct statfs fs;
        char *dir = NULL;
        if (!bases[i] || statfs(bases[i], &fs) != 0 || fs.f_type != TMPFS_MAGIC)
            continue;
        if (asprintf(&dir, "%s/cipher-tool-edit.XXXXXX", bases[i]) < 0)
            return NULL;
        if (mkdtemp(dir))
            return dir;
        free(dir);
    }
    return NULL;
}

/* The edited file back, in guarded memory; then its bytes overwritten. */
static int read_back(const char *path, unsigned char **out, size_t *len)
{
    struct stat st;
    unsigned char *buf = NULL;
    size_t got = 0;
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);

    *out = NULL;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 64 * 1024 * 1024)
        goto fail;
    if (!(buf = sodium_malloc((size_t)st.st_size + 1)))
        goto fail;
    {
        ssize_t r = cli_read_full(fd, buf, (size_t)st.st_size);
        if (r < 0)
            goto fail;
        got = (size_t)r;
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    close(fd);
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    sodium_free(buf);
    return -1;
}

/* Overwrite and remove the view (an editor may have replaced the file by a
 * new one: the name is wiped whatever it is now). */
static void wipe_view(const char *path, const char *dir)
{
    struct stat st;
    int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        static const unsigned char zero[4096];
        off_t left = st.st_size;
        while (left > 0) {
            size_t n = left > (off_t)sizeof zero ? sizeof zero : (size_t)left;
            if (cli_write_full(fd, zero, n) != 0)
                break;
            left -= (off_t)n;
        }
        (void)fsync(fd);
    }
    if (fd >= 0)
        close(fd);
    unlink(path);
    /* Editors leave swap and backup files beside it: the directory goes too. */
    (void)rmdir(dir);
}

/* $VISUAL, else $EDITOR, else vi, run by the shell (it may carry options). */
static int run_editor(const char *path)
{
    const char *editor = getenv("VISUAL");
    pid_t pid;
    int status;

    if (!editor || !*editor)
        editor = getenv("EDITOR");
    if (!editor || !*editor)
        editor = "vi";
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", editor, path, (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void report(const vault_apply_result *res)
{
    size_t i, sealed = 0, added = 0, kept = 0;
    for (i = 0; i < res->count; i++) {
        sealed += res->entries[i].status == VAULT_APPLY_REPLACED;
        added += res->entries[i].status == VAULT_APPLY_CREATED;
        kept += res->entries[i].status == VAULT_APPLY_UNCHANGED ||
                res->entries[i].status == VAULT_APPLY_ALREADY_SEALED;
    }
    fprintf(stderr, "cipher-tool: %s: %zu secret%s changed, %zu added, %zu unchanged%s\n", res->path, sealed,
            sealed == 1 ? "" : "s", added, kept, res->written ? "" : "; the file was not changed");
}

/* Show view in the editor; the edited text, or NULL with rc set. */
static int edit_view(const char *file, const vault_secret *view, unsigned char **edited, size_t *edited_len)
{
    const char *base = strrchr(file, '/');
    char *dir = private_tmpfs_dir(), *path = NULL;
    int fd = -1, rc = EXIT_FAIL, st;

    *edited = NULL;
    if (!dir) {
        cli_error("no memory file system (tmpfs) for the decrypted view of %s; nothing was written", file);
        cli_hint("mount a tmpfs on /dev/shm or set XDG_RUNTIME_DIR to one");
        return EXIT_FAIL;
    }
    /* The config's own name: the editor highlights its syntax. */
    if (asprintf(&path, "%s/%s", dir, base ? base + 1 : file) < 0) {
        path = NULL;
        goto done;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || cli_write_full(fd, vault_secret_data(view), vault_secret_len(view)) != 0 || close(fd) != 0) {
        fd = -1;
        cli_error("cannot write the decrypted view of %s: %s; nothing was written", file, strerror(errno));
        goto done;
    }
    fd = -1;
    st = run_editor(path);
    if (st != 0) {
        cli_error("the editor exited with status %d; %s was not changed", st, file);
        goto done;
    }
    if (read_back(path, edited, edited_len) != 0) {
        cli_error("cannot read back the edited view of %s; nothing was written", file);
        goto done;
    }
    rc = EXIT_OK;
done:
    if (path)
        wipe_view(path, dir);
    else
        (void)rmdir(dir);
    free(path);
    free(dir);
    return rc;
}

int cmd_edit(int argc, char **argv)
{
    vault_open_options oo = VAULT_OPEN_OPTIONS_INIT;
    vault_apply_options ao = VAULT_APPLY_OPTIONS_INIT;
    vault_apply_result *res = NULL;
    cli_sealing s;
    cli_apply a;
    vault_sealer *sealer = NULL;
    vault_opener *opener = NULL;
    vault_config *cfg = NULL;
    vault_secret *view = NULL;
    unsigned char *edited = NULL;
    size_t edited_len = 0;
    int rc;

    cli_sealing_init(&s);
    if ((rc = cli_opts_parse(&cmd_edit_options, argc, argv, &s)) != EXIT_OK)
        goto done;
    if (argc - optind != 1) {
        rc = cli_usage_error("edit", "expected one FILE");
        goto done;
    }
    if (!s.key.path && !s.symmetric_key_file) {
        rc = cli_usage_error("edit", "missing -k KEYSTORE (the key that opens the values)");
        goto done;
    }
    if ((rc = cli_sealing_home_default(&s, argv + optind, 1, "edit")) != EXIT_OK ||
        (rc = cli_sealing_prepare(&s, "edit", &sealer)) != EXIT_OK)
        goto done;
    rc = EXIT_FAIL;
    oo.keystore = s.symmetric_key ? NULL : s.ks;
    oo.key_alias = s.key.alias;
    oo.symmetric_key = s.symmetric_key;
    if (vault_opener_new(&opener, &oo) != 0 || vault_config_open(&cfg, argv[optind], VAULT_CONFIG_AUTO) != 0 ||
        vault_config_render_plain(&view, cfg, opener) != 0) {
        rc = cli_fail(VAULT_ERROR, NULL);
        goto done;
    }
    if ((rc = edit_view(argv[optind], view, &edited, &edited_len)) != EXIT_OK)
        goto done;
    if (edited_len == vault_secret_len(view) && sodium_memcmp(edited, vault_secret_data(view), edited_len) == 0) {
        fprintf(stderr, "cipher-tool: %s: no change; the file was not changed\n", argv[optind]);
        goto done;
    }
    ao.op = VAULT_APPLY_EDIT;
    ao.path = argv[optind];
    ao.sealer = sealer;
    ao.from = opener;
    ao.text = edited;
    ao.text_len = edited_len;
    cli_sealing_apply_options(&s, &ao);
    cli_apply_init(&a, "edit", "could not be sealed", 0);
    rc = cli_apply_file(&a, &ao, &res);
    if (rc == EXIT_OK)
        report(res);
    rc = cli_apply_finish(&a, rc);
done:
    vault_apply_result_free(res);
    sodium_free(edited);
    vault_secret_free(view);
    vault_config_free(cfg);
    vault_opener_free(opener);
    vault_sealer_free(sealer);
    cli_sealing_clear(&s);
    return rc;
}
