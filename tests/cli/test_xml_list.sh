#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# list and check of XML files marked with svns:secretAlias: a file with
# several values over several lines (and a start tag over several lines), and
# a legacy product home marked by -Dconfigure. python3's expat parser is the
# judge: the aliases, the line of each marked start tag, which still hold a
# secret; the home's cipher-tool.properties says which aliases each XML file
# must carry.
source "$(dirname "$0")/lib.sh"
SCHEMA=$(cd "$(dirname "$0")/../../docs" && pwd)/json-schema.json

cat > "$TMP/multi.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<root xmlns:svns="http://org.wso2.securevault/configuration">
  <A svns:secretAlias="A.Multi">line one
line two
line three</A>
  <B svns:secretAlias="B.Clean">password</B>
  <C svns:secretAlias="C.Multi">x
y</C>
  <D svns:secretAlias="D.Clean">password</D>
  <E svns:secretAlias="E.Plain">single</E>
  <F
     attr="1"
     svns:secretAlias="F.Clean">password</F>
  <!-- a comment
       over three
       lines -->
  <G svns:secretAlias="G.Multi"><![CDATA[p
q]]></G>
  <Property name="k" password="password"
            svns:secretAlias="H.Attr"/>
  <Property name="l" password="left
  over" svns:secretAlias="I.AttrPlain"/>
  <J svns:secretAlias="J.Clean">password</J>
</root>
XML

# judge FILE: "alias line state" per marked element, in document order
# (state: marked when it holds the placeholder, else plain).
judge() {
    python3 - "$1" <<'PY'
import sys, xml.parsers.expat
NS = "http://org.wso2.securevault/configuration secretAlias"
p = xml.parsers.expat.ParserCreate(namespace_separator=" ")
stack, out = [], []
def start(name, attrs):
    alias = attrs.get(NS)
    rec = None
    if alias is not None:
        rec = [alias, p.CurrentLineNumber, "", any(v == "password" for k, v in attrs.items() if k != NS)]
        out.append(rec)
    stack.append(rec)
def end(name):
    rec = stack.pop()
    if rec is not None:
        rec[2] = "marked" if rec[2] == "password" or (rec[2] == "" and rec[3]) else "plain"
def chars(data):
    if stack and stack[-1] is not None:
        stack[-1][2] += data
p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
p.ParseFile(open(sys.argv[1], "rb"))
for alias, line, state, _ in out:
    print(alias, line, state)
PY
}
want=$(judge "$TMP/multi.xml")
# The file is what it should be: plain and clean marks between the multi-line values.
equals "$(printf '%s\n' "$want" | awk '{print $3}' | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')" "marked=5 plain=5 "

# list: every mark, its line and state, as the judge reads them.
run 0 "$CT" list "$TMP/multi.xml" --json
printf '%s' "$out" > "$TMP/list.json"
equals "$(python3 -c 'import json, sys
for s in json.load(open(sys.argv[1]))["files"][0]["secrets"]:
    print(s["alias"], s["line"], s["state"])' "$TMP/list.json")" "$want"
# ... in the JSON contract's shape (docs/json-schema.json), no format for XML marks.
if python3 -c 'import jsonschema' 2>/dev/null; then
    python3 - "$SCHEMA" "$TMP/list.json" <<'PY' || fail "list --json of an XML file against docs/json-schema.json"
import json, sys, jsonschema
o = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(o)
assert all(s["format"] is None and s["key_ids"] == [] for s in o["files"][0]["secrets"])
PY
    ok
fi
run 0 "$CT" list "$TMP/multi.xml"
equals "$(printf '%s\n' "$out" | sed -n 1p)" "$TMP/multi.xml:"
equals "$(printf '%s\n' "$out" | tail -n +2 | awk '{print $1, $2}')" "$(printf '%s\n' "$want" | awk '{print $1, $3}')"
contains "$out" "F.Clean                                  marked  /root/F"
contains "$out" "H.Attr                                   marked  /root/Property[1]/@password"
# Never a secret, in either form.
lacks "$out$(cat "$TMP/list.json")" "line two"
lacks "$out$(cat "$TMP/list.json")" "single"
# --type xml for a name that does not tell the type; the same listing.
cp "$TMP/multi.xml" "$TMP/multi.conf"
run 0 "$CT" list --type xml "$TMP/multi.conf" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys
for s in json.load(sys.stdin)["files"][0]["secrets"]:
    print(s["alias"], s["line"], s["state"])')" "$want"

# check: exactly the plain marks, each at its own line, none of the clean ones.
run 1 "$CT" check "$TMP/multi.xml" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys
for p in json.load(sys.stdin)["problems"]:
    print(p["alias"], p["line"], p["code"])')" "$(printf '%s\n' "$want" | awk '$3 == "plain" {print $1, $2, "plain-text"}')"
