/* SPDX-License-Identifier: Apache-2.0 */
/* Thread-local last error and static error texts. */
#include "internal.h"

#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_message[1024];
static _Thread_local vault_error last_error;
static _Thread_local int has_error;

/* What vault_error_last() returns before any failure or after
 * vault_error_clear(): never NULL, so that a caller printing the detail of a
 * failure never dereferences NULL (libgit2's git_error_last() does the same). */
static const vault_error no_error = {VAULT_OK, "no error", VAULT_CAUSE_NONE};

static int set_error(int code, int cause, const char *fmt, va_list ap, const char *suffix)
    VAULT_PRINTF(3, 0);

static int set_error(int code, int cause, const char *fmt, va_list ap, const char *suffix)
{
    /* Format aside first: the arguments may point into last_message
     * (a message that wraps the previous one). */
    char buf[sizeof last_message];
    int n = fmt ? vsnprintf(buf, sizeof buf, fmt, ap) : 0;
    if (n <= 0)
        buf[0] = '\0';
    /* A failure is never recorded as a success, nor without words: a
     * caller printing the message never prints "error: error". */
    if (code == VAULT_OK)
        code = VAULT_ERROR;
    if (!buf[0])
        snprintf(buf, sizeof buf, "%s (error %d)", vault_strerror(code), code);
    if (suffix && *suffix) {
        size_t used = strlen(buf);
        snprintf(buf + used, sizeof buf - used, ": %s", suffix);
    }
    memcpy(last_message, buf, sizeof last_message);
    last_error.code = code;
    last_error.cause = cause;
    last_error.message = last_message;
    has_error = 1;
    return code;
}

int vault__err(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(code, VAULT_CAUSE_NONE, fmt, ap, NULL);
    va_end(ap);
    return code;
}

int vault__err_cause(int code, int cause, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(code, cause, fmt, ap, NULL);
    va_end(ap);
    return code;
}

int vault__err_ssl(int code, const char *fmt, ...)
{
    char reason[256] = "";
    unsigned long e = ERR_peek_last_error();
    va_list ap;

    if (e) {
        const char *r = ERR_reason_error_string(e);
        snprintf(reason, sizeof reason, "%s", r ? r : "OpenSSL error");
    }
    ERR_clear_error();
    va_start(ap, fmt);
    set_error(code, VAULT_CAUSE_NONE, fmt, ap, reason);
    va_end(ap);
    return code;
}

void vault__oom_record(void)
{
    static const char message[] = "out of memory";

    memcpy(last_message, message, sizeof message);
    last_error.code = VAULT_ENOMEM;
    last_error.cause = VAULT_CAUSE_NONE;
    last_error.message = last_message;
    has_error = 1;
}

const vault_error *vault_error_last(void)
{
    return has_error ? &last_error : &no_error;
}

void vault_error_clear(void)
{
    has_error = 0;
    last_message[0] = '\0';
}

const char *vault_strerror(int code)
{
    switch (code) {
    case VAULT_OK: return "success";
    case VAULT_ENOTFOUND: return "not found";
    case VAULT_EAUTH: return "wrong password or tampered data";
    case VAULT_EKEY: return "sealed for another key";
    case VAULT_EFORMAT: return "malformed or unsupported input";
    case VAULT_EPERM: return "unsafe file permissions";
    case VAULT_ENOMEM: return "out of memory";
    case VAULT_EINVAL: return "invalid argument";
    case VAULT_ETRUST: return "certificate not trusted";
    case VAULT_EIO: return "input/output error";
    case VAULT_ECANCELED: return "cancelled at a prompt";
    case VAULT_ERROR: return "failure";
    default: return "unknown error code";
    }
}

const char *vault_version(void)
{
    return VAULT_VERSION;
}
