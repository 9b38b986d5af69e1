/* SPDX-License-Identifier: Apache-2.0 */
/* Java's DataOutput UTF strings of the JKS layout and a small, strict
 * reader of Java serialisation for JCEKS sealed secret keys
 * (keystore_jks.c). */
#include "keystore_jks.h"

#include <string.h>

/* A Java DataOutput UTF string: 2-byte length, modified UTF-8. */
int jks_rd_utf(vault_rd *r, const unsigned char **s, size_t *n)
{
    uint64_t len = 0;
    *n = 0;
    if (vault__rd_uint(r, 2, &len) != 0)
        return -1;
    *n = (size_t)len;
    return vault__rd_take(r, *n, s);
}

/* ---- Java serialisation (java.io.ObjectInputStream), only as far as a
 * JCEKS secret key needs it: a javax.crypto.SealedObject, and inside it a
 * javax.crypto.spec.SecretKeySpec or a java.security.KeyRep. Every class
 * descriptor must be one of these, with the same serialVersionUID, flags
 * and fields; anything else is refused. ---- */

/* clang-format off */
enum {
    TC_NULL = 0x70, TC_REFERENCE = 0x71, TC_CLASSDESC = 0x72, TC_OBJECT = 0x73,
    TC_STRING = 0x74, TC_ARRAY = 0x75, TC_ENDBLOCKDATA = 0x78, TC_ENUM = 0x7E
};
#define JS_BASE_HANDLE 0x7E0000u
#define JS_STRING "Ljava/lang/String;"
#define JS_BYTES "[B"
#define JS_KEYREP_TYPE "Ljava/security/KeyRep$Type;"

typedef struct jfield {
    char code;
    const char *name, *type;
} jfield;

typedef struct jclass {
    const char *name;
    uint64_t suid;
    unsigned flags; /* SC_SERIALIZABLE 0x02, SC_ENUM 0x10 */
    int super;      /* index, or -1 */
    size_t nfields;
    jfield fields[JS_MAX_FIELDS]; /* as Java orders them: by name */
} jclass;

static const jclass jclasses[JC_COUNT] = {
    [JC_SEALED] = {"javax.crypto.SealedObject", 0x3E363DA6C3B75470u, 0x02, -1, 4,
                   {{'[', "encodedParams", JS_BYTES}, {'[', "encryptedContent", JS_BYTES},
                    {'L', "paramsAlg", JS_STRING}, {'L', "sealAlg", JS_STRING}}},
    [JC_SEALED_KP] = {"com.sun.crypto.provider.SealedObjectForKeyProtector", 0xCD57CA59E730BB53u,
                      0x02, JC_SEALED, 0, {{0}}},
    [JC_BYTES] = {"[B", 0xACF317F8060854E0u, 0x02, -1, 0, {{0}}},
    [JC_KEY_SPEC] = {"javax.crypto.spec.SecretKeySpec", 0x5B470B66E230614Du, 0x02, -1, 2,
                     {{'L', "algorithm", JS_STRING}, {'[', "key", JS_BYTES}}},
    [JC_KEY_REP] = {"java.security.KeyRep", 0xBDF94FB3889AA543u, 0x02, -1, 4,
                    {{'L', "algorithm", JS_STRING}, {'[', "encoded", JS_BYTES},
                     {'L', "format", JS_STRING}, {'L', "type", JS_KEYREP_TYPE}}},
    [JC_KEY_REP_TYPE] = {"java.security.KeyRep$Type", 0, 0x12, JC_ENUM, 0, {{0}}},
    [JC_ENUM] = {"java.lang.Enum", 0, 0x12, -1, 0, {{0}}},
};
/* clang-format on */

static int js_fail(jstream *js, const char *why)
{
    if (!js->why)
        js->why = why;
    return -1;
}

static int js_truncated(jstream *js)
{
    return js_fail(js, "truncated Java serialisation");
}

static int js_new_handle(jstream *js, size_t *h)
{
    if (js->nhandles == JS_MAX_HANDLES)
        return js_fail(js, "too many Java objects");
    *h = js->nhandles++;
    js->handles[*h].kind = JV_PENDING;
    return 0;
}

