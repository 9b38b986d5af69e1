#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# git: the sample pre-commit hook refuses plain text secrets in what is staged;
# 'cipher-tool textconv' as a diff driver shows each sealed value as a short
# stable summary, a re-sealed value as changed, and never a plain text.
. "$(dirname "$0")/lib.sh"
command -v git >/dev/null || fail "git is needed"
export CIPHER_TOOL=$CT GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org \
       GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org GIT_CONFIG_NOSYSTEM=1 HOME=$TMP
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -subj /CN=git \
    -days 2 2>/dev/null
repo=$TMP/repo
git init -q "$repo"
cp "${VAULT_SOURCE:?}/samples/git/pre-commit" "$repo/.git/hooks/pre-commit"
cd "$repo"
mkdir -p conf
cat > conf/deployment.toml <<'T'
[database]
password = "$secret{db_password}"

[secrets]
db_password = "[TopSecret-db-1]"
api_key = "[TopSecret-api-2]"
T

# The hook judges what is staged.
git add conf/deployment.toml
run 1 git commit -q -m plain
contains "$err" "db_password"
contains "$err" "seal the secrets first"
lacks "$err" "TopSecret"
run 0 "$CT" seal conf/deployment.toml --cert "$TMP/cert.pem"
run 1 git commit -q -m still-plain-in-the-index
git add conf/deployment.toml
run 0 git commit -q -m sealed
equals "$(git log --oneline | wc -l | tr -d ' ')" "1"
# a file the pattern does not name is not the hook's business
printf 'x = "[plain]"\n' > notes.toml
git add notes.toml
run 0 git commit -q -m notes

# textconv: the whole file, values summarised.
printf 'conf/deployment.toml diff=vault\n' > .gitattributes
git config diff.vault.textconv "$CT textconv"
run 0 "$CT" textconv conf/deployment.toml
contains "$out" 'password = "$secret{db_password}"'
key=$(openssl x509 -in "$TMP/cert.pem" -outform DER | sha256sum | cut -c1-8)
contains "$out" "db_password = \"<sealed native keys $key #"
lacks "$out" "vault:v1:"
run 0 "$CT" textconv conf/deployment.toml
first=$out
equals "$first" "$out"
# Re-seal one value: the diff shows one changed summary line, no ciphertext.
printf 'TopSecret-db-3' | "$CT" change conf/deployment.toml db_password --cert "$TMP/cert.pem" >/dev/null 2>&1 ||
    fail "change failed"
run 0 git diff conf/deployment.toml
changed=$(printf '%s\n' "$out" | grep -c '^[-+]db_password = "<sealed native keys ')
equals "$changed" "2"
lacks "$out" "+api_key"
lacks "$out" "vault:v1:"
lacks "$out" "TopSecret"
# A plain text value is flagged, never shown.
sed -i 's/^api_key = .*/api_key = "[TopSecret-api-4]"/' conf/deployment.toml
run 0 git diff conf/deployment.toml
contains "$out" '+api_key = "<PLAIN TEXT: not sealed>"'
lacks "$out" "TopSecret"
run 0 "$CT" textconv --type toml conf/deployment.toml
run 2 "$CT" textconv --type yaml conf/deployment.toml
run 1 "$CT" textconv "$TMP/missing.toml"
contains "$err" "missing.toml"
done_tests
