/* PLACEHOLDER until the PKCS#12 reader lands */
#include "keystore_internal.h"
int ks_read_pkcs12(vault_keystore *ks, const unsigned char *data, size_t len, const vault_secret *pw)
{ (void)data; (void)len; (void)pw; return vault_err(VAULT_EFORMAT, "%s: PKCS12 not yet", ks->path); }
