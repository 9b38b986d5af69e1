/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Java side of the WSO2 interop test: Java 17's KeyStore and Cipher, used
 * the way WSO2's cipher tool and secure vault use them, judge what
 * cipher-tool sealed (and seal values for cipher-tool to open).
 *
 * usage: java JavaDecrypt KEYSTORE STORETYPE STOREPASS ALIAS < requests
 * Each request line: "decrypt FORM TRANSFORMATION VALUE" prints the
 * plaintext as hex; "encrypt FORM TRANSFORMATION HEX" prints a value.
 * FORM is raw, holder or gcm-json. Any failure: a message on stderr, exit 1.
 */
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

public class JavaDecrypt {
    /* Gson's compact output of WSO2's CipherHolder and SymmetricCipher JSON. */
    private static final Pattern HOLDER = Pattern.compile(
        "\\{\"c\":\"([A-Za-z0-9+/]+(?:\\\\u003d){0,2})\",\"t\":\"([^\"]+)\",\"tp\":\"([0-9A-F]{40})\",\"tpd\":\"SHA-1\"\\}");
    private static final Pattern GCM = Pattern.compile(
        "\\{\"cipherText\":\"([A-Za-z0-9+/]+(?:\\\\u003d){0,2})\",\"iv\":\"([A-Za-z0-9+/]+(?:\\\\u003d){0,2})\"\\}");

    private final KeyStore ks;
    private final String alias;
    private final char[] password;

    private JavaDecrypt(KeyStore ks, String alias, char[] password) {
        this.ks = ks;
        this.alias = alias;
        this.password = password;
    }

    private static byte[] unbase64(String s) {
        return Base64.getDecoder().decode(s.replace("\\u003d", "="));
    }

    private static String gson(String base64) {
        return base64.replace("=", "\\u003d");
    }

    private byte[] rsa(int mode, String transformation, byte[] in) throws Exception {
        Cipher c = Cipher.getInstance(transformation);
        if (mode == Cipher.DECRYPT_MODE)
            c.init(mode, ks.getKey(alias, password));
        else
            c.init(mode, ks.getCertificate(alias));
        return c.doFinal(in);
    }

    private String thumbprint() throws Exception {
        Certificate cert = ks.getCertificate(alias);
        byte[] d = MessageDigest.getInstance("SHA-1").digest(cert.getEncoded());
        return HexFormat.of().withUpperCase().formatHex(d);
    }

    private byte[] decrypt(String form, String transformation, String value) throws Exception {
        switch (form) {
        case "raw":
            return rsa(Cipher.DECRYPT_MODE, transformation, Base64.getDecoder().decode(value));
        case "holder": {
            String json = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
            Matcher m = HOLDER.matcher(json);
            if (!m.matches())
                throw new Exception("not Gson's CipherHolder JSON: " + json);
            if (!m.group(2).equals(transformation))
                throw new Exception("holder says " + m.group(2) + ", expected " + transformation);
            if (!m.group(3).equals(thumbprint()))
                throw new Exception("holder thumbprint " + m.group(3) + " is not " + thumbprint());
            return rsa(Cipher.DECRYPT_MODE, m.group(2), unbase64(m.group(1)));
        }
        case "gcm-json": {
            String json = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
            Matcher m = GCM.matcher(json);
            if (!m.matches())
                throw new Exception("not WSO2's GCM JSON: " + json);
            byte[] iv = unbase64(m.group(2));
            if (iv.length != 128)
                throw new Exception("IV of " + iv.length + " bytes, WSO2 uses 128");
            Cipher c = Cipher.getInstance(transformation);
            c.init(Cipher.DECRYPT_MODE, ks.getKey(alias, password), new GCMParameterSpec(128, iv));
            return c.doFinal(unbase64(m.group(1)));
        }
        default:
            throw new Exception("unknown form " + form);
        }
    }

    private String encrypt(String form, String transformation, byte[] plain) throws Exception {
        Base64.Encoder b64 = Base64.getEncoder();
        switch (form) {
        case "raw":
            return b64.encodeToString(rsa(Cipher.ENCRYPT_MODE, transformation, plain));
        case "gcm-json": {
            byte[] iv = new byte[128];
            new SecureRandom().nextBytes(iv);
            Cipher c = Cipher.getInstance(transformation);
            c.init(Cipher.ENCRYPT_MODE, ks.getKey(alias, password), new GCMParameterSpec(128, iv));
            String json = "{\"cipherText\":\"" + gson(b64.encodeToString(c.doFinal(plain)))
                + "\",\"iv\":\"" + gson(b64.encodeToString(iv)) + "\"}";
            return b64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
        }
        default:
            throw new Exception("cannot encrypt form " + form);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4 && args.length != 5) {
            System.err.println("usage: java JavaDecrypt KEYSTORE STORETYPE STOREPASS ALIAS [KEYPASS] < requests");
            System.exit(2);
        }
        char[] password = args[2].toCharArray();
        KeyStore ks = KeyStore.getInstance(args[1]);
        try (java.io.FileInputStream in = new java.io.FileInputStream(args[0])) {
            ks.load(in, password);
        }
        /* The key password, when it differs from the store password. */
        char[] keyPassword = args.length == 5 ? args[4].toCharArray() : password;
        JavaDecrypt judge = new JavaDecrypt(ks, args[3], keyPassword);
        BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        int n = 0;
        while ((line = r.readLine()) != null) {
            String[] f = line.split(" ", 4);
            n++;
            try {
                if (f.length != 4)
                    throw new Exception("bad request");
                if (f[0].equals("decrypt"))
                    System.out.println(HexFormat.of().formatHex(judge.decrypt(f[1], f[2], f[3])));
                else
                    System.out.println(judge.encrypt(f[1], f[2], HexFormat.of().parseHex(f[3])));
            } catch (Exception e) {
                System.err.println("request " + n + " (" + (f.length > 2 ? f[1] + " " + f[2] : line) + "): " + e);
                System.exit(1);
            }
        }
    }
}
