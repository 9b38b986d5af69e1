#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# check, list and render take a file for an XML file with svns:secretAlias marks by
# the library's naming rule (vault_config_type_from_name()): *.xml in any
# case, as *.toml and *.properties are. WSO2's rule judges the marks: an
# element marked svns:secretAlias must hold the placeholder "password", its
# secret being in cipher-text.properties.
source "$(dirname "$0")/lib.sh"

marked() { # FILE VALUE: one element marked with the alias a.b holding VALUE
    printf '<?xml version="1.0"?>\n<root xmlns:svns="http://org.wso2.securevault/configuration">\n  <A svns:secretAlias="a.b">%s</A>\n</root>\n' "$2" > "$1"
}

for name in carbon.xml CARBON.XML Master-Datasources.Xml; do
    marked "$TMP/$name" 'left in plain text'
    run 1 "$CT" check --json "$TMP/$name"
    equals "$(jq -r '.problems | length' <<<"$out")" 1
    equals "$(jq -r '.problems[0].code' <<<"$out")" plain-text
    equals "$(jq -r '.problems[0].alias' <<<"$out")" a.b
    equals "$(jq -r '.problems[0].line' <<<"$out")" 3
    run 0 "$CT" list --json "$TMP/$name"
    equals "$(jq -r '.files[0].secrets[0].state' <<<"$out")" plain
    marked "$TMP/$name" password
    run 0 "$CT" check "$TMP/$name"
    run 0 "$CT" list --json "$TMP/$name"
    equals "$(jq -r '.files[0].secrets[0].state' <<<"$out")" marked
done

# a name that tells nothing is refused, with the hint to give the type
marked "$TMP/carbon.xml.bak" 'left in plain text'
run 1 "$CT" check "$TMP/carbon.xml.bak"
contains "$err" "cannot tell the configuration type"
contains "$err" "--type"
run 1 "$CT" check --type xml "$TMP/carbon.xml.bak"
contains "$err" 'alias "a.b": plain text secret'

# render: a template named *.XML is XML too, its marked element getting the
# secret XML-escaped (--text keeps it text); a value Java 17's JCE sealed
# (fixtures/java) opens.
J=$SH/fixtures/java
PW=$(pwfile wso2carbon)
row=28 # p@ss w0rd=with"quotes'&<xml> (raw OAEP-SHA1)
mkdir "$TMP/conf"
cat > "$TMP/conf/deployment.toml" <<TOML
[keystore.primary]
file_name = "$J/identity.jks"
alias = "wso2carbon"

[secrets]
db_password = "$(awk -F'\t' -v id=$row '$1 == id {print $5}' "$J/vectors.tsv")"
TOML
printf '<ds xmlns:svns="http://org.wso2.securevault/configuration">\n  <password svns:secretAlias="db_password">password</password>\n</ds>\n' > "$TMP/DS.XML"
run 0 "$CT" render "$TMP/DS.XML" -c "$TMP/conf/deployment.toml" --password-file "$PW"
# python3's XML parser reads back what Java sealed
got=$(python3 -c 'import sys, xml.etree.ElementTree as E; sys.stdout.write(E.fromstring(sys.stdin.read()).find("password").text)' <<<"$out")
equals "$got" "$(awk -F'\t' -v id=$row '$1 == id {print $4}' "$J/vectors.tsv" | base64 -d)"
run 0 "$CT" render "$TMP/DS.XML" --text -c "$TMP/conf/deployment.toml" --password-file "$PW"
equals "$out" "$(cat "$TMP/DS.XML")"

done_tests
