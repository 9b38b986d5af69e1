/* PLACEHOLDER until the PEM reader lands */
#include "keystore_internal.h"
int ks_read_pem(vault_keystore *ks, const unsigned char *data, size_t len)
{ (void)data; (void)len; return vault_err(VAULT_EFORMAT, "%s: PEM not yet", ks->path); }
int ks_read_cert(vault_keystore *ks, const unsigned char *data, size_t len)
{ (void)data; (void)len; return vault_err(VAULT_EFORMAT, "%s: CERT not yet", ks->path); }
int ks_read_dir(vault_keystore *ks)
{ return vault_err(VAULT_EFORMAT, "%s: DIR not yet", ks->path); }
