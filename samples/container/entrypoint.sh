#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Entry point of the container image of Dockerfile: the image holds the
# configuration with its secrets sealed to a certificate; the keystore with
# the private key and its password come in at start from a secret volume
# (Docker secrets, or a Kubernetes Secret mounted at /run/secrets). cipher-tool
# exec opens the sealed values and runs the server with the secrets it asks for
# in its environment, then is gone (exec): nothing is written to disk.
#
#   VAULT_CONFIG         the sealed configuration (/app/conf/deployment.toml)
#   VAULT_SECRETS        the secret volume (/run/secrets)
#   VAULT_KEYSTORE       the keystore ($VAULT_SECRETS/vault.p12)
#   VAULT_PASSWORD_FILE  its password ($VAULT_SECRETS/keystore-password)
#   VAULT_ENV            NAME=alias pairs, separated by spaces: each secret
#                        alias of the configuration given to the server in
#                        variable NAME (DB_PASSWORD=db_password)
#   CIPHER_TOOL          the cipher-tool to run (cipher-tool)
#
# The password file of a secret volume belongs to root and is readable by
# every process of the container (Docker 0444, Kubernetes 0644 by default):
# --container-secret accepts that, with a warning, where a file on a shared
# machine would be refused.
set -eu

: "${VAULT_CONFIG:=/app/conf/deployment.toml}"
: "${VAULT_SECRETS:=/run/secrets}"
: "${VAULT_KEYSTORE:=$VAULT_SECRETS/vault.p12}"
: "${VAULT_PASSWORD_FILE:=$VAULT_SECRETS/keystore-password}"
: "${VAULT_ENV:=DB_PASSWORD=db_password}"
: "${CIPHER_TOOL:=cipher-tool}"

if [ "$#" -eq 0 ]; then
    echo "entrypoint: no command to run" >&2
    exit 2
fi

# cipher-tool exec [options] --env NAME=alias... -- COMMAND ARGS...
set -- -- "$@"
for pair in $VAULT_ENV; do
    set -- --env "$pair" "$@"
done
exec "$CIPHER_TOOL" exec --config "$VAULT_CONFIG" -k "$VAULT_KEYSTORE" \
    --password-file "$VAULT_PASSWORD_FILE" --container-secret "$@"
