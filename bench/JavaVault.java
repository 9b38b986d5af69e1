/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Java way, as WSO2's secure vault and cipher tool do it: load the JKS
 * keystore with java.security.KeyStore and run one JCE RSA operation per
 * value with "RSA/ECB/OAEPwithSHA1andMGF1Padding" (one Cipher, initialised
 * once, doFinal per value, as the secure vault's BaseCipher does).
 *
 *   java JavaVault decrypt KEYSTORE STOREPASS ALIAS|- VALUES [PASSES]
 *       Reads VALUES (standard base64, one per line) and decrypts every one.
 *       Prints "java-decrypt n=N cold_us=... load_us=... warm_us=... checksum=...":
 *       cold is the first pass in a fresh JVM (reading the values file,
 *       loading the keystore, decrypting), which is what a server start-up
 *       pays; warm is the median of PASSES - 1 further passes in the same JVM.
 *   java JavaVault seal KEYSTORE STOREPASS ALIAS|- PLAIN OUT
 *       Encrypts every line of PLAIN to the certificate's public key and
 *       writes the base64 values to OUT, one per line. Prints
 *       "java-seal n=N in_process_us=...".
 *
 * The checksum (FNV-1a 64 of each plaintext followed by '\n') is the one
 * vault_bench and vault_floor print for the same plaintexts.
 */
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.Key;
import java.security.KeyStore;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Enumeration;
import java.util.List;
import javax.crypto.Cipher;

public final class JavaVault {
    private static final String TRANSFORMATION = "RSA/ECB/OAEPwithSHA1andMGF1Padding";

    private JavaVault() {
    }

    private static KeyStore load(String path, char[] pass) throws Exception {
        KeyStore ks = KeyStore.getInstance("JKS");
        try (InputStream in = new FileInputStream(path)) {
            ks.load(in, pass);
        }
        return ks;
    }

    private static String keyAlias(KeyStore ks, String alias) throws Exception {
        if (!"-".equals(alias)) {
            return alias;
        }
        for (Enumeration<String> e = ks.aliases(); e.hasMoreElements();) {
            String a = e.nextElement();
            if (ks.isKeyEntry(a)) {
                return a;
            }
        }
        throw new IllegalStateException("no key entry");
    }

    private static long fnv(long h, byte[] p) {
        for (byte b : p) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= '\n';
        return h * 0x100000001b3L;
    }

    private static List<String> lines(String path) throws Exception {
        List<String> out = new ArrayList<>();
        for (String l : Files.readAllLines(Paths.get(path), StandardCharsets.UTF_8)) {
            if (!l.isEmpty()) {
                out.add(l);
            }
        }
        return out;
    }

    /** One start-up: values, keystore, key, one cipher, every value. */
    private static long[] decryptPass(String[] a, char[] pass) throws Exception {
        long t0 = System.nanoTime();
        List<String> values = lines(a[4]);
        KeyStore ks = load(a[1], pass);
        Key key = ks.getKey(keyAlias(ks, a[3]), pass);
        long t1 = System.nanoTime();
        Cipher c = Cipher.getInstance(TRANSFORMATION);
        c.init(Cipher.DECRYPT_MODE, key);
        long sum = 0xcbf29ce484222325L;
        Base64.Decoder dec = Base64.getDecoder();
        for (String v : values) {
            byte[] pt = c.doFinal(dec.decode(v));
            sum = fnv(sum, pt);
            Arrays.fill(pt, (byte) 0);
        }
        long t2 = System.nanoTime();
        return new long[] {t2 - t0, t1 - t0, sum, values.size()};
    }

    private static void decrypt(String[] a) throws Exception {
        char[] pass = a[2].toCharArray();
        int passes = a.length > 5 ? Integer.parseInt(a[5]) : 1;
        long[] cold = decryptPass(a, pass);
        long[] warm = new long[Math.max(passes - 1, 0)];
        for (int i = 0; i < warm.length; i++) {
            warm[i] = decryptPass(a, pass)[0];
        }
        Arrays.sort(warm);
        String warmUs = warm.length == 0 ? "nan"
                : String.format("%.1f", (warm.length % 2 == 1 ? warm[warm.length / 2]
                        : (warm[warm.length / 2 - 1] + warm[warm.length / 2]) / 2.0) / 1e3);
        System.out.printf("java-decrypt n=%d cold_us=%.1f load_us=%.1f warm_us=%s checksum=%016x%n",
                cold[3], cold[0] / 1e3, cold[1] / 1e3, warmUs, cold[2]);
    }

    private static void seal(String[] a) throws Exception {
        char[] pass = a[2].toCharArray();
        long t0 = System.nanoTime();
        List<String> plain = lines(a[4]);
        KeyStore ks = load(a[1], pass);
        PublicKey pub = ks.getCertificate(keyAlias(ks, a[3])).getPublicKey();
        Cipher c = Cipher.getInstance(TRANSFORMATION);
        c.init(Cipher.ENCRYPT_MODE, pub);
        Base64.Encoder enc = Base64.getEncoder();
        StringBuilder out = new StringBuilder();
        for (String p : plain) {
            out.append(enc.encodeToString(c.doFinal(p.getBytes(StandardCharsets.UTF_8)))).append('\n');
        }
        Files.write(Paths.get(a[5]), out.toString().getBytes(StandardCharsets.US_ASCII));
        long t1 = System.nanoTime();
        System.out.printf("java-seal n=%d in_process_us=%.1f%n", plain.size(), (t1 - t0) / 1e3);
    }

    public static void main(String[] a) throws Exception {
        if (a.length >= 5 && "decrypt".equals(a[0])) {
            decrypt(a);
        } else if (a.length == 6 && "seal".equals(a[0])) {
            seal(a);
        } else {
            System.err.println("usage: JavaVault decrypt KEYSTORE STOREPASS ALIAS|- VALUES [PASSES]\n"
                    + "       JavaVault seal KEYSTORE STOREPASS ALIAS|- PLAIN OUT");
            System.exit(2);
        }
    }
}
