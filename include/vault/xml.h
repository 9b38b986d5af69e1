/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * libvault: secrets in XML configuration files, the WSO2 Carbon way.
 *
 * The legacy cipher-tool.properties map says, for each secret alias, which
 * XML file and which element (or attribute) holds the secret:
 *
 *     alias=repository/conf/carbon.xml//Server/Security/KeyStore/Password,false
 *     alias=repository/conf/tomcat/catalina-server.xml//Server/Service/Connector[@keystorePass],true
 *
 * Marking a secret replaces the element text (",false") or the attribute
 * named in the last [@...] of the xpath (",true") by the placeholder
 * "password", adds svns:secretAlias="alias" to the element and declares
 * xmlns:svns="http://org.wso2.securevault/configuration" on the root
 * element. Unlike the Java tool, which re-serialises the whole document,
 * libvault edits the original bytes: everything else stays byte-identical.
 *
 * XPaths are evaluated as the Java tool does with its namespace-unaware
 * parser: element and attribute names are matched by their local names,
 * whatever namespace (default or prefixed) they are in.
 */
#ifndef VAULT_XML_H
#define VAULT_XML_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The namespace of svns:secretAlias. */
#define VAULT_XML_SECUREVAULT_NS "http://org.wso2.securevault/configuration"

/** The text that replaces a marked secret in the XML file. */
#define VAULT_XML_PLACEHOLDER "password"

/** One line of cipher-tool.properties; strings owned by the map. */
typedef struct vault_legacy_entry {
    const char *alias;          /**< The secret alias (decoded key). */
    const char *file;           /**< XML file, relative to the product home as written. */
    const char *xpath;          /**< The xpath, starting with "//" as the Java tool uses it. */
    int attribute;              /**< 1 for ",true": the secret is an attribute. */
    const char *attribute_name; /**< The attribute named by the last [@...], or NULL. */
    unsigned int line;          /**< 1-based line of the entry. */
} vault_legacy_entry;

/** A parsed cipher-tool.properties. */
typedef struct vault_legacy_map vault_legacy_map;

/**
 * Read a cipher-tool.properties map (Java properties syntax).
 *
 * Each value is FILE//XPATH, optionally followed by ",true" or ",false"
 * (after the last comma). With ",true" the secret is the attribute named by
 * the xpath's last predicate, e.g. "[@keystorePass]" or "[@type='x']", or
 * by a final "/@name"; an xpath naming no attribute (an element) means the
 * element's text, as the Java tool reads ",true" there.
 *
 * @param out  receives the map; free it with vault_legacy_map_free().
 * @param path the file.
 * @return 0; VAULT_ENOTFOUND or VAULT_EIO when the file cannot be read;
 *         VAULT_EFORMAT naming the file and line for a value without "//",
 *         an empty file name or xpath, a duplicate alias or a bad escape; VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_legacy_map_read(vault_legacy_map **out, const char *path);

/**
 * Parse a cipher-tool.properties map from memory.
 *
 * @param out  receives the map; free it with vault_legacy_map_free().
 * @param name the name used in messages.
 * @param data the file's bytes (need not be NUL-terminated).
 * @param len  their number.
 * @return as vault_legacy_map_read(), VAULT_EINVAL for NULL arguments.
 */
VAULT_EXTERN(int)
vault_legacy_map_parse(vault_legacy_map **out, const char *name, const void *data, size_t len);

/**
 *  Number of entries in the map (0 for NULL).
 * @param map the map (may be NULL).
 * @return the number.
 */
VAULT_EXTERN(size_t) vault_legacy_map_count(const vault_legacy_map *map);

/**
 * Entry i of the map, in file order.
 * @param out receives a pointer valid until vault_legacy_map_free().
 * @param map the map.
 * @param i   0 <= i < vault_legacy_map_count().
 * @return 0; VAULT_ENOTFOUND when i is out of range (*out is then NULL);
 *         VAULT_EINVAL when out or map is NULL.
 */
VAULT_EXTERN(int)
vault_legacy_map_entry_at(const vault_legacy_entry **out, const vault_legacy_map *map, size_t i);

/**
 * Find an entry by alias (exact match).
 * @param index receives the index.
 * @param map the map.
 * @param alias the alias.
 * @return 0 with *index set, or VAULT_ENOTFOUND.
 */
