/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resolves the secrets of a WSO2 product home by the rules of WSO2's own
 * runtime, written from reading its sources (carbon-secvault SecretManager
 * and FileBaseSecretRepository, carbon-kernel's config mapper template for
 * [secrets]); the independent judge of what a product home will give its
 * server at start-up. It shares no code with cipher-tool.
 *
 * usage: java WSO2Resolve HOME STOREPASS [KEYPASS]
 *
 * The rules:
 *  - The home is Carbon 4 (repository/conf/...) or EI/MI (conf/...).
 *  - secret-conf.properties (conf/security/) names the keystore
 *    (keystore.identity.location, relative to the home, the server's working
 *    directory; keystore.identity.type; keystore.identity.alias, which must
 *    not be empty), the values file (secretRepositories.file.location,
 *    default cipher-text.properties) and ONE way to open every value:
 *    secretRepositories.file.encryptionMode=symmetric means AES/GCM/NoPadding
 *    with the alias's secret key and the JSON {"cipherText","iv"} form;
 *    otherwise secretRepositories.file.algorithm, absent = "RSA" (PKCS#1
 *    v1.5), one raw RSA block in base64.
 *  - When deployment.toml has a [secrets] table the server writes
 *    cipher-text.properties from it at start-up as "name=value" lines (the
 *    template copies the TOML string as it is), then loads that file with
 *    java.util.Properties (ISO-8859-1 bytes, backslash escapes, \\uXXXX).
 *  - Each value is trimmed and opened; an empty value, or one that does not
 *    open or opens to nothing, gives the ALIAS NAME as the secret (the
 *    runtime only logs a warning).
 *
 * Output: one line per alias, sorted, "alias<TAB>hex of the secret's UTF-8
 * bytes" (the alias name's bytes when it failed, as the server would get).
 * Exit 0 when every value opened; 3 when some alias resolved to its own
 * name (a "WARN ... alias" line names each on stderr); 1 when the runtime
 * would not start (SecretManager.init fails); 2 for usage.
 */
import java.io.ByteArrayInputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

public class WSO2Resolve {
    static class StartupFailure extends Exception {
        StartupFailure(String m) { super(m); }
    }

    private static Path firstExisting(Path home, String... rels) {
        for (String r : rels) {
            Path p = home.resolve(r);
            if (Files.exists(p))
                return p;
        }
        return null;
    }

    /* ${carbon.home} and a relative path are the home, the server's working directory. */
    private static Path inHome(Path home, String location) {
        String l = location.replace("${carbon.home}", home.toString());
        Path p = Paths.get(l);
        return p.isAbsolute() ? p : home.resolve(p);
    }

    /* ---- deployment.toml [secrets], as the config mapper reads it ---- */

    private static final Pattern KEY = Pattern.compile("\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'|[A-Za-z0-9_.-]+)\\s*=\\s*(.*)");

