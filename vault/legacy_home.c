/* SPDX-License-Identifier: Apache-2.0 */
/* A legacy product home's XML files, as its cipher-tool.properties maps
 * aliases into them: every mapped element marked (all in memory first, then
 * each changed file replaced), and the state of each alias and mark. */
#include "array.h"
#include "internal.h"

#include <vault/config.h>
#include <vault/home.h>
#include <vault/xml.h>

#include <stdio.h>
#include <string.h>

/* As large as a config file may be. */
#define HOME_XML_MAX (64u << 20)

/* An XML file's bytes, read once: they may hold plain passwords, so every
 * buffer that held them is wiped before it is freed. */
static int read_xml(const char *path, unsigned char **data, size_t *len)
{
    int rc = vault__read_file(path, HOME_XML_MAX, data, len);
    if (rc == VAULT_ENOTFOUND)
        return vault__err(VAULT_ENOTFOUND, "%s: cannot open the file", path);
    return rc;
}

int vault_xml_marked_file(vault_xml_marks **out, const char *path)
{
    unsigned char *data = NULL;
    size_t len = 0;
    int rc;

    if (!out || !path)
        return vault__err(VAULT_EINVAL, "vault_xml_marked_file: invalid argument");
    *out = NULL;
    if ((rc = read_xml(path, &data, &len)) != 0)
        return rc;
    rc = vault_xml_marked(out, data, len, path);
    vault__free_wiped(data, len + 1);
    return rc;
}

/* The map of a home: its path (to free) and the map. */
static int read_map(char **map_path, vault_legacy_map **map, const char *home)
{
    int rc;

    *map = NULL;
    if ((rc = vault_home_path(map_path, home, VAULT_HOME_CIPHER_TOOL)) != 0)
        return rc;
    return vault_legacy_map_read(map, *map_path);
}

/* ---- marking ------------------------------------------------------------ */

/* One XML file of the map while it is marked. */
typedef struct xml_text {
    char *path;
    char *text; /* NUL-terminated; the newest text, vault__malloc'ed */
    size_t len;
    int changed;
} xml_text;

struct vault_legacy_marked {
    char **paths;
    size_t n, cap;
};

static void texts_free(xml_text *t, size_t n)
{
    size_t i;
    for (i = 0; t && i < n; i++) {
        vault__free_ptr(t[i].path);
        vault__free_wiped(t[i].text, t[i].text ? t[i].len + 1 : 0);
    }
    vault__free_ptr(t);
}

/* The text of the file at path (owned by *path_owned, taken), read on
 * first use. */
static int text_of(xml_text **texts, size_t *n, size_t *cap, char **path_owned, xml_text **out)
{
    unsigned char *data = NULL;
    size_t i, len = 0;
    int rc;

    for (i = 0; i < *n; i++)
        if (strcmp((*texts)[i].path, *path_owned) == 0) {
            *out = &(*texts)[i];
            return 0;
        }
    if ((rc = vault__read_file(*path_owned, HOME_XML_MAX, &data, &len)) != 0)
        return rc;
    if (VAULT_ARRAY_GROW(*texts, *cap, *n + 1) != 0) {
        vault__free_wiped(data, len + 1);
        return VAULT_ENOMEM;
    }
    *out = &(*texts)[(*n)++];
    (*out)->path = *path_owned;
    *path_owned = NULL;
    (*out)->text = (char *)data;
    (*out)->len = len;
    (*out)->changed = 0;
    return 0;
}

/* Mark entry e in its file's newest text. */
static int mark_entry(xml_text *t, const vault_legacy_entry *e)
{
    vault_xml_mark_options mo = VAULT_XML_MARK_OPTIONS_INIT;
    char *next = NULL;
    size_t next_len = 0;
    int rc;

    mo.name = t->path;
    mo.xpath = e->xpath;
    mo.attribute = e->attribute;
    mo.alias = e->alias;
    /* No old value asked for: the secret is cipher-text.properties', as in Java. */
    if ((rc = vault_xml_mark_secret(&next, &next_len, NULL, t->text, t->len, &mo)) != 0)
        return rc;
    if (next_len != t->len || memcmp(next, t->text, next_len) != 0)
        t->changed = 1;
    vault__free_wiped(t->text, t->len + 1);
    t->text = next;
    t->len = next_len;
    return 0;
}

