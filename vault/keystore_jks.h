/* SPDX-License-Identifier: Apache-2.0 */
/* What keystore_jks.c (JKS and JCEKS) and keystore_jks_serial.c (the Java
 * serialisation of JCEKS sealed secret keys) share: the values the
 * serialisation reader returns. */
#ifndef VAULT_KEYSTORE_JKS_H
#define VAULT_KEYSTORE_JKS_H

#include "keystore_internal.h"

#include <stdint.h>

/* ---- the values read from Java serialisation ---- */

#define JS_MAX_HANDLES 32
#define JS_MAX_FIELDS 4

/* clang-format off */
enum { JV_PENDING = 1, JV_NULL, JV_STRING, JV_BYTES, JV_CLASS, JV_ENUM, JV_OBJECT };
enum { JC_SEALED, JC_SEALED_KP, JC_BYTES, JC_KEY_SPEC, JC_KEY_REP, JC_KEY_REP_TYPE, JC_ENUM,
       JC_COUNT };
/* clang-format on */

typedef struct jval {
    int kind;
    int cls;                   /* JV_CLASS, JV_ENUM, JV_OBJECT */
    const unsigned char *data; /* JV_STRING, JV_BYTES; JV_ENUM: the constant's name */
    size_t len;
} jval;

typedef struct jstream {
    vault_rd r;
    jval handles[JS_MAX_HANDLES];
    size_t nhandles;
    int cls;                        /* class of the top-level object */
    jval fields[2 * JS_MAX_FIELDS]; /* its field values, superclass first */
    size_t nfields;
    const char *why;
} jstream;

/* keystore_jks_serial.c: a Java DataOutput UTF string */
int jks_rd_utf(vault_rd *r, const unsigned char **s, size_t *n);

/* keystore_jks_serial.c: Java serialisation */
int jks_same_text(const unsigned char *s, size_t n, const char *text);
int jks_js_parse(jstream *js, const unsigned char *d, size_t n, int allow1, int allow2, size_t *used);
int jks_jv_is(const jval *v, const char *text);

#endif
