/* PLACEHOLDER until the JKS reader lands */
#include "keystore_internal.h"
int ks_read_jks(vault_keystore *ks, const unsigned char *data, size_t len, const vault_secret *pw)
{ (void)data; (void)len; (void)pw; return vault_err(VAULT_EFORMAT, "%s: JKS not yet", ks->path); }