VAULT_EXTERN(int) vault_legacy_map_find(size_t *index, const vault_legacy_map *map, const char *alias);

/**
 *  Free a map. NULL-safe.
 * @param map the map (may be NULL).
 */
VAULT_EXTERN(void) vault_legacy_map_free(vault_legacy_map *map);

/** What vault_xml_mark_secret() marks. */
typedef struct vault_xml_mark_options {
    unsigned int version; /**< VAULT_XML_MARK_OPTIONS_VERSION */
    const char *name;     /**< The file name used in messages (NULL: "(xml)"). */
    const char *xpath;    /**< The xpath (XPath 1.0), e.g. "//Server/Security/KeyStore/Password". */
    int attribute;        /**< Non-zero: mark the attribute named in the last [@...] of the
                               xpath (the ",true" of cipher-tool.properties). */
    const char *alias;    /**< The secret alias. */
} vault_xml_mark_options;

/** The current version of vault_xml_mark_options. */
#define VAULT_XML_MARK_OPTIONS_VERSION 1
/** Initialiser of vault_xml_mark_options: nothing chosen yet. */
#define VAULT_XML_MARK_OPTIONS_INIT { VAULT_XML_MARK_OPTIONS_VERSION, NULL, NULL, 0, NULL }

/**
 * Mark one secret in an XML document.
 *
 * Every node the xpath selects is marked (as the Java tool does); they must
 * all hold the same value. The element text (or the attribute) becomes
 * "password", the element gets svns:secretAlias="alias" after its last
 * attribute, and the root element gets the xmlns:svns declaration after its
 * last attribute unless the prefix is already bound to the secure vault
 * namespace. All other bytes are copied unchanged. The result is parsed
 * again and checked before it is returned.
 *
 * Marking an element already marked with the same alias changes nothing:
 * *out is then a copy of the input and *old_value is NULL.
 *
 * @param out       receives the new document (NUL-terminated); free it with
 *                  vault_string_free().
 * @param out_len   receives its length.
 * @param old_value receives the value that was replaced (element text
 *                  content or attribute value, entities decoded, as UTF-8)
 *                  in guarded memory, or NULL when nothing was replaced;
 *                  free it with vault_secret_free(). May be NULL.
 * @param xml       the document's bytes (UTF-8, ASCII or another
 *                  ASCII-compatible encoding declared by the document).
 * @param len       their number.
 * @param opts      what to mark: xpath and alias are required.
 * @return 0; VAULT_ENOTFOUND when no node (or no such attribute) matches,
 *         naming file, xpath and alias; VAULT_EFORMAT for malformed XML,
 *         an invalid xpath, an xpath selecting something other than
 *         elements or attributes, an element with child elements, nodes
 *         with different values, an element marked with another alias,
 *         a document using the svns prefix without declaring it (the
 *         declaration this function adds would turn a stray
 *         svns:secretAlias into a mark), an attribute beside another value
 *         of the same element already holding the placeholder "password"
 *         (the two could not be told apart), or an encoding that cannot be
 *         edited in place (UTF-16); VAULT_EINVAL
 *         for NULL arguments or an unknown opts->version; VAULT_ENOMEM.
 */
VAULT_EXTERN(int)
vault_xml_mark_secret(char **out, size_t *out_len, vault_secret **old_value, const void *xml, size_t len,
                      const vault_xml_mark_options *opts);

/** One element marked with svns:secretAlias; strings owned by the list. */
typedef struct vault_xml_mark {
    const char *alias;     /**< The value of svns:secretAlias. */
    const char *path;      /**< Element path, e.g. "/Server/Security/KeyStore/Password"
                                ("[n]" where siblings share a name; "/@name" for an attribute). */
    const char *attribute; /**< The attribute holding the secret, or NULL for the element text. */
    unsigned int line;     /**< 1-based line of the element's start tag (its '<'). */
    int placeholder;       /**< 1: the secret holds WSO2's placeholder "password" (its value is
                                elsewhere, in cipher-text.properties); 0: it holds another value,
                                a secret left in plain text. */
} vault_xml_mark;

/** The marked elements of a document. */
typedef struct vault_xml_marks vault_xml_marks;

