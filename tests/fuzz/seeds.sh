#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fill the seed corpora of the fuzz targets: seeds.sh CORPUS_DIR
# makes CORPUS_DIR/<target>/ from ../shared (or $VAULT_SHARED) and
# tests/vectors/native. Nothing here is committed: the seeds are copies
# (keystores with the selector bytes fuzz_keystore.c expects in front) and
# values sealed now with openssl to the KAT test key.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${VAULT_SHARED:-$root/../shared}
out=${1:?usage: seeds.sh CORPUS_DIR}
[ -d "$shared" ] || { echo "seeds.sh: no shared directory at $shared" >&2; exit 1; }
shared=$(cd "$shared" && pwd)
native=$root/tests/vectors/native

for t in keystore sealed config xml legacy_map; do
    rm -rf "${out:?}/$t"
    mkdir -p "$out/$t"
done

# A seed's name: its path below the source with / turned into _.
seed_name() {
    local rel=${1#"$shared"/}
    rel=${rel#"$root"/}
    echo "${rel//\//_}"
}

# Store and key password indexes into the tables of fuzz_keystore.c.
keystore_passwords() {
    case $1 in
        */unicode.jks) echo "7 4" ;;
        */custom_entry_passwords.*) echo "4 1" ;;
        */non_ascii_password.jks) echo "8 0" ;;
        */truststore.jks) echo "6 0" ;;
        */pyjks/*/empty.*) echo "5 0" ;;
        */keystore-go/*/keystore_keypass.jks) echo "3 3" ;;
        */keystore-go/*) echo "3 0" ;;
        */cjks/*) echo "0 0" ;;
        */pyjks/*) echo "1 0" ;;
        *) echo "2 0" ;;
    esac
}

# fuzz_keystore input: type AUTO (0) + 6 * store password index, then the
# key password index, then the file.
add_keystore() {
    local file=$1 pw key
    read -r pw key < <(keystore_passwords "$file")
    {
        printf '%b' "\\0$(printf %03o $((pw * 6)))\\0$(printf %03o "$key")"
        cat "$file"
    } >"$out/keystore/$(seed_name "$file")"
}

while IFS= read -r -d '' f; do
    add_keystore "$f"
done < <(find "$shared/keystores" "$shared/fixtures/java" "$shared/fixtures/wso2-home" "$native" \
    -type f \( -name '*.jks' -o -name '*.jceks' -o -name '*.p12' -o -name '*.pem' -o -name '*.cer' \
    -o -name '*.crt' -o -name '*.key' -o -name '*.bks*' -o -name '*.uber' -o -name 'keystore*' \) -print0)
# The custom_entry_passwords secret entries have their own key password.
f=$shared/keystores/pyjks/tests/keystores/jceks/custom_entry_passwords.jceks
if [ -f "$f" ]; then
    { printf '\030\002'; cat "$f"; } >"$out/keystore/secret_$(seed_name "$f")"
fi

# A PKCS#12 file with an RFC 9579 PBMAC1 MAC (store password "changeit", index
# 0), made now from the KAT key: fuzz_keystore cannot recompute such a MAC, so
# its mutations exercise the PBMAC1 parameters and check as they are.
pbmac1_seed() {
    local tmp
    command -v openssl >/dev/null && command -v python3 >/dev/null || return 0
    tmp=$(mktemp -d)
    openssl pkcs12 -export -in "$native/kat-key.pem" -name kat -passout pass:changeit \
        -out "$tmp/base.p12" &&
        python3 "$root/tests/interop/pbmac1.py" "$tmp/base.p12" "$tmp/pbmac1.p12" changeit &&
        { printf '\0\0'; cat "$tmp/pbmac1.p12"; } >"$out/keystore/pbmac1.p12"
    rm -rf "$tmp"
}
pbmac1_seed

# fuzz_sealed input: "alias\nvalue".
# (awk: bash's read would merge the empty fields of a tab-separated line.)
# The EC, X25519 and Ed25519 ones (kat-ec.tsv) open with the keys fuzz_sealed
# embeds too, so that mutations reach native_stanza_ec.c.
for t in kat kat-ec; do
    awk -F'\t' -v dir="$out/sealed" -v t=$t '!/^#/ && $1 != "expect" && NF >= 5 {
        f = sprintf("%s/%s-%d-%s-%s", dir, t, n++, $1, $2); printf "%s\n%s", $3, $5 > f; close(f) }' \
        "$native/$t.tsv"
done
awk -F'\t' -v dir="$out/sealed" '!/^#/ && NF >= 5 {
    f = sprintf("%s/java-%s-%s", dir, $1, $2); printf "wso2carbon\n%s", $5 > f; close(f) }' \
    "$shared/fixtures/java/vectors.tsv"
while IFS= read -r line; do
    case $line in *=*cipherText\ *) ;; *) continue ;; esac
    # The properties escape of '=' is undone: the value is what Java reads.
    printf 'secvault\n%s' "${line##*cipherText }" | sed 's/\\=/=/g' >"$out/sealed/secvault-$(printf %s "${line%%=*}" | tr -c 'A-Za-z0-9.' _)"
done <"$shared/keystores/wso2-secvault/components/org.wso2.carbon.secvault/src/test/resources/securevault/conf/secrets.properties"

# WSO2 raw and holder values that open with the KAT key, sealed now.
wso2_seeds() {
    local key=$native/kat-key.pem tp ct name t opts spec
    command -v openssl >/dev/null || return 0
    tp=$(openssl x509 -in "$key" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
    for spec in "pkcs1|RSA|-pkeyopt rsa_padding_mode:pkcs1" \
                "oaep|RSA/ECB/OAEPwithSHA1andMGF1Padding|-pkeyopt rsa_padding_mode:oaep" \
                "oaep256|RSA/ECB/OAEPWithSHA-256AndMGF1Padding|-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha1"; do
        IFS='|' read -r name t opts <<<"$spec"
        # shellcheck disable=SC2086
        ct=$(printf 'fuzz-plaintext' | openssl pkeyutl -encrypt -certin -inkey "$key" $opts | base64 -w0)
        printf 'x\n%s' "$ct" >"$out/sealed/kat-raw-$name"
        printf '{"c":"%s","t":"%s","tp":"%s","tpd":"SHA-1"}' "$ct" "$t" "$tp" | base64 -w0 |
            { printf 'x\n'; cat; } >"$out/sealed/kat-holder-$name"
    done
}
wso2_seeds

# Configuration files, cipher-tool maps and XML files as they are.
copy_seeds() {
    local target=$1; shift
    local f
    for f in "$@"; do
        [ -f "$f" ] && cp "$f" "$out/$target/$(seed_name "$f")"
    done
    return 0
}
conf=$shared/fixtures/wso2-home/repository/conf
secvault=$shared/keystores/wso2-secvault/components/org.wso2.carbon.secvault/src/test/resources
copy_seeds config "$conf/deployment.toml" "$root/samples/server/deployment.toml" \
    "$conf/security/cipher-text.properties" "$conf/security/cipher-tool.properties" \
    "$secvault/securevault/conf/secrets.properties"
copy_seeds legacy_map "$conf/security/cipher-tool.properties" "$conf/security/cipher-text.properties"
while IFS= read -r -d '' f; do
    copy_seeds xml "$f"
done < <(find "$conf" "$secvault" -type f -name '*.xml' -print0)

# Marked documents (what vault_xml_expand() reads), one in ISO-8859-1.
cat >"$out/xml/marked-carbon.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<!-- marked by the cipher tool -->
<Server xmlns="http://wso2.org/projects/carbon/carbon.xml" xmlns:svns="http://org.wso2.securevault/configuration">
  <Security>
    <KeyStore>
      <Location>${carbon.home}/repository/resources/security/wso2carbon.jks</Location>
      <Password svns:secretAlias="Carbon.Security.KeyStore.Password">password</Password>
    </KeyStore>
  </Security>
  <Service>
    <Connector port="9443" keystorePass="password" svns:secretAlias="Server.Service.Connector.keystorePass"/>
  </Service>
</Server>
XML
{
    echo '<?xml version="1.0" encoding="ISO-8859-1"?>'
    echo '<UserManager xmlns:sv="http://org.wso2.securevault/configuration"><Realm><Configuration>'
    printf '<AdminUser><UserName>adm\351</UserName><Password sv:secretAlias="unknown">password</Password>\n'
    echo '</AdminUser><![CDATA[ <x> ]]>&amp;&#233;</Configuration></Realm></UserManager>'
} >"$out/xml/marked-latin1.xml"

for t in keystore sealed config xml legacy_map; do
    echo "seeds.sh: $t: $(find "$out/$t" -type f | wc -l) seeds"
done
