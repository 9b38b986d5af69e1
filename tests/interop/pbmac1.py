#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Replace the MAC of a PKCS#12 file with an RFC 9579 PBMAC1 MAC.

usage: pbmac1.py IN.p12 OUT.p12 PASSWORD [--prf SHA] [--hmac SHA]
                 [--iter N] [--keylen N|none] [--prf-oid OID]

Written from RFC 9579 and RFC 8018 with the standard library only (hashlib's
PBKDF2 and HMAC), independently of the C reader it tests: the MAC is
HMAC-<hmac> over the octets of the authSafe's Data content, keyed by
PBKDF2-HMAC-<prf>(UTF-8 password, salt, iterations, keyLength); the MacData's
macSalt is "NOT USED" as in RFC 9579's examples, and iterations is left at
its DEFAULT of 1 (DER). The PBKDF2 salt is random. --keylen none leaves keyLength
out (which RFC 9579 forbids); --prf-oid names another PRF in the file while
the MAC is still computed with --prf (for refusal tests).
"""
import hashlib
import hmac
import os
import sys

OIDS = {
    "pbmac1": "1.2.840.113549.1.5.14",
    "pbkdf2": "1.2.840.113549.1.5.12",
    "sha1": "1.2.840.113549.2.7",
    "sha224": "1.2.840.113549.2.8",
    "sha256": "1.2.840.113549.2.9",
    "sha384": "1.2.840.113549.2.10",
    "sha512": "1.2.840.113549.2.11",
}


def tlv(data, off):
    """(tag, start of content, end of content) of the DER element at off."""
    tag = data[off]
    n = data[off + 1]
    off += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0:
            raise ValueError("indefinite length")
        n = int.from_bytes(data[off:off + k], "big")
        off += k
    return tag, off, off + n


def children(data, start, end):
    out = []
    while start < end:
        tag, cs, ce = tlv(data, start)
        out.append((tag, start, cs, ce))
        start = ce
    return out


def enc(tag, content):
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + length + content


def seq(*parts):
    return enc(0x30, b"".join(parts))


def integer(v):
    return enc(0x02, v.to_bytes(v.bit_length() // 8 + 1, "big"))


def octets(b):
    return enc(0x04, b)


def oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    body = bytes([40 * arcs[0] + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        body += bytes(reversed(chunk))
    return enc(0x06, body)


def alg(dotted, params=b"\x05\x00"):
    return seq(oid(dotted), params)


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    src, dst, password = argv[1], argv[2], argv[3].encode("utf-8")
    opts = {"--prf": "sha256", "--hmac": "sha256", "--iter": "2048", "--keylen": None,
            "--prf-oid": None}
    rest = argv[4:]
    while rest:
        if rest[0] not in opts or len(rest) < 2:
            sys.exit("unknown option " + rest[0])
        opts[rest[0]] = rest[1]
        rest = rest[2:]
    prf, mac_hash, iters = opts["--prf"], opts["--hmac"], int(opts["--iter"])
    keylen = opts["--keylen"] or str(hashlib.new(mac_hash).digest_size)

    data = open(src, "rb").read()
    _, ps, pe = tlv(data, 0)
    version, content_info = children(data, ps, pe)[:2]
    # ContentInfo ::= SEQUENCE { id-data, [0] EXPLICIT OCTET STRING }
    ci = children(data, content_info[2], content_info[3])
    _, _, inner_s, inner_e = ci[1]
    _, os_s, os_e = tlv(data, inner_s)
    auth_safe = data[os_s:os_e]

    salt = os.urandom(16)
    key_len = None if keylen == "none" else int(keylen)
    key = hashlib.pbkdf2_hmac(prf, password, salt, iters,
                              key_len or hashlib.new(mac_hash).digest_size)
    mac = hmac.new(key, auth_safe, mac_hash).digest()

    kdf_params = octets(salt) + integer(iters)
    if key_len is not None:
        kdf_params += integer(key_len)
    kdf_params += alg(opts["--prf-oid"] or OIDS[prf])
    params = seq(alg(OIDS["pbkdf2"], seq(kdf_params)), alg(OIDS[mac_hash]))
    mac_data = seq(seq(alg(OIDS["pbmac1"], params), octets(mac)), octets(b"NOT USED"))
    pfx = seq(data[version[1]:version[3]], data[content_info[1]:content_info[3]], mac_data)
    with open(dst, "wb") as f:
        f.write(pfx)


if __name__ == "__main__":
    main(sys.argv)
