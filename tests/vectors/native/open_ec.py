#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Open a native value sealed to an EC P-256/P-384/P-521, X25519 or Ed25519
key, following docs/FORMAT.md alone, with python3-cryptography: the
independent side of the ECDH + HKDF + ChaCha20-Poly1305 composition.

usage: open_ec.py KEY.pem ALIAS VALUE   (VALUE "-": read it from stdin)
Prints the plaintext in hex and exits 0; exits 1 with a reason otherwise.
KEY.pem holds an unencrypted PKCS#8 private key (a certificate may follow).
"""
import base64
import hashlib
import hmac
import struct
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

P25519 = 2**255 - 19
# type: (curve or None, Npk, label)
TYPES = {
    0x02: (ec.SECP256R1, 65, b"vault:v1:p256"),
    0x03: (ec.SECP384R1, 97, b"vault:v1:p384"),
    0x04: (ec.SECP521R1, 133, b"vault:v1:p521"),
    0x05: (None, 32, b"vault:v1:x25519"),
    0x06: (None, 32, b"vault:v1:ed25519"),
}


def die(msg):
    print("open_ec: " + msg, file=sys.stderr)
    sys.exit(1)


def rotl(v, n):
    return ((v << n) & 0xFFFFFFFF) | (v >> (32 - n))


def hchacha20(key, nonce16):
    """draft-irtf-cfrg-xchacha-03 section 2.2."""
    s = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    s += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))

    def qr(a, b, c, d):
        s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 7)

    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def xchacha_open(key, nonce, ct, ad):
    sub = hchacha20(key, nonce[:16])
    return ChaCha20Poly1305(sub).decrypt(b"\0" * 4 + nonce[16:], ct, ad)


def parse(value):
    if not value.startswith("vault:v1:"):
        die("not a vault:v1: value")
    text = value[len("vault:v1:"):]
    b = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if base64.urlsafe_b64encode(b).rstrip(b"=").decode() != text:
        die("non-canonical base64url")
    if b[0] != 1 or b[1] != 1 or not 1 <= b[2] <= 16:
        die("bad version, aead or count")
    off, stanzas = 3, []
    for _ in range(b[2]):
        t, kid = b[off], b[off + 1:off + 33]
        (blen,) = struct.unpack(">H", b[off + 33:off + 35])
        stanzas.append((t, kid, b[off + 35:off + 35 + blen]))
        off += 35 + blen
    header_end = off + 32
    commitment = b[off:header_end]
    nonce = b[header_end:header_end + 24]
    (ct_len,) = struct.unpack(">Q", b[header_end + 24:header_end + 32])
    ct = b[header_end + 32:]
    if len(ct) != ct_len:
        die("ciphertext length")
    return b, stanzas, commitment, nonce, ct


def ed_to_x25519_public(raw):
    """u = (1 + y) / (1 - y) mod p (RFC 7748 section 4.1)."""
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    u = (1 + y) * pow((1 - y) % P25519, P25519 - 2, P25519) % P25519
    return u.to_bytes(32, "little")


def main():
    if len(sys.argv) != 4:
        die("usage: open_ec.py KEY.pem ALIAS VALUE")
    with open(sys.argv[1], "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    alias = sys.argv[2].encode()
    value = sys.stdin.read().strip() if sys.argv[3] == "-" else sys.argv[3]
    b, stanzas, commitment, nonce, ct = parse(value)

    pub = key.public_key()
    spki = pub.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)
    key_id = hashlib.sha256(spki).digest()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        want = {"secp256r1": 2, "secp384r1": 3, "secp521r1": 4}.get(key.curve.name)
        pkr = pub.public_bytes(serialization.Encoding.X962,
                               serialization.PublicFormat.UncompressedPoint)
    elif isinstance(key, x25519.X25519PrivateKey):
        want = 5
        pkr = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        want = 6
        pkr = ed_to_x25519_public(
            pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    else:
        die("unsupported key type")
    found = [s for s in stanzas if s[0] == want and s[1] == key_id]
    if not found:
        die("sealed for another key (ours: %s)" % key_id.hex())
    t, kid, body = found[0]
    curve, npk, label = TYPES[t]
    if len(body) != npk + 48:
        die("body length")
    enc, wrapped = body[:npk], body[npk:]
    if curve is not None:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(curve(), enc)
        dh = key.exchange(ec.ECDH(), peer)
    else:
        priv = key
        if t == 0x06:
            seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                     serialization.NoEncryption())
            priv = x25519.X25519PrivateKey.from_private_bytes(hashlib.sha512(seed).digest()[:32])
        dh = priv.exchange(x25519.X25519PublicKey.from_public_bytes(enc))
    wk = HKDF(algorithm=hashes.SHA256(), length=32, salt=enc + pkr, info=label).derive(dh)
    k = ChaCha20Poly1305(wk).decrypt(b"\0" * 12, wrapped, bytes([t]) + kid)
    if not hmac.compare_digest(hmac.new(k, b"vault:v1:commitment", "sha256").digest(), commitment):
        die("commitment mismatch")
    k_aead = hmac.new(k, b"vault:v1:aead-key", "sha256").digest()
    ad = b[0:2] + commitment + struct.pack(">I", len(alias)) + alias
    print(xchacha_open(k_aead, nonce, ct, ad).hex())


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as e:  # a failed tag, an invalid point: the value does not open
        die("%s: %s" % (type(e).__name__, e))
