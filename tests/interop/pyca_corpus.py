#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Judge `cipher-tool keystore list --json` on PKCS#12 files nobody here made.

python3-cryptography (pyca) is the independent reader: for every file it
opens, the certificates we list (each entry's own and its chain) must be
exactly the certificates pyca finds, and the key entry must have pyca's key
type. A file pyca cannot open must be refused by us too, with a message
naming the reason given in REFUSED.

usage: pyca_corpus.py CIPHER_TOOL TMPDIR FILE...
Prints one line per file; exits 1 on the first disagreement.
"""
import hashlib
import json
import os
import subprocess
import sys
import warnings

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

warnings.simplefilter("ignore")

# Passwords as pyca's own tests (tests/hazmat/primitives/test_pkcs12.py) give
# them: "cryptography" for its own files, none for the *-no-pwd ones, and
# NIST's "password" for the PKITS files.
PASSWORDS = (b"cryptography", None, b"password")

# Files pyca refuses, with the words our refusal must contain.
REFUSED = {}

# Files pyca cannot open that the openssl CLI reads: a certificate whose DSA
# key inherits its parameters from the issuer (RFC 3279 2.3.2) is refused by
# pyca's certificate parser. These are judged by openssl's listing, the
# private key by pyca (its PKCS#8 holds the parameters).
OPENSSL_JUDGED = {
    "DSAParametersInheritedCACert.p12": b"password",
    "ValidDSAParameterInheritanceTest5EE.p12": b"password",
}

KEY_TYPES = (
    (rsa.RSAPrivateKey, "RSA"),
    (ec.EllipticCurvePrivateKey, "EC"),
    (dsa.DSAPrivateKey, "DSA"),
    (ed25519.Ed25519PrivateKey, "Ed25519"),
    (ed448.Ed448PrivateKey, "Ed448"),
)


def sha256(cert):
    if isinstance(cert, OpensslP12.Cert):
        return hashlib.sha256(cert.der).hexdigest()
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


class OpensslP12:
    """What `openssl pkcs12` reads from a file, shaped like pyca's result."""

    class Cert:
        def __init__(self, der):
            self.der = der

    def __init__(self, path, pw):
        def pk12(*args):
            return subprocess.run(["openssl", "pkcs12", "-in", path, "-passin", "pass:" + pw.decode()]
                                  + list(args), capture_output=True, check=True).stdout
        certs = pem_blocks(pk12("-nokeys"), b"CERTIFICATE")
        self.cert = None
        self.additional_certs = [self.Cert(d) for d in certs]
        keys = pem_blocks(pk12("-nocerts", "-nodes"), b"PRIVATE KEY")
        self.key = serialization.load_der_private_key(keys[0], None) if keys else None


def pem_blocks(text, label):
    import base64
    out, cur = [], None
    for line in text.splitlines():
        if line == b"-----BEGIN " + label + b"-----":
            cur = []
        elif line == b"-----END " + label + b"-----":
            out.append(base64.b64decode(b"".join(cur)))
            cur = None
        elif cur is not None:
            cur.append(line.strip())
    return out


def pyca_open(data, name, path):
    if name in OPENSSL_JUDGED:
        return OpensslP12(path, OPENSSL_JUDGED[name]), OPENSSL_JUDGED[name]
    for pw in PASSWORDS:
        try:
            return pkcs12.load_pkcs12(data, pw), pw
        except Exception:
            continue
    return None, None


def ours(tool, tmp, path, pw):
    pwfile = os.path.join(tmp, "pw")
    fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, (pw or b"") + b"\n")
    os.close(fd)
    return subprocess.run([tool, "keystore", "list", "-k", path, "--password-file", pwfile, "--json"],
                          capture_output=True, stdin=subprocess.DEVNULL)


def judge(tool, tmp, path):
    name = os.path.basename(path)
    with open(path, "rb") as f:
        data = f.read()
    p12, pw = pyca_open(data, name, path)
    if p12 is None:
        want = REFUSED.get(name)
        if want is None:
            return "pyca cannot open it and no reason is recorded"
        r = ours(tool, tmp, path, b"password")
        err = r.stderr.decode(errors="replace")
        if r.returncode != 1 or want not in err or name not in err:
            return "expected exit 1 with '%s', got %d: %s" % (want, r.returncode, err.strip())
        return None
    r = ours(tool, tmp, path, pw)
    if r.returncode != 0:
        return "exit %d: %s" % (r.returncode, r.stderr.decode(errors="replace").strip())
    listing = json.loads(r.stdout)
    got = set()
    key_types = []
    for e in listing["entries"]:
        # docs/JSON.md: key ids are typed objects; a certificate's is cert-sha256.
        got.update(k["value"] for k in e.get("key_ids", []) if k["type"] == "cert-sha256")
        got.update(k["value"] for k in e.get("chain", []) if k["type"] == "cert-sha256")
        if e["kind"] == "private-key":
            key_types.append(e["key_algorithm"])
    want = set()
    if p12.cert is not None:
        want.add(sha256(p12.cert.certificate))
    for c in p12.additional_certs:
        want.add(sha256(getattr(c, "certificate", c)))
    if got != want:
        return "certificates differ: pyca %s, ours %s" % (sorted(want), sorted(got))
    want_keys = []
    if p12.key is not None:
        want_keys = [n for t, n in KEY_TYPES if isinstance(p12.key, t)] or ["?"]
    if key_types != want_keys:
        return "key types differ: pyca %s, ours %s" % (want_keys, key_types)
    return None


def main():
    tool, tmp, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    bad = 0
    for path in files:
        why = judge(tool, tmp, path)
        if why:
            print("DIFFER %s: %s" % (os.path.basename(path), why))
            bad += 1
    print("%d files, %d agree, %d differ" % (len(files), len(files) - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