/* The files of texts written before the one that failed, for its message. */
static void written_note(char *buf, size_t size, const vault_legacy_marked *m)
{
    size_t i, used = 0;

    buf[0] = '\0';
    for (i = 0; i < m->n && used + 1 < size; i++) {
        int k = snprintf(buf + used, size - used, "%s%s", i ? ", " : " (already marked: ", m->paths[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
    if (m->n && used + 2 < size)
        memcpy(buf + used, ")", 2);
}

static int write_texts(vault_legacy_marked *m, xml_text *texts, size_t n)
{
    char note[512];
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        if (!texts[i].changed)
            continue;
        if ((rc = vault_file_replace(texts[i].path, texts[i].text, texts[i].len, 0644, NULL, NULL)) != 0) {
            written_note(note, sizeof note, m);
            return vault__err(rc, "%s%s", vault_error_last()->message, note);
        }
        if (VAULT_ARRAY_GROW(m->paths, m->cap, m->n + 1) != 0)
            return VAULT_ENOMEM;
        m->paths[m->n++] = texts[i].path;
        texts[i].path = NULL;
    }
    return 0;
}

int vault_legacy_home_mark(vault_legacy_marked **out, const char *home)
{
    char *map_path = NULL, *path = NULL;
    vault_legacy_map *map = NULL;
    vault_legacy_marked *m = NULL;
    xml_text *texts = NULL, *t;
    size_t i, n = 0, cap = 0;
    int rc;

    if (!out || !home)
        return vault__err(VAULT_EINVAL, "vault_legacy_home_mark: invalid argument");
    *out = NULL;
    if ((rc = read_map(&map_path, &map, home)) != 0)
        goto done;
    if (!(m = vault__calloc(1, sizeof *m))) {
        rc = vault__oom();
        goto done;
    }
    for (i = 0; i < vault_legacy_map_count(map); i++) {
        const vault_legacy_entry *e;

        vault_legacy_map_entry_at(&e, map, i);
        if ((rc = vault__path_join(&path, home, e->file)) != 0)
            goto done;
        if ((rc = text_of(&texts, &n, &cap, &path, &t)) != 0) {
            rc = vault__err(rc, "%s: line %u: alias \"%s\": cannot read %s", map_path, e->line, e->alias,
                            vault_error_last()->message);
            goto done;
        }
        if ((rc = mark_entry(t, e)) != 0) {
            rc = vault__err(rc, "%s: line %u: alias \"%s\": %s", map_path, e->line, e->alias,
                            vault_error_last()->message);
            goto done;
        }
    }
    if ((rc = write_texts(m, texts, n)) != 0)
        goto done;
    *out = m;
    m = NULL;
done:
    vault__free_ptr(path);
    texts_free(texts, n);
    vault_legacy_marked_free(m);
    vault_legacy_map_free(map);
    vault__free_ptr(map_path);
    return rc;
}

size_t vault_legacy_marked_count(const vault_legacy_marked *marked)
{
    return marked ? marked->n : 0;
}

int vault_legacy_marked_at(const char **out, const vault_legacy_marked *marked, size_t i)
{
    if (!out || !marked)
        return vault__err(VAULT_EINVAL, "vault_legacy_marked_at: invalid argument");
    *out = i < marked->n ? marked->paths[i] : NULL;
    return *out ? 0 : VAULT_ENOTFOUND;
}

void vault_legacy_marked_free(vault_legacy_marked *marked)
{
    size_t i;
    if (!marked)
        return;
    for (i = 0; i < marked->n; i++)
        vault__free_ptr(marked->paths[i]);
    vault__free_ptr(marked->paths);
    vault__free_ptr(marked);
}

/* ---- status ------------------------------------------------------------- */

typedef struct file_box {
    vault_legacy_file pub;
    char *path, *reason;
    vault_xml_marks *marks;
} file_box;

struct vault_legacy_status {
    char *map_path;
    vault_legacy_map *map; /* owns the aliases' and xpaths' text */
    vault_legacy_alias *aliases;
    size_t n_aliases;
    file_box *files;
    size_t n_files, cap_files;
};

/* The index of the file at *path (taken), read on first use. */
static int file_index(vault_legacy_status *st, char **path, size_t *index)
{
    file_box *f;
    size_t i;
    int rc;

    for (i = 0; i < st->n_files; i++)
        if (strcmp(st->files[i].path, *path) == 0) {
            *index = i;
            return 0;
        }
    if (VAULT_ARRAY_GROW(st->files, st->cap_files, st->n_files + 1) != 0)
        return VAULT_ENOMEM;
    f = &st->files[st->n_files];
    memset(f, 0, sizeof *f);
    f->path = *path;
    *path = NULL;
    if ((rc = vault_xml_marked_file(&f->marks, f->path)) != 0) {
        if (rc == VAULT_ENOMEM || !(f->reason = vault__strdup(vault_error_last()->message))) {
            vault__free_ptr(f->path);
            return vault__oom();
        }
        f->pub.error = rc;
        f->pub.reason = f->reason;
    }
    f->pub.path = f->path;
    f->pub.marks = f->marks;
    *index = st->n_files++;
    return 0;
}

/* The first mark of alias in marks, or NULL. */
static const vault_xml_mark *find_mark(const vault_xml_marks *marks, const char *alias)
{
    const vault_xml_mark *m;
    size_t i;

    for (i = 0; vault_xml_marks_at(&m, marks, i) == 0; i++)
        if (strcmp(m->alias, alias) == 0)
            return m;
    return NULL;
}

int vault_legacy_home_status(vault_legacy_status **out, const char *home)
{
    vault_legacy_status *st = NULL;
    char *path = NULL;
    size_t i, n;
    int rc;

    if (!out || !home)
        return vault__err(VAULT_EINVAL, "vault_legacy_home_status: invalid argument");
    *out = NULL;
    if (!(st = vault__calloc(1, sizeof *st)))
        return vault__oom();
    if ((rc = read_map(&st->map_path, &st->map, home)) != 0)
        goto done;
    n = vault_legacy_map_count(st->map);
    if (n && !(st->aliases = vault__calloc(n, sizeof *st->aliases))) {
        rc = vault__oom();
        goto done;
    }
    for (i = 0; i < n; i++) {
        const vault_legacy_entry *e;
        vault_legacy_alias *a = &st->aliases[i];
        const file_box *f;

        vault_legacy_map_entry_at(&e, st->map, i);
        if ((rc = vault__path_join(&path, home, e->file)) != 0 || (rc = file_index(st, &path, &a->file)) != 0)
            goto done;
        st->n_aliases++;
        a->alias = e->alias;
        a->map_line = e->line;
        a->xpath = e->xpath;
        a->attribute = e->attribute;
        f = &st->files[a->file];
        if (f->pub.error)
            a->state = VAULT_LEGACY_UNREADABLE;
        else if (!(a->mark = find_mark(f->marks, e->alias)))
            a->state = VAULT_LEGACY_NOT_MARKED;
        else
            a->state = a->mark->placeholder ? VAULT_LEGACY_MARKED : VAULT_LEGACY_PLAIN;
    }
    *out = st;
    st = NULL;
done:
    vault__free_ptr(path);
    vault_legacy_status_free(st);
    return rc;
}

const char *vault_legacy_status_map(const vault_legacy_status *status)
{
    return status ? status->map_path : NULL;
}

size_t vault_legacy_status_alias_count(const vault_legacy_status *status)
{
    return status ? status->n_aliases : 0;
}

int vault_legacy_status_alias_at(const vault_legacy_alias **out, const vault_legacy_status *status, size_t i)
{
    if (!out || !status)
        return vault__err(VAULT_EINVAL, "vault_legacy_status_alias_at: invalid argument");
    *out = i < status->n_aliases ? &status->aliases[i] : NULL;
    return *out ? 0 : VAULT_ENOTFOUND;
}

size_t vault_legacy_status_file_count(const vault_legacy_status *status)
{
    return status ? status->n_files : 0;
}

int vault_legacy_status_file_at(const vault_legacy_file **out, const vault_legacy_status *status, size_t i)
{
    if (!out || !status)
        return vault__err(VAULT_EINVAL, "vault_legacy_status_file_at: invalid argument");
    *out = i < status->n_files ? &status->files[i].pub : NULL;
    return *out ? 0 : VAULT_ENOTFOUND;
}

void vault_legacy_status_free(vault_legacy_status *status)
{
    size_t i;
    if (!status)
        return;
    for (i = 0; i < status->n_files; i++) {
        vault__free_ptr(status->files[i].path);
        vault__free_ptr(status->files[i].reason);
        vault_xml_marks_free(status->files[i].marks);
    }
    vault__free_ptr(status->files);
    vault__free_ptr(status->aliases);
    vault_legacy_map_free(status->map);
    vault__free_ptr(status->map_path);
    vault__free_ptr(status);
}