run 1 "$CT" check "$TMP/multi.xml"
equals "$(printf '%s\n' "$err" | grep -c 'plain text secret')" 5
while read -r alias line state; do
    if [ "$state" = plain ]; then
        contains "$err" "$TMP/multi.xml: line $line: alias \"$alias\": plain text secret"
    else
        lacks "$err" "\"$alias\""
    fi
done <<<"$want"
lacks "$err" "left"
# The lines the judge gave are those grep finds for the start tags written on one line.
equals "$(grep -n 'svns:secretAlias="E.Plain"' "$TMP/multi.xml" | cut -d: -f1)" \
    "$(printf '%s\n' "$want" | awk '$1 == "E.Plain" {print $2}')"
equals "$(grep -n '^  <F$' "$TMP/multi.xml" | cut -d: -f1)" "$(printf '%s\n' "$want" | awk '$1 == "F.Clean" {print $2}')"
# Once each plain mark holds the placeholder, check passes and list says marked.
python3 - "$TMP/multi.xml" "$TMP/clean.xml" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
t = re.sub(r'(svns:secretAlias="[A-G]\.[A-Za-z]+">)(.*?)(</)', r'\1password\3', t, flags=re.S)
t = t.replace('password="left\n  over"', 'password="password"')
open(sys.argv[2], "w").write(t)
PY
equals "$(judge "$TMP/clean.xml" | awk '{print $3}' | sort -u)" marked
run 0 "$CT" check "$TMP/clean.xml"
run 0 "$CT" list "$TMP/clean.xml"
lacks "$out" " plain "

# Failures name the file; JSON mode prints the error object, exit 1.
run 1 "$CT" list "$TMP/nosuch.xml"
contains "$err" "$TMP/nosuch.xml: cannot open the file"
printf '<a><b svns:secretAlias="x">pw</a>' > "$TMP/bad.xml"
run 1 "$CT" list "$TMP/bad.xml" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys; print(json.load(sys.stdin)["error"]["code"])')" format
contains "$err" "$TMP/bad.xml"
# Several files: the XML file beside a properties file, each under its own name.
printf 'a.b=[x]\n' > "$TMP/c.properties"
run 0 "$CT" list "$TMP/c.properties" "$TMP/multi.xml" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys; print([(f["file"], len(f["secrets"])) for f in json.load(sys.stdin)["files"]])')" \
    "[('$TMP/c.properties', 1), ('$TMP/multi.xml', 10)]"

# A legacy product home (no deployment.toml): check and list read, besides
# its cipher-text.properties, the XML files its cipher-tool.properties maps
# aliases into. python3 reads the map (alias, file, line of the entry).
H=$TMP/home
cp -r "$SH/fixtures/wso2-home" "$H"
chmod -R u+w "$H"
rm "$H/repository/conf/deployment.toml"
MAP=$H/repository/conf/security/cipher-tool.properties
map_entries() { # "line alias file" per entry of the map
    python3 - "$MAP" <<'PY'
import sys
for n, line in enumerate(open(sys.argv[1]), 1):
    line = line.strip()
    if line and line[0] not in "#!":
        alias, value = line.split("=", 1)
        print(n, alias, value.split("//", 1)[0])
PY
}
[ "$(map_entries | wc -l)" -ge 4 ] || fail "the fixture's map has its entries"; ok
# As the product ships: nothing marked yet, each alias of the map is named at its line.
run 1 "$CT" check "$H" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys
for p in json.load(sys.stdin)["problems"]:
    if p["code"] == "not-marked":
        print(p["line"], p["alias"], p["detail"], p["file"])')" \
    "$(map_entries | while read -r n a f; do echo "$n $a $H/$f $MAP"; done)"
if python3 -c 'import jsonschema' 2>/dev/null; then
    printf '%s' "$out" | python3 -c 'import json, sys, jsonschema
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(sys.stdin))' "$SCHEMA" ||
        fail "check --json of a legacy home against docs/json-schema.json"
    ok
fi
# list agrees: each alias of the map under its XML file, not marked, at the
# map's line, with the map's XPath (python3 reads the map); in the JSON
# contract's shape.
map_xpaths() { # "line alias file xpath" per entry of the map
    python3 - "$MAP" <<'PY'
import sys
for n, line in enumerate(open(sys.argv[1]), 1):
    line = line.strip()
    if line and line[0] not in "#!":
        alias, value = line.split("=", 1)
        f, xpath = value.split("//", 1)
        print(n, alias, f, "//" + xpath.rsplit(",", 1)[0] if xpath.endswith((",true", ",false")) else "//" + xpath)
PY
}
run 0 "$CT" list "$H" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys
for f in json.load(sys.stdin)["files"]:
    for s in f["secrets"]:
        if s["state"] == "not-marked":
            print(s["line"], s["alias"], f["file"], s["xpath"])')" \
    "$(map_xpaths | while read -r n a f x; do echo "$n $a $H/$f $x"; done)"