static int js_reference(jstream *js, int kind, jval *out)
{
    uint32_t h;
    if (vault__rd_u32(&js->r, &h) != 0)
        return js_truncated(js);
    if (h < JS_BASE_HANDLE || h - JS_BASE_HANDLE >= js->nhandles ||
        js->handles[h - JS_BASE_HANDLE].kind != kind)
        return js_fail(js, "bad Java back-reference");
    *out = js->handles[h - JS_BASE_HANDLE];
    return 0;
}

/* A string object whose tag tc was read: TC_STRING or a back-reference. */
static int js_string_tagged(jstream *js, unsigned tc, jval *out)
{
    size_t h;

    if (tc == TC_REFERENCE)
        return js_reference(js, JV_STRING, out);
    if (tc != TC_STRING)
        return js_fail(js, "Java string expected");
    if (js_new_handle(js, &h) != 0)
        return -1;
    if (jks_rd_utf(&js->r, &out->data, &out->len) != 0)
        return js_truncated(js);
    out->kind = JV_STRING;
    js->handles[h] = *out;
    return 0;
}

static int js_string(jstream *js, jval *out)
{
    unsigned tc;
    if (vault__rd_u8(&js->r, &tc) != 0)
        return js_truncated(js);
    return js_string_tagged(js, tc, out);
}

int jks_same_text(const unsigned char *s, size_t n, const char *text)
{
    return n == strlen(text) && memcmp(s, text, n) == 0;
}

static int js_class_by_name(const unsigned char *name, size_t n)
{
    int i;
    for (i = 0; i < JC_COUNT; i++)
        if (jks_same_text(name, n, jclasses[i].name))
            return i;
    return -1;
}

static int js_classdesc(jstream *js, int *cls, int depth);

static int js_fields(jstream *js, const jclass *c)
{
    uint64_t count;
    const unsigned char *name;
    size_t i, nlen;
    unsigned code;
    jval type;

    if (vault__rd_uint(&js->r, 2, &count) != 0)
        return js_truncated(js);
    if (count != c->nfields)
        return js_fail(js, "unexpected fields in a Java class");
    for (i = 0; i < c->nfields; i++) {
        const jfield *f = &c->fields[i];
        if (vault__rd_u8(&js->r, &code) != 0 || jks_rd_utf(&js->r, &name, &nlen) != 0)
            return js_truncated(js);
        if (code != (unsigned char)f->code || !jks_same_text(name, nlen, f->name) ||
            js_string(js, &type) != 0 || !jks_same_text(type.data, type.len, f->type))
            return js_fail(js, "unexpected fields in a Java class");
    }
    return 0;
}

/* TC_CLASSDESC: name, serialVersionUID, flags, fields, annotation,
 * superclass. Java gives it a handle before reading its content. */
static int js_new_classdesc(jstream *js, int *cls, int depth)
{
    const unsigned char *name;
    size_t nlen, h;
    uint64_t suid;
    unsigned flags, end;
    int c, super;

    if (js_new_handle(js, &h) != 0)
        return -1;
    if (jks_rd_utf(&js->r, &name, &nlen) != 0 || vault__rd_uint(&js->r, 8, &suid) != 0 ||
        vault__rd_u8(&js->r, &flags) != 0)
        return js_truncated(js);
    c = js_class_by_name(name, nlen);
    if (c < 0)
        return js_fail(js, "unexpected Java class");
    if (suid != jclasses[c].suid || flags != jclasses[c].flags)
        return js_fail(js, "unexpected serialVersionUID or flags of a Java class");
    if (js_fields(js, &jclasses[c]) != 0)
        return -1;
    if (vault__rd_u8(&js->r, &end) != 0)
        return js_truncated(js);
    if (end != TC_ENDBLOCKDATA)
        return js_fail(js, "unexpected Java class annotation");
    if (js_classdesc(js, &super, depth + 1) != 0)
        return -1;
    if (super != jclasses[c].super)
        return js_fail(js, "unexpected superclass of a Java class");
    js->handles[h].kind = JV_CLASS;
    js->handles[h].cls = c;
    *cls = c;
    return 0;
}

/* A class descriptor, a back-reference to one, or TC_NULL (cls -1). */
static int js_classdesc(jstream *js, int *cls, int depth)
{
    unsigned tc;
    jval v;

    if (depth > 3)
        return js_fail(js, "Java classes nested too deeply");
    if (vault__rd_u8(&js->r, &tc) != 0)
        return js_truncated(js);
    if (tc == TC_NULL) {
        *cls = -1;
        return 0;
    }
    if (tc == TC_REFERENCE) {
        if (js_reference(js, JV_CLASS, &v) != 0)
            return -1;
        *cls = v.cls;
        return 0;
    }
    if (tc == TC_CLASSDESC)
        return js_new_classdesc(js, cls, depth);
    return js_fail(js, "Java class descriptor expected");
}

