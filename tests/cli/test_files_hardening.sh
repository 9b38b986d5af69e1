#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Files under attack: render -o onto another user's file or a link planted
# while it runs, FIFOs in place of files, hard links, other users' files,
# extended attributes and ACLs, password files in a Kubernetes Secret volume.
# getfattr/getfacl, stat and cmp judge; the writer is cipher-tool as root.
source "$(dirname "$0")/lib.sh"
J=$SH/fixtures/java
PW=$(pwfile wso2carbon)
KS=(-k "$J/identity.p12" --password-file "$PW")
[ "$(id -u)" = 0 ] || { echo "needs root (files of other users)"; exit 1; }
NOBODY=$(id -u nobody)

# A config with one Java-sealed value, and a template using it.
vec_value() { awk -F'\t' -v id="$1" '$1 == id {print $5}' "$J/vectors.tsv"; }
vec_plain() { awk -F'\t' -v id="$1" '$1 == id {print $4}' "$J/vectors.tsv" | base64 -d; }
mkdir "$TMP/conf"
CONF=$TMP/conf/deployment.toml
cat > "$CONF" <<EOF
[keystore.primary]
file_name = "$J/identity.jks"
alias = "wso2carbon"

[secrets]
db_password = "$(vec_value 28)"
EOF
printf 'password=$secret{db_password}\n' > "$TMP/app.in"
RCONF=(-c "$CONF" --password-file "$PW")
# prompt EXPECTED_EXIT CMD...: run, and the refusal must come within a second (a FIFO,
# link or foreign file is judged on its descriptor, never waited on).
prompt() {
    local t0 ms
    t0=$(date +%s%N)
    run "$1" timeout 5 "${@:2}"
    ms=$((($(date +%s%N) - t0) / 1000000))
    [ "$ms" -lt 1000 ] || fail "took ${ms} ms: ${*:2}"; ok
}

# ---- render -o ----------------------------------------------------------
# Another user's 0600 file: refused, not given the secrets, owner unchanged.
printf 'theirs\n' > "$TMP/theirs.conf"; chmod 600 "$TMP/theirs.conf"; chown nobody "$TMP/theirs.conf"
run 1 "$CT" render "$TMP/app.in" -o "$TMP/theirs.conf" "${RCONF[@]}"
contains "$err" "$TMP/theirs.conf"
contains "$err" "owned by uid $NOBODY"
equals "$(cat "$TMP/theirs.conf")" "theirs"
equals "$(stat -c %u:%a "$TMP/theirs.conf")" "$NOBODY:600"

# A link planted after render started (it is reading its template from a
# FIFO): refused at write time, the link's target untouched.
printf 'victim\n' > "$TMP/victim"; chmod 644 "$TMP/victim"
before=$(stat -c %i:%u:%a:%Y "$TMP/victim")
mkfifo "$TMP/tpl.fifo"
( set +e; "$CT" render - -o "$TMP/late.conf" "${RCONF[@]}" < "$TMP/tpl.fifo" \
      > "$TMP/late.out" 2> "$TMP/late.err"; echo $? > "$TMP/late.rc" ) &
exec 5> "$TMP/tpl.fifo"
sleep 0.5
ln -s "$TMP/victim" "$TMP/late.conf"
cat "$TMP/app.in" >&5
exec 5>&-
wait
equals "$(cat "$TMP/late.rc")" 1
contains "$(cat "$TMP/late.err")" "$TMP/late.conf: is a symbolic link"
equals "$(cat "$TMP/victim")" "victim"
equals "$(stat -c %i:%u:%a:%Y "$TMP/victim")" "$before"
[ -L "$TMP/late.conf" ] || fail "the planted link was replaced"; ok
lacks "$(cat "$TMP/late.out" "$TMP/late.err")" "$(vec_plain 28)"

# A file planted while render runs (no OUT at the start) is not overwritten.
rm -f "$TMP/tpl.fifo"; mkfifo "$TMP/tpl.fifo"
( set +e; "$CT" render - -o "$TMP/new.conf" "${RCONF[@]}" < "$TMP/tpl.fifo" \
      > /dev/null 2> "$TMP/new.err"; echo $? > "$TMP/new.rc" ) &
exec 5> "$TMP/tpl.fifo"
sleep 0.5
printf 'planted\n' > "$TMP/new.conf"; chmod 644 "$TMP/new.conf"
cat "$TMP/app.in" >&5
exec 5>&-
wait
equals "$(cat "$TMP/new.rc")" 1
equals "$(cat "$TMP/new.conf")" "planted"
# Our own 0600 file is replaced; nothing is left beside it.
run 0 "$CT" render "$TMP/app.in" -o "$TMP/mine.conf" "${RCONF[@]}"
run 0 "$CT" render "$TMP/app.in" -o "$TMP/mine.conf" "${RCONF[@]}"
equals "$(cat "$TMP/mine.conf")" "password=$(vec_plain 28)"
equals "$(stat -c %a "$TMP/mine.conf")" 600
equals "$(ls -A "$TMP" | grep -c '\.tmp-' || true)" 0

