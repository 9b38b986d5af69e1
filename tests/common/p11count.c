/* SPDX-License-Identifier: Apache-2.0 */
/* A PKCS#11 module for tests: forwards every call to the module named by
 * P11COUNT_MODULE and appends one line to the file P11COUNT_LOG for each
 * C_Decrypt, so that a test can count the private-key operations a token
 * was asked for. */
#include <dlfcn.h>
#include <fcntl.h>
#include <p11-kit/pkcs11.h>
#include <stdlib.h>
#include <unistd.h>

static CK_FUNCTION_LIST list;
static CK_FUNCTION_LIST_PTR real;

static CK_RV counting_decrypt(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                              CK_ULONG_PTR out_len)
{
    const char *log = getenv("P11COUNT_LOG");
    if (log && out) { /* a length query (out NULL) decrypts nothing */
        int fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0600);
        if (fd >= 0) {
            if (write(fd, "C_Decrypt\n", 10) != 10) {
                /* the count comes out short and the test fails */
            }
            close(fd);
        }
    }
    return real->C_Decrypt(s, in, in_len, out, out_len);
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
    const char *path = getenv("P11COUNT_MODULE");
    CK_C_GetFunctionList get;
    void *dl;

    if (!path || !(dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
        return CKR_GENERAL_ERROR;
    *(void **)&get = dlsym(dl, "C_GetFunctionList");
    if (!get || get(&real) != CKR_OK)
        return CKR_GENERAL_ERROR;
    list = *real;
    list.C_Decrypt = counting_decrypt;
    *out = &list;
    return CKR_OK;
}