    private static String tomlString(String s, int[] end) throws StartupFailure {
        StringBuilder b = new StringBuilder();
        if (s.startsWith("'")) {
            int e = s.indexOf('\'', 1);
            if (e < 0)
                throw new StartupFailure("deployment.toml: unterminated literal string");
            end[0] = e + 1;
            return s.substring(1, e);
        }
        if (!s.startsWith("\""))
            throw new StartupFailure("deployment.toml: a [secrets] value that is not a string");
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                end[0] = i + 1;
                return b.toString();
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char n = s.charAt(++i);
            switch (n) {
            case 'n': b.append('\n'); break;
            case 't': b.append('\t'); break;
            case 'r': b.append('\r'); break;
            case 'b': b.append('\b'); break;
            case 'f': b.append('\f'); break;
            case 'u': b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16)); i += 4; break;
            case 'U': b.appendCodePoint(Integer.parseInt(s.substring(i + 1, i + 9), 16)); i += 8; break;
            default: b.append(n);
            }
        }
        throw new StartupFailure("deployment.toml: unterminated string");
    }

    private static String unquoteKey(String k) throws StartupFailure {
        if (k.startsWith("\"") || k.startsWith("'"))
            return tomlString(k, new int[1]);
        return k;
    }

    /* The cipher-text.properties text the template writes from [secrets]. */
    private static byte[] secretsAsProperties(Path toml) throws Exception {
        StringBuilder out = new StringBuilder();
        boolean in = false;
        for (String line : Files.readAllLines(toml, StandardCharsets.UTF_8)) {
            String t = line.trim();
            if (t.startsWith("[")) {
                in = t.matches("\\[\\s*secrets\\s*\\](\\s*#.*)?");
                continue;
            }
            if (!in || t.isEmpty() || t.startsWith("#"))
                continue;
            Matcher m = KEY.matcher(line);
            if (!m.matches())
                throw new StartupFailure("deployment.toml: cannot read the [secrets] line: " + t);
            int[] end = new int[1];
            String value = tomlString(m.group(2).trim(), end);
            out.append(unquoteKey(m.group(1))).append('=').append(value).append('\n');
        }
        /* The generated file is written in the platform's encoding and read
         * back by Properties.load as ISO-8859-1. */
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /* ---- the one way to open values ---- */

    private static byte[] open(String alg, boolean symmetric, Key key, String value) throws Exception {
        if (symmetric) {
            String json = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
            String ct = jsonString(json, "cipherText"), iv = jsonString(json, "iv");
            Cipher c = Cipher.getInstance(alg);
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, Base64.getDecoder().decode(iv)));
            return c.doFinal(Base64.getDecoder().decode(ct));
        }
        Cipher c = Cipher.getInstance(alg);
        c.init(Cipher.DECRYPT_MODE, key);
        return c.doFinal(Base64.getMimeDecoder().decode(value));
    }

    /* A string member of Gson's flat JSON, \\uXXXX escapes decoded. */
    private static String jsonString(String json, String name) throws Exception {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
        if (!m.find())
            throw new Exception("Value \"" + name + "\" not found in JSON");
        StringBuilder b = new StringBuilder();
        String s = m.group(1);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && s.charAt(i + 1) == 'u') {
                b.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16));
                i += 5;
            } else if (c == '\\') {
                b.append(s.charAt(++i));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static int resolve(Path home, char[] storePass, char[] keyPass) throws Exception {
        Path secretConf = firstExisting(home, "repository/conf/security/secret-conf.properties",
                                        "conf/security/secret-conf.properties");
        if (secretConf == null)
            throw new StartupFailure("no secret-conf.properties: the secure vault is not configured");
        Properties conf = new Properties();
        try (InputStream in = new FileInputStream(secretConf.toFile())) {
            conf.load(in);
        }
        String location = conf.getProperty("keystore.identity.location");
        String type = conf.getProperty("keystore.identity.type", "JKS");
        String alias = conf.getProperty("keystore.identity.alias");
        if (location == null || location.trim().isEmpty())
            throw new StartupFailure("keystore.identity.location is not set");
        if (alias == null || alias.trim().isEmpty())
            throw new StartupFailure("The alias need to provided");
        String mode = conf.getProperty("secretRepositories.file.encryptionMode");
        boolean symmetric = "symmetric".equals(mode);
        String alg = conf.getProperty("secretRepositories.file.algorithm", symmetric ? "AES/GCM/NoPadding" : "RSA");

        KeyStore ks = KeyStore.getInstance(type.trim());
        try (InputStream in = new FileInputStream(inHome(home, location.trim()).toFile())) {
            ks.load(in, storePass);
        } catch (Exception e) {
            throw new StartupFailure("Error loading keyStore from ' " + location + " ' : " + e.getMessage());
        }
        Key key = ks.getKey(alias.trim(), keyPass);
        if (key == null)
            throw new StartupFailure("no key entry " + alias + " in the keystore");
        /* CipherFactory: the mode decides the cipher; a key of the wrong kind is "Invalid key". */
        boolean secretKey = key.getAlgorithm().equals("AES");
        if (symmetric != secretKey)
            throw new StartupFailure("Invalid key ");
        try {
            Cipher.getInstance(alg).init(Cipher.DECRYPT_MODE, key,
                                         symmetric ? new GCMParameterSpec(128, new byte[12]) : null);
        } catch (Exception e) {
            throw new StartupFailure("There is no algorithm support for '" + alg + "': " + e);
        }

        byte[] raw;
        Path toml = firstExisting(home, "repository/conf/deployment.toml", "conf/deployment.toml");
        if (toml != null && Files.readString(toml, StandardCharsets.UTF_8).matches("(?ms).*^\\s*\\[\\s*secrets\\s*\\].*")) {
            raw = secretsAsProperties(toml);
        } else {
            String file = conf.getProperty("secretRepositories.file.location", "cipher-text.properties");
            raw = Files.readAllBytes(inHome(home, file.trim()));
        }
        Properties values = new Properties();
        values.load(new ByteArrayInputStream(raw)); /* ISO-8859-1, as the server loads the file */

        TreeMap<String, byte[]> out = new TreeMap<>();
        List<String> failed = new ArrayList<>();
        for (String name : values.stringPropertyNames()) {
            String v = values.getProperty(name).trim();
            byte[] secret = null;
            if (!v.isEmpty()) {
                try {
                    secret = open(alg, symmetric, key, v);
                } catch (Exception e) {
                    secret = null;
                }
            }
            if (secret == null || secret.length == 0) {
                failed.add(name);
                secret = name.getBytes(StandardCharsets.UTF_8);
            }
            out.put(name, secret);
        }
        HexFormat hex = HexFormat.of();
        for (var e : out.entrySet())
            System.out.println(e.getKey() + "\t" + hex.formatHex(e.getValue()));
        for (String f : failed)
            System.err.println("WARN Error decrypting secret for the alias : " + f);
        return failed.isEmpty() ? 0 : 3;
    }

    public static void main(String[] args) {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: java WSO2Resolve HOME STOREPASS [KEYPASS]");
            System.exit(2);
        }
        char[] store = args[1].toCharArray();
        char[] keyPass = (args.length == 3 ? args[2] : args[1]).toCharArray();
        try {
            System.exit(resolve(Paths.get(args[0]).toAbsolutePath(), store, keyPass));
        } catch (StartupFailure e) {
            System.err.println("ERROR SecretManager: " + e.getMessage());
            System.exit(1);
        } catch (Exception e) {
            System.err.println("ERROR " + e);
            System.exit(1);
        }
    }
}
