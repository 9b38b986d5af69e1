#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# check and list on a product home (the file WSO2's start-up reads:
# repository/conf/deployment.toml, else security/cipher-text.properties), and
# --type for a configuration whose name does not tell its type.
source "$(dirname "$0")/lib.sh"
J=$SH/fixtures/java
KS=(-k "$J/identity.p12" --password-file "$(pwfile wso2carbon)")
H=$TMP/home
cp -r "$SH/fixtures/wso2-home" "$H"
chmod -R u+w "$H"
TOML=$H/repository/conf/deployment.toml
PROPS=$H/repository/conf/security/cipher-text.properties

# A home with a deployment.toml: that file, named in every message.
run 1 "$CT" check "$H"
contains "$err" "$TOML: line 30: alias \"admin_password\": plain text secret"
lacks "$err" "cipher-text.properties"
run 0 "$CT" list "$H"
equals "$(printf '%s\n' "$out" | head -1)" "$TOML:"
run 0 "$CT" list "$H" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys; f = json.load(sys.stdin)["files"]; print(len(f), f[0]["file"], len(f[0]["secrets"]))')" \
    "1 $TOML $(python3 -c 'import sys, tomllib; print(len(tomllib.load(open(sys.argv[1], "rb"))["secrets"]))' "$TOML")"
run 0 "$CT" seal "$TOML" "${KS[@]}"
run 0 "$CT" check "$H" "${KS[@]}"
run 0 "$CT" check "$H/" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys; o = json.load(sys.stdin); print(o["ok"], o["files"])')" "True ['$H/']"
# What render reads from the same home is what check judged.
printf 'admin=$secret{admin_password}\n' > "$TMP/t.txt"
run 0 "$CT" render "$TMP/t.txt" -c "$H" "${KS[@]}"
equals "$out" "admin=admin"

# Without a deployment.toml: the home's cipher-text.properties.
rm "$TOML"
run 1 "$CT" check "$H"
contains "$err" "$PROPS: line"
lacks "$err" "deployment.toml"
run 0 "$CT" list "$H"
equals "$(printf '%s\n' "$out" | head -1)" "$PROPS:"
# A directory that is no home: one error naming it, exit 1.
mkdir "$TMP/empty"
run 1 "$CT" list "$TMP/empty"
contains "$err" "$TMP/empty"
run 1 "$CT" check "$TMP/empty" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys; p = json.load(sys.stdin)["problems"]; print([(x["code"], x["line"], x["alias"]) for x in p])')" \
    "[('unreadable', None, None)]"

# --type: a name that tells nothing, read as the type given.
cp "$SH/fixtures/wso2-home/repository/conf/deployment.toml" "$TMP/app.conf"
cp "$SH/fixtures/wso2-home/repository/conf/security/cipher-text.properties" "$TMP/app.cfg"
run 1 "$CT" list "$TMP/app.conf"
contains "$err" "cannot tell the configuration type"
contains "$err" "hint: give the type with --type toml or --type properties"
run 1 "$CT" check "$TMP/app.conf"
contains "$err" "hint: give the type with --type toml or --type properties"
run 0 "$CT" list --type toml "$TMP/app.conf"
contains "$out" "admin_password"
run 0 "$CT" list --type properties "$TMP/app.cfg" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["files"][0]["secrets"]) > 0)')" True
# The wrong type is a format error naming the file, not a guess.
run 1 "$CT" check --type properties "$TMP/app.conf"
contains "$err" "$TMP/app.conf"
run 1 "$CT" check --type toml "$TMP/app.conf"
contains "$err" "plain text secret"
run 2 "$CT" check --type yaml "$TMP/app.conf"
contains "$err" 'unknown --type "yaml" (toml, properties or xml)'
run 2 "$CT" list --type yaml "$TMP/app.conf" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys; print(json.load(sys.stdin)["error"]["code"])')" usage

# XML files: every element marked svns:secretAlias must hold the placeholder
# "password". python3's xml.etree judges which ones still hold a secret.
cat > "$TMP/ds.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<datasources-configuration xmlns:svns="http://org.wso2.securevault/configuration">
  <datasources>
    <datasource><name>A</name>
      <definition type="RDBMS"><configuration>
          <username>wso2</username>
          <password svns:secretAlias="Datasources.A.Password">password</password>
      </configuration></definition>
    </datasource>
    <datasource><name>B</name>
      <definition type="RDBMS"><configuration>
          <password svns:secretAlias="Datasources.B.Password">s3cret-left</password>
      </configuration></definition>
    </datasource>
    <Property name="x" password="still-plain" svns:secretAlias="Prop.X"/>
    <Property name="y" password="password" svns:secretAlias="Prop.Y"/>
    <Long svns:secretAlias="Long.Password">first line
