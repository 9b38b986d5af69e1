/* SPDX-License-Identifier: Apache-2.0 */
/* libvault: the whole public API. */
#ifndef VAULT_H
#define VAULT_H

#include "vault/common.h"
#include "vault/keystore.h"
#include "vault/cipher.h"
#include "vault/config.h"
#include "vault/apply.h"
#include "vault/home.h"
#include "vault/xml.h"
#include "vault/vault.h"

#endif