if python3 -c 'import jsonschema' 2>/dev/null; then
    printf '%s' "$out" | python3 -c 'import json, sys, jsonschema
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(sys.stdin))' "$SCHEMA" ||
        fail "list --json of an unmarked legacy home against docs/json-schema.json"
    ok
fi
run 0 "$CT" list "$H"
equals "$(printf '%s\n' "$out" | grep -c '(not marked)$')" "$(map_entries | wc -l)"
run 1 "$CT" check "$H"
first=$(map_entries | sed -n 1p) # sed reads it all: no broken pipe
contains "$err" "$MAP: line ${first%% *}: alias \"$(echo "$first" | cut -d' ' -f2)\": not marked in its XML file: $H/"
PW=$(pwfile wso2carbon)
(cd "$H" && "$CT" -Dconfigure --password-file "$PW" >/dev/null 2>&1) || fail "-Dconfigure of the legacy home"
ok
run 0 "$CT" check "$H"
# list of the home: its cipher-text.properties, then each XML file of the map once.
run 0 "$CT" list "$H" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys
for f in json.load(sys.stdin)["files"]:
    print(" ".join([f["file"]] + [s["alias"] + "=" + s["state"] for s in f["secrets"] if f["file"].endswith(".xml")]))')" \
    "$(echo "$H/repository/conf/security/cipher-text.properties"
       map_entries | awk -v h="$H" '!seen[$3]++ {files[++n] = $3} {a[$3] = a[$3] " " $2 "=marked"}
           END {for (i = 1; i <= n; i++) print h "/" files[i] a[files[i]]}')"
# A secret put back in one XML file: check of the home names it at its line (expat's).
U=$H/repository/conf/user-mgt.xml
sed -i 's|\(svns:secretAlias="UserManager.AdminUser.Password">\)password<|\1admin<|' "$U"
run 1 "$CT" check "$H" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys
for p in json.load(sys.stdin)["problems"]:
    print(p["file"], p["line"], p["alias"], p["code"])')" \
    "$(judge "$U" | awk -v f="$U" '$3 == "plain" {print f, $2, $1, "plain-text"}')"
lacks "$out" "admin<"
sed -i 's|\(svns:secretAlias="UserManager.AdminUser.Password">\)admin<|\1password<|' "$U"
run 0 "$CT" check "$H"
# An XML file of the map that is gone: named, exit 1, for both; list still shows the others.
mv "$U" "$TMP/user-mgt.xml"
run 1 "$CT" check "$H" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys; print([(p["file"], p["code"]) for p in json.load(sys.stdin)["problems"]])')" \
    "[('$U', 'unreadable')]"
run 1 "$CT" list "$H"
contains "$err" "$U: cannot open the file"
contains "$out" "$H/repository/conf/carbon.xml:"
run 1 "$CT" list "$H" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys; print(json.load(sys.stdin)["error"]["code"])')" not-found
mv "$TMP/user-mgt.xml" "$U"
while read -r file aliases; do
    run 0 "$CT" list "$H/$file" --json
    equals "$(printf '%s' "$out" | python3 -c 'import json, sys
print(" ".join(sorted(s["alias"] + "=" + s["state"] for s in json.load(sys.stdin)["files"][0]["secrets"])))')" \
        "$(for a in $aliases; do echo "$a=marked"; done | sort | tr '\n' ' ' | sed 's/ $//')"
    equals "$(judge "$H/$file" | awk '{print $1 "=" $3}' | sort | tr '\n' ' ' | sed 's/ $//')" \
        "$(for a in $aliases; do echo "$a=marked"; done | sort | tr '\n' ' ' | sed 's/ $//')"
done < <(python3 - "$H/repository/conf/security/cipher-tool.properties" <<'PY'
import collections, sys
files = collections.defaultdict(list)
for line in open(sys.argv[1]):
    line = line.strip()
    if not line or line[0] in "#!":
        continue
    alias, value = line.split("=", 1)
    files[value.split("//", 1)[0]].append(alias)
for f, aliases in files.items():
    print(f, " ".join(aliases))
PY
)
run 0 "$CT" check "$H"/repository/conf/*.xml "$H"/repository/conf/*/*.xml

done_tests