second line</Long>
    <After svns:secretAlias="After.Clean">password</After>
    <After svns:secretAlias="After.Plain">left-after</After>
  </datasources>
</datasources-configuration>
XML
judge() {
    python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
NS = "{http://org.wso2.securevault/configuration}secretAlias"
plain = []
for e in ET.parse(sys.argv[1]).iter():
    alias = e.get(NS)
    if alias is None:
        continue
    # The element's text; for an empty element, its password attribute (Carbon's form).
    value = e.text if e.text else e.get("password")
    if value != "password":
        plain.append(alias)
print(sorted(plain))
PY
}
run 1 "$CT" check "$TMP/ds.xml" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys; print(sorted(p["alias"] for p in json.load(sys.stdin)["problems"] if p["code"] == "plain-text"))')" \
    "$(judge "$TMP/ds.xml")"
run 1 "$CT" check "$TMP/ds.xml"
contains "$err" "$TMP/ds.xml: line $(grep -n 'Datasources.B.Password' "$TMP/ds.xml" | cut -d: -f1): alias \"Datasources.B.Password\": plain text secret"
lacks "$err" "s3cret-left"
lacks "$err" "still-plain"
# Once every mark holds the placeholder, the file passes (--type for another name).
sed -e 's/s3cret-left/password/' -e 's/still-plain/password/' -e 's/left-after/password/' -e '/^second line/d' \
    -e 's/>first line$/>password<\/Long>/' "$TMP/ds.xml" > "$TMP/ds.conf"
equals "$(judge "$TMP/ds.conf")" "[]"
run 1 "$CT" check "$TMP/ds.conf"
run 0 "$CT" check --type xml "$TMP/ds.conf"
run 0 "$CT" check --type xml "$TMP/ds.conf" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys; o = json.load(sys.stdin); print(o["ok"], o["problems"])')" "True []"
# Malformed XML is a problem of the whole file.
printf '<a><b svns:secretAlias="x">pw</a>' > "$TMP/bad.xml"
run 1 "$CT" check "$TMP/bad.xml" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys; print([(p["code"], p["line"], p["alias"]) for p in json.load(sys.stdin)["problems"]])')" \
    "[('unreadable', None, None)]"
# list reads the same marks (tests/cli/test_xml_list.sh for more).
run 0 "$CT" list --type xml "$TMP/ds.conf" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys; print(sorted(s["state"] for s in json.load(sys.stdin)["files"][0]["secrets"]))')" \
    "$(python3 -c 'import sys, xml.etree.ElementTree as ET
n = sum(1 for e in ET.parse(sys.argv[1]).iter() if "{http://org.wso2.securevault/configuration}secretAlias" in e.attrib)
print(sorted(["marked"] * n))' "$TMP/ds.conf")"

# seal takes a home and --type as check and list do; python's tomllib and
# Java-style properties reading judge what was written.
H2=$TMP/home2
cp -r "$SH/fixtures/wso2-home" "$H2"
chmod -R u+w "$H2"
run 0 "$CT" seal "$H2" "${KS[@]}"
contains "$err" "$H2/repository/conf/deployment.toml"
python3 -c 'import sys, tomllib; s = tomllib.load(open(sys.argv[1], "rb"))["secrets"]; \
sys.exit(any(v.startswith("[") for v in s.values()))' "$H2/repository/conf/deployment.toml" ||
    fail "seal of the home left a plain value in its deployment.toml"
ok
run 0 "$CT" check "$H2" "${KS[@]}"
cp "$SH/fixtures/wso2-home/repository/conf/deployment.toml" "$TMP/seal.conf"
chmod u+w "$TMP/seal.conf"
before=$(sha256sum <"$TMP/seal.conf")
run 1 "$CT" seal "$TMP/seal.conf" "${KS[@]}"
contains "$err" "give the type"
equals "$(sha256sum <"$TMP/seal.conf")" "$before"
run 0 "$CT" seal --type toml "$TMP/seal.conf" "${KS[@]}"
run 0 "$CT" check --type toml "$TMP/seal.conf" "${KS[@]}"
run 2 "$CT" seal --type xml "$TMP/seal.conf" "${KS[@]}"
run 1 "$CT" seal "$TMP/empty" "${KS[@]}"

done_tests
