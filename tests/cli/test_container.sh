#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Passwords where services and containers keep them: systemd's
# $CREDENTIALS_DIRECTORY, and a container's secret volume (root's files,
# 0444 or 0644, reached through Kubernetes' "..data" links) accepted with
# --container-secret only. Then samples/container: the sealing step of the
# Dockerfile, entrypoint.sh run as the image runs it, and kubernetes.yaml
# read by python3-yaml for the names the entry point expects.
source "$(dirname "$0")/lib.sh"
J=$SH/fixtures/java
SAMPLE=$(cd "$(dirname "$0")/../../samples/container" && pwd)
PW=$(pwfile wso2carbon)
v=$(printf 'db-s3cret' | "$CT" encrypt --cert "$J/identity.pem" -n db_password)
v=${v#db_password=}

# ---- $CREDENTIALS_DIRECTORY (systemd LoadCredential=) ---------------------------
C=$TMP/credentials
mkdir -m 700 "$C"
printf 'wso2carbon\n' > "$C/keystore-password"
chmod 400 "$C/keystore-password"
# No password option, no terminal: the credential is used, as the library does for a service.
run_in 0 "$v" env CREDENTIALS_DIRECTORY="$C" "$CT" decrypt -k "$J/identity.p12" -n db_password
equals "$out" "db-s3cret"
# Without it there is no password source: exit 1, with a hint.
run_in 1 "$v" env -u CREDENTIALS_DIRECTORY "$CT" decrypt -k "$J/identity.p12" -n db_password
contains "$err" "a store password is required"
contains "$err" "hint: there is no terminal"
contains "$err" "CREDENTIALS_DIRECTORY/keystore-password"
# An option the operator gives comes first.
run_in 0 "$v" env CREDENTIALS_DIRECTORY="$TMP/nosuch" "$CT" decrypt -k "$J/identity.p12" --password-file "$PW" -n db_password
equals "$out" "db-s3cret"
printf 'wrong\n' > "$TMP/wrong" && chmod 600 "$TMP/wrong"
run_in 1 "$v" env CREDENTIALS_DIRECTORY="$C" "$CT" decrypt -k "$J/identity.p12" --password-file "$TMP/wrong" -n db_password
# A key password that differs: the keystore-key-password credential (unicode.jks).
U=$TMP/ucred
mkdir -m 700 "$U"
printf '%s\n' 'pässwörd-密码' > "$U/keystore-password"
printf '%s\n' 'ключ-пароль' > "$U/keystore-key-password"
chmod 400 "$U"/*
keytool -list -keystore "$J/unicode.jks" -storepass 'pässwörd-密码' >/dev/null || fail "keytool: store password"
uv=$(printf 'u-s3cret' | "$CT" encrypt -k "$J/unicode.jks" --password-file "$(pwfile 'pässwörd-密码')" --alias unicode)
run_in 0 "$uv" env CREDENTIALS_DIRECTORY="$U" "$CT" decrypt -k "$J/unicode.jks" --alias unicode
equals "$out" "u-s3cret"
rm "$U/keystore-key-password"
run_in 1 "$uv" env CREDENTIALS_DIRECTORY="$U" "$CT" decrypt -k "$J/unicode.jks" --alias unicode
# A credential others can read is refused with its mode.
chmod 644 "$C/keystore-password"
run_in 1 "$v" env CREDENTIALS_DIRECTORY="$C" "$CT" decrypt -k "$J/identity.p12" -n db_password
contains "$err" "0644"
chmod 400 "$C/keystore-password"
# exec and check -k open through the same sources.
cp "$SAMPLE/deployment.toml" "$TMP/app.toml"
run_in 0 "db-s3cret" "$CT" change "$TMP/app.toml" db_password --cert "$J/identity.pem"
run 0 env CREDENTIALS_DIRECTORY="$C" "$CT" check "$TMP/app.toml" -k "$J/identity.p12"
run 0 env CREDENTIALS_DIRECTORY="$C" "$CT" exec -c "$TMP/app.toml" -k "$J/identity.p12" --env P=db_password \
    -- sh -c 'printf %s "$P"'
equals "$out" "db-s3cret"

# ---- container secrets ------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
    echo "skipped: container secret files must be owned by root; run as root for the rest"
    done_tests
    exit 0
fi
# Kubernetes' layout: NAME -> ..data/NAME, ..data -> ..TIMESTAMP/, files owned by root.
chmod 755 "$TMP"
S=$TMP/run-secrets
mkdir -p "$S/..2026_12_03_10_00_00.1"
cp "$J/identity.p12" "$S/..2026_12_03_10_00_00.1/vault.p12"
printf 'wso2carbon\n' > "$S/..2026_12_03_10_00_00.1/keystore-password"
chmod 444 "$S/..2026_12_03_10_00_00.1"/*
ln -s ..2026_12_03_10_00_00.1 "$S/..data"
ln -s ..data/vault.p12 "$S/vault.p12"
ln -s ..data/keystore-password "$S/keystore-password"
chmod -R a+rX "$S"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
# Refused without the option (readable by others), as nobody and as root.
run_in 1 "$v" as_nobody "$CT" decrypt -k "$S/vault.p12" --password-file "$S/keystore-password" -n db_password
contains "$err" "$S/keystore-password: password file mode 0444 is readable by others"
run_in 1 "$v" "$CT" decrypt -k "$S/vault.p12" --password-file "$S/keystore-password" -n db_password
# Accepted with it, with a warning; the secret is right.
run_in 0 "$v" as_nobody "$CT" decrypt -k "$S/vault.p12" --password-file "$S/keystore-password" \
    --container-secret -n db_password
equals "$out" "db-s3cret"
contains "$err" "warning: $S/keystore-password: taken as a container secret (owned by root, mode 0444)"
lacks "$err" "wso2carbon"
# Kubernetes' default mode 0644 too.
chmod 644 "$S/..data/keystore-password"
run_in 0 "$v" as_nobody "$CT" decrypt -k "$S/vault.p12" --password-file "$S/keystore-password" \
    --container-secret -n db_password
# Never a file others can write, nor one that is not root's.
chmod 666 "$S/..data/keystore-password"
run_in 1 "$v" as_nobody "$CT" decrypt -k "$S/vault.p12" --password-file "$S/keystore-password" \
    --container-secret -n db_password
contains "$err" "mode 0666"
chmod 444 "$S/..data/keystore-password"
chown 65533 "$S/..data/keystore-password"
run_in 1 "$v" as_nobody "$CT" decrypt -k "$S/vault.p12" --password-file "$S/keystore-password" \
    --container-secret -n db_password
contains "$err" "owned by uid 65533"
chown 0 "$S/..data/keystore-password"
# The option is only about --password-file: a 0444 credential is still refused.
run_in 1 "$v" env CREDENTIALS_DIRECTORY="$S" "$CT" decrypt -k "$S/vault.p12" --container-secret -n db_password
contains "$err" "0444"

# ---- samples/container ------------------------------------------------------------
# The Dockerfile's sealing step, with only the certificate.
cp "$SAMPLE/deployment.toml" "$TMP/image.toml"
run 1 "$CT" check "$TMP/image.toml"
printf 'db-s3cret' > "$TMP/db_password"
run 0 sh -c '"$1" change "$2" db_password --cert "$3" < "$4"' sh "$CT" "$TMP/image.toml" "$J/identity.pem" "$TMP/db_password"
run 0 "$CT" check "$TMP/image.toml"
lacks "$(cat "$TMP/image.toml")" "db-s3cret"
chmod 644 "$TMP/image.toml"
# entrypoint.sh as the image runs it: as an unprivileged user, the secret volume at VAULT_SECRETS.
ctdir=$(dirname "$CT")
run 0 as_nobody env -i PATH="$ctdir:/usr/bin:/bin" VAULT_CONFIG="$TMP/image.toml" VAULT_SECRETS="$S" \
    sh "$SAMPLE/entrypoint.sh" sh -c 'printf "%s|%s" "$DB_PASSWORD" "$#"' x a b
equals "$out" "db-s3cret|2"
contains "$err" "taken as a container secret"
run 0 as_nobody env -i PATH="$ctdir:/usr/bin:/bin" CIPHER_TOOL="$CT" VAULT_CONFIG="$TMP/image.toml" \
    VAULT_SECRETS="$S" VAULT_ENV="A=db_password B=db_password" dash "$SAMPLE/entrypoint.sh" \
    sh -c 'printf "%s %s" "$A" "$B"'
equals "$out" "db-s3cret db-s3cret"
# A missing alias or a missing secret volume fails before the server starts.
run 1 as_nobody env -i PATH="$ctdir:/usr/bin:/bin" VAULT_CONFIG="$TMP/image.toml" VAULT_SECRETS="$S" \
    VAULT_ENV="X=nosuch" sh "$SAMPLE/entrypoint.sh" sh -c 'echo started'
lacks "$out" "started"
run 1 as_nobody env -i PATH="$ctdir:/usr/bin:/bin" VAULT_CONFIG="$TMP/image.toml" VAULT_SECRETS="$TMP/none" \
    sh "$SAMPLE/entrypoint.sh" sh -c 'echo started'
lacks "$out" "started"
run 2 sh "$SAMPLE/entrypoint.sh"

# kubernetes.yaml: the Secret's keys are the files the entry point reads, mounted
# read-only where it looks, and the command is the entry point.
default() { sed -n "s/^: \"\${$1:=\(.*\)}\"\$/\1/p" "$SAMPLE/entrypoint.sh"; }
secrets_dir=$(default VAULT_SECRETS)
keystore=$(default VAULT_KEYSTORE); keystore=${keystore#\$VAULT_SECRETS/}
password=$(default VAULT_PASSWORD_FILE); password=${password#\$VAULT_SECRETS/}
equals "$secrets_dir $keystore $password" "/run/secrets vault.p12 keystore-password"
python3 - "$SAMPLE/kubernetes.yaml" "$secrets_dir" "$keystore" "$password" "$(default VAULT_CONFIG)" <<'PY' || fail "kubernetes.yaml"
import sys, yaml, re
path, secrets_dir, keystore, password, config = sys.argv[1:]
docs = [d for d in yaml.safe_load_all(open(path)) if d]
assert not [d for d in docs if d["kind"] == "Secret"], "a Secret with data in the manifest"
made = re.search(r"kubectl create secret generic (\S+) \\\n#\s+--from-file=(\S+)=\S+ \\\n#\s+--from-file=(\S+)=\S+",
                 open(path).read())
assert made, "the kubectl command that makes the Secret"
deploy = [d for d in docs if d["kind"] == "Deployment"][0]
pod = deploy["spec"]["template"]["spec"]
c = pod["containers"][0]
assert c["command"] == ["/app/entrypoint.sh"], c["command"]
mounts = {m["name"]: m for m in c["volumeMounts"]}
vols = {v["name"]: v for v in pod["volumes"]}
v = [v for v in vols.values() if v.get("secret", {}).get("secretName") == made.group(1)][0]
assert sorted(made.group(2, 3)) == sorted([keystore, password]), made.groups()
m = mounts[v["name"]]
assert m["mountPath"] == secrets_dir and m["readOnly"] is True, m
assert sorted(i["path"] for i in v["secret"]["items"]) == sorted([keystore, password]), v
assert v["secret"]["defaultMode"] == 0o444, v["secret"]["defaultMode"]
env = {e["name"]: e["value"] for e in c.get("env", [])}
aliases = [p.split("=", 1)[1] for p in env["VAULT_ENV"].split()]
sealed = open(sys.argv[0] if False else path.replace("kubernetes.yaml", "deployment.toml")).read()
for a in aliases:
    assert re.search(r"^%s = " % re.escape(a), sealed, re.M), a
assert pod["securityContext"]["runAsNonRoot"] is True
assert pod["automountServiceAccountToken"] is False, "a token would be mounted under /run/secrets too"
PY
ok
# The Dockerfile puts the entry point and the config where both expect them.
grep -q "^COPY entrypoint.sh /app/entrypoint.sh$" "$SAMPLE/Dockerfile" || fail "Dockerfile: entrypoint"; ok
grep -q "^COPY --from=seal /build/deployment.toml $(default VAULT_CONFIG)$" "$SAMPLE/Dockerfile" || fail "Dockerfile: config"; ok
grep -q '^ENTRYPOINT \["/app/entrypoint.sh"\]$' "$SAMPLE/Dockerfile" || fail "Dockerfile: ENTRYPOINT"; ok

done_tests
