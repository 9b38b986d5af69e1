/* PLACEHOLDER until chain verification lands */
#include "keystore_internal.h"
int vault_keystore_verify(const vault_keystore *trust, const vault_keystore *ks, const char *alias, int64_t at, unsigned int flags)
{ (void)trust; (void)ks; (void)alias; (void)at; (void)flags; return vault_err(VAULT_ETRUST, "not yet"); }