# ---- FIFOs in place of files: fail at once ----------------------------------
mkfifo "$TMP/conf.fifo.toml" "$TMP/ks.fifo" "$TMP/pw.fifo"
prompt 1 "$CT" check "$TMP/conf.fifo.toml"
contains "$err" "$TMP/conf.fifo.toml: unreadable: is a FIFO, not a regular file"
prompt 1 "$CT" keystore list -k "$TMP/ks.fifo" --password-file "$PW"
contains "$err" "$TMP/ks.fifo: is a FIFO"
prompt 1 "$CT" render "$TMP/app.in" -c "$CONF" --password-file "$TMP/pw.fifo"
contains "$err" "$TMP/pw.fifo: is a FIFO"
prompt 1 "$CT" seal "$TMP/conf.fifo.toml" "${KS[@]}"
contains "$err" "$TMP/conf.fifo.toml: is a FIFO"
[ -p "$TMP/conf.fifo.toml" ] || fail "the FIFO was replaced"; ok

# ---- seal: hard links, other users, extended attributes ---------------------
fresh() { cp "$SH/fixtures/wso2-home/repository/conf/deployment.toml" "$1"; chmod 640 "$1"; }
fresh "$TMP/d.toml"; ln "$TMP/d.toml" "$TMP/d-link.toml"; cp "$TMP/d.toml" "$TMP/d.orig"
prompt 1 "$CT" seal "$TMP/d.toml" "${KS[@]}"
contains "$err" "$TMP/d.toml: has 2 hard links"
cmp -s "$TMP/d.toml" "$TMP/d.orig" && cmp -s "$TMP/d-link.toml" "$TMP/d.orig" || fail "a linked name changed"; ok
equals "$(stat -c %h "$TMP/d.toml")" 2

# nobody's file in nobody's directory: nobody could swap names under root.
mkdir "$TMP/nob"; fresh "$TMP/nob/d.toml"; chown -R nobody "$TMP/nob"; chmod 755 "$TMP/nob"
before=$(stat -c %i:%u:%a:%Y "$TMP/nob/d.toml")
prompt 1 "$CT" seal "$TMP/nob/d.toml" "${KS[@]}"
contains "$err" "$TMP/nob/d.toml: owned by uid $NOBODY in a directory owned by uid $NOBODY"
equals "$(stat -c %i:%u:%a:%Y "$TMP/nob/d.toml")" "$before"
cmp -s "$TMP/nob/d.toml" "$TMP/d.orig" || fail "nobody's file changed"; ok

# user.* attributes and a POSIX ACL survive a seal.
fresh "$TMP/x.toml"
setfattr -n user.origin -v ops "$TMP/x.toml"
setfacl -m u:nobody:r "$TMP/x.toml"
acl_before=$(getfacl -c "$TMP/x.toml")
run 0 "$CT" seal "$TMP/x.toml" "${KS[@]}"
run 0 "$CT" check "$TMP/x.toml" "${KS[@]}"
equals "$(getfattr --only-values -n user.origin "$TMP/x.toml")" "ops"
equals "$(getfacl -c "$TMP/x.toml")" "$acl_before"
contains "$acl_before" "user:nobody:r--"

# security.* attributes survive too (setting one needs CAP_SYS_ADMIN and a file system
# that keeps them); the inode changes, so the file was replaced, not edited in place.
fresh "$TMP/s.toml"
if setfattr -n security.vault-test -v keep "$TMP/s.toml" 2>/dev/null; then
    ino=$(stat -c %i "$TMP/s.toml")
    run 0 "$CT" seal "$TMP/s.toml" "${KS[@]}"
    [ "$(stat -c %i "$TMP/s.toml")" != "$ino" ] || fail "seal did not replace the file"; ok
    equals "$(getfattr --only-values -n security.vault-test "$TMP/s.toml")" "keep"
    run 0 "$CT" check "$TMP/s.toml" "${KS[@]}"
else
    echo "skipped: security.* attributes (setfattr not permitted here)"
fi

# ---- password files -----------------------------------------------------
# A Kubernetes Secret volume: pw -> ..data/pw, ..data -> ..2026_01_01_00_00_00.1
K=$TMP/k8s; mkdir -p "$K/..2026_01_01_00_00_00.1"
printf 'wso2carbon\n' > "$K/..2026_01_01_00_00_00.1/pw"; chmod 400 "$K/..2026_01_01_00_00_00.1/pw"
ln -s ..2026_01_01_00_00_00.1 "$K/..data"; ln -s ..data/pw "$K/pw"
run 0 "$CT" render "$TMP/app.in" -c "$CONF" --password-file "$K/pw"
equals "$out" "password=$(vec_plain 28)"
# ... but the final target is still judged: readable by others is refused.
chmod 444 "$K/..2026_01_01_00_00_00.1/pw"
run 1 "$CT" render "$TMP/app.in" -c "$CONF" --password-file "$K/pw"
contains "$err" "0444"
# A password file owned by another user is refused.
OTHER=$(pwfile wso2carbon); chown nobody "$OTHER"
prompt 1 "$CT" render "$TMP/app.in" -c "$CONF" --password-file "$OTHER"
contains "$err" "$OTHER: password file is owned by uid $NOBODY"
lacks "$out" "$(vec_plain 28)"

done_tests