static int js_bytes(jstream *js, jval *out)
{
    uint32_t n;
    size_t h;
    int cls;

    if (js_classdesc(js, &cls, 0) != 0)
        return -1;
    if (cls != JC_BYTES)
        return js_fail(js, "unexpected Java array type");
    if (js_new_handle(js, &h) != 0)
        return -1;
    if (vault__rd_u32(&js->r, &n) != 0 || vault__rd_take(&js->r, n, &out->data) != 0)
        return js_truncated(js);
    out->kind = JV_BYTES;
    out->len = n;
    js->handles[h] = *out;
    return 0;
}

static int js_enum(jstream *js, jval *out)
{
    jval name;
    size_t h;
    int cls;

    if (js_classdesc(js, &cls, 0) != 0)
        return -1;
    if (cls != JC_KEY_REP_TYPE)
        return js_fail(js, "unexpected Java enum type");
    if (js_new_handle(js, &h) != 0 || js_string(js, &name) != 0)
        return -1;
    out->kind = JV_ENUM;
    out->cls = cls;
    out->data = name.data;
    out->len = name.len;
    js->handles[h] = *out;
    return 0;
}

/* One field value; its declared type decides what may appear. */
static int js_value(jstream *js, const jfield *f, jval *out)
{
    int kind = strcmp(f->type, JS_STRING) == 0  ? JV_STRING
               : strcmp(f->type, JS_BYTES) == 0 ? JV_BYTES
                                                : JV_ENUM;
    unsigned tc;

    memset(out, 0, sizeof *out);
    if (vault__rd_u8(&js->r, &tc) != 0)
        return js_truncated(js);
    if (tc == TC_NULL) {
        out->kind = JV_NULL;
        return 0;
    }
    if (tc == TC_REFERENCE)
        return js_reference(js, kind, out);
    if (kind == JV_STRING && tc == TC_STRING)
        return js_string_tagged(js, tc, out);
    if (kind == JV_BYTES && tc == TC_ARRAY)
        return js_bytes(js, out);
    if (kind == JV_ENUM && tc == TC_ENUM)
        return js_enum(js, out);
    return js_fail(js, "unexpected Java field value");
}

/* Field values of each class of the hierarchy, superclass first. */
static int js_class_data(jstream *js, int cls)
{
    const jclass *c = &jclasses[cls];
    size_t i;

    if (c->super >= 0 && js_class_data(js, c->super) != 0)
        return -1;
    for (i = 0; i < c->nfields; i++) {
        if (js->nfields == sizeof js->fields / sizeof js->fields[0])
            return js_fail(js, "too many Java fields");
        if (js_value(js, &c->fields[i], &js->fields[js->nfields++]) != 0)
            return -1;
    }
    return 0;
}

/* A stream (magic, version) holding one object of an allowed class; *used
 * is the number of bytes the stream took. */
int jks_js_parse(jstream *js, const unsigned char *d, size_t n, int allow1, int allow2, size_t *used)
{
    uint64_t magic;
    unsigned tc;
    size_t h;

    memset(js, 0, sizeof *js);
    js->r.p = d;
    js->r.left = n;
    if (vault__rd_uint(&js->r, 4, &magic) != 0 || vault__rd_u8(&js->r, &tc) != 0)
        return js_truncated(js);
    if (magic != 0xACED0005u || tc != TC_OBJECT)
        return js_fail(js, "not a serialised Java object");
    if (js_classdesc(js, &js->cls, 0) != 0)
        return -1;
    if (js->cls < 0 || (js->cls != allow1 && js->cls != allow2))
        return js_fail(js, "unexpected Java object type");
    if (js_new_handle(js, &h) != 0 || js_class_data(js, js->cls) != 0)
        return -1;
    js->handles[h].kind = JV_OBJECT;
    js->handles[h].cls = js->cls;
    *used = n - js->r.left;
    return 0;
}

int jks_jv_is(const jval *v, const char *text)
{
    return v->kind == JV_STRING && jks_same_text(v->data, v->len, text);
}