/**
 * List the elements of a document marked with svns:secretAlias (the
 * attribute secretAlias in the secure vault namespace, whatever its
 * prefix), in document order.
 *
 * The secret of a marked element is its text, unless the element has child
 * elements or its text is not the placeholder while exactly one attribute
 * holds the placeholder "password": then it is that attribute. Each mark
 * tells whether that value is the placeholder, so a caller can name the
 * secrets left in plain text by alias and line, whatever the values around
 * them span.
 *
 * @param out  receives the list; free it with vault_xml_marks_free().
 * @param xml  the document's bytes.
 * @param len  their number.
 * @param name the file name used in messages (NULL: "(xml)").
 * @return 0; VAULT_EFORMAT for malformed XML or a marked element whose
 *         secret cannot be told (child elements and no single placeholder
 *         attribute); VAULT_EINVAL; VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_xml_marked(vault_xml_marks **out, const void *xml, size_t len, const char *name);

/**
 *  Number of marked elements (0 for NULL).
 * @param marks the list (may be NULL).
 * @return the number.
 */
VAULT_EXTERN(size_t) vault_xml_marks_count(const vault_xml_marks *marks);

/**
 * Marked element i, in document order.
 * @param out   receives the element, valid until vault_xml_marks_free().
 * @param marks the list.
 * @param i     0 <= i < vault_xml_marks_count().
 * @return 0; VAULT_ENOTFOUND when i is out of range (*out is then NULL);
 *         VAULT_EINVAL when out or marks is NULL.
 */
VAULT_EXTERN(int) vault_xml_marks_at(const vault_xml_mark **out, const vault_xml_marks *marks, size_t i);

/**
 *  Free a list of marks. NULL-safe.
 * @param marks the list (may be NULL).
 */
VAULT_EXTERN(void) vault_xml_marks_free(vault_xml_marks *marks);

/**
 * Resolver callback for vault_xml_expand().
 * @param alias   the secret alias of a marked element.
 * @param out     set to a new secret holding the value (UTF-8); the library
 *                takes ownership and frees it.
 * @param payload the caller's payload.
 * @return 0 with *out set; a negative VAULT_E* code aborts the expansion
 *         with that code (VAULT_ENOTFOUND for an unknown alias).
 */
typedef int (*vault_xml_resolve_cb)(const char *alias, vault_secret **out, void *payload);

/**
 * The document with the secret of every marked element (see
 * vault_xml_marked()) replaced by its resolved value, escaped for XML
 * (characters the document's encoding cannot hold are written as
 * character references). All other bytes, svns:secretAlias included, are
 * copied unchanged.
 *
 * @param out     receives the new document in guarded memory (it holds
 *                secrets); free it with vault_secret_free().
 * @param xml     the document's bytes.
 * @param len     their number.
 * @param name    the file name used in messages (NULL: "(xml)").
 * @param resolve called once per marked element, in document order.
 * @param payload passed to resolve.
 * @return 0; the callback's code, with a message naming the file, alias
 *         and line; VAULT_EFORMAT for malformed XML, an ambiguous mark, or
 *         a resolved value that is not valid UTF-8 or holds a character
 *         XML 1.0 cannot carry; VAULT_EINVAL; VAULT_ENOMEM.
 */
VAULT_EXTERN(int)
vault_xml_expand(vault_secret **out, const void *xml, size_t len, const char *name,
                 vault_xml_resolve_cb resolve, void *payload);

/**
 * The text of the first node an XPath selects in an XML document, with
 * namespaces ignored as Java's namespace-unaware parser does (so
 * "//Server/Security/KeyStore/Location" works on carbon.xml and its default
 * namespace). For settings, never for secrets.
 * @param out   receives the text (free with vault_string_free()).
 * @param xml   the document's bytes.
 * @param len   their number.
 * @param name  the file name used in messages (NULL: "(xml)").
 * @param xpath the XPath 1.0 expression.
 * @return 0; VAULT_ENOTFOUND (silently) when nothing matches;
 *         VAULT_EFORMAT for malformed XML or a bad XPath.
 */
VAULT_EXTERN(int) vault_xml_value(char **out, const void *xml, size_t len, const char *name, const char *xpath);

#ifdef __cplusplus
}
#endif

#endif
