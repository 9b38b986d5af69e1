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

/**
 * The marks of an XML file: vault_xml_marked() on the file's bytes, read
 * without blocking (a regular file only, at most 64 MiB) and wiped before
 * they are freed (the file may still hold passwords).
 * @param out  receives the list; free it with vault_xml_marks_free().
 * @param path the file.
 * @return 0; VAULT_ENOTFOUND ("FILE: cannot open the file") when it does
 *         not exist; VAULT_EPERM, VAULT_EIO (not a regular file, a read
 *         error), VAULT_EFORMAT (too large, or as vault_xml_marked()),
 *         each message naming the file; VAULT_EINVAL; VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_xml_marked_file(vault_xml_marks **out, const char *path);

/* ---- a legacy product home: the XML files its map names ------------------ */

/** The XML files vault_legacy_home_mark() replaced. */
typedef struct vault_legacy_marked vault_legacy_marked;

/**
 * Mark every secret a legacy product home's cipher-tool.properties
 * (vault_home_path() with VAULT_HOME_CIPHER_TOOL) maps into its XML files,
 * as the Java cipher tool's -Dconfigure does, with
 * vault_xml_mark_secret() (its value stays where cipher-text.properties
 * holds it). Each XML file is read once (its file name in the map taken
 * relative to the home unless absolute); several aliases into one file
 * edit the newest text. Only when every alias is marked in memory is each
 * file that changed replaced atomically (vault_file_replace(): mode and
 * owner kept); a file already marked is left as it is. A missing element,
 * an unreadable file or a bad xpath fails the whole run before anything is
 * written. Buffers that held XML text are wiped before they are freed.
 * @param out  receives the files written (possibly none); free it with
 *             vault_legacy_marked_free().
 * @param home the product home.
 * @return 0; VAULT_ENOTFOUND (no cipher-tool.properties, an XML file
 *         missing, an element not found), VAULT_EFORMAT (a bad map line,
 *         malformed XML, a bad xpath, an element that cannot be marked),
 *         VAULT_EPERM, VAULT_EIO, with a message naming the map, the line
 *         and the alias; errors of vault_file_replace(), naming the file
 *         and the files replaced before it, if any; VAULT_EINVAL;
 *         VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_legacy_home_mark(vault_legacy_marked **out, const char *home);

/**
 *  The number of files written (0 for NULL).
 * @param marked the result (may be NULL).
 * @return the number.
 */
VAULT_EXTERN(size_t) vault_legacy_marked_count(const vault_legacy_marked *marked);

/**
 * File i written, in the order the map first names the files.
 * @param out    receives its path (the home joined with the map's file
 *               name), valid until vault_legacy_marked_free().
 * @param marked the result.
 * @param i      0 <= i < vault_legacy_marked_count().
 * @return 0; VAULT_ENOTFOUND when i is out of range (*out is then NULL);
 *         VAULT_EINVAL when out or marked is NULL.
 */
VAULT_EXTERN(int) vault_legacy_marked_at(const char **out, const vault_legacy_marked *marked, size_t i);

/**
 *  Free the result of vault_legacy_home_mark(). NULL-safe.
 * @param marked the result (may be NULL).
 */
VAULT_EXTERN(void) vault_legacy_marked_free(vault_legacy_marked *marked);

/** What a legacy home's XML file says of one alias of its map. */
typedef enum vault_legacy_state {
    VAULT_LEGACY_MARKED = 1,     /**< Marked, holding WSO2's placeholder "password" (its value is
                                      in cipher-text.properties). */
    VAULT_LEGACY_PLAIN = 2,      /**< Marked, but holding another value: a secret in plain text. */
    VAULT_LEGACY_NOT_MARKED = 3, /**< The map names it; its XML file has no mark with its alias
                                      (the element keeps what it held, as the product ships it). */
    VAULT_LEGACY_UNREADABLE = 4  /**< Its XML file cannot be read or parsed (see the file). */
} vault_legacy_state;

/** One XML file a legacy home's map names; strings owned by the status. */
typedef struct vault_legacy_file {
    const char *path;             /**< The home joined with the map's file name. */
    int error;                    /**< 0, or the VAULT_E* code of why it cannot be read. */
    const char *reason;           /**< With error: the message, naming the file ("FILE: cannot
                                       open the file" when it does not exist); else NULL. */
    const vault_xml_marks *marks; /**< Without error: every mark of the file in document order,
                                       those the map does not name too (read them with
                                       vault_xml_marks_at()); else NULL. */
} vault_legacy_file;

/** One alias of a legacy home's map and its state; strings owned by the status. */
typedef struct vault_legacy_alias {
    const char *alias;         /**< The alias. */
    unsigned int map_line;     /**< Its line in cipher-tool.properties. */
    const char *xpath;         /**< The map's xpath. */
    int attribute;             /**< 1 for ",true": the secret is an attribute. */
    size_t file;               /**< Its file: vault_legacy_status_file_at() index. */
    vault_legacy_state state;  /**< What its file says of it. */
    const vault_xml_mark *mark; /**< Its mark (element line and path) when MARKED or PLAIN;
                                     else NULL. */
} vault_legacy_alias;

/** The state of a legacy home's XML secrets. */
typedef struct vault_legacy_status vault_legacy_status;

/**
 * The state of every alias a legacy product home's cipher-tool.properties
 * maps into its XML files, each file read once (as -Dconfigure left them
 * for the server): marked, plain (a mark holding a value other than the
 * placeholder), not marked, or in a file that cannot be read. Files are
 * numbered in the order the map first names them, so an alias whose file
 * index equals the number of files met so far is the first of its file.
 * Nothing is written; file buffers are wiped before they are freed.
 * @param out  receives the status; free it with vault_legacy_status_free().
 * @param home the product home.
 * @return 0 (also when XML files cannot be read: see their records);
 *         VAULT_ENOTFOUND when the home has no cipher-tool.properties;
 *         errors of vault_legacy_map_read() naming the map; VAULT_EINVAL;
 *         VAULT_ENOMEM.
 */
VAULT_EXTERN(int) vault_legacy_home_status(vault_legacy_status **out, const char *home);

/**
 *  The path of the map the status was read from (NULL for NULL).
 * @param status the status (may be NULL).
 * @return the path, owned by the status.
 */
VAULT_EXTERN(const char *) vault_legacy_status_map(const vault_legacy_status *status);

/**
 *  The number of aliases of the map (0 for NULL).
 * @param status the status (may be NULL).
 * @return the number.
 */
VAULT_EXTERN(size_t) vault_legacy_status_alias_count(const vault_legacy_status *status);

/**
 * Alias i, in map order.
 * @param out    receives the record, valid until vault_legacy_status_free().
 * @param status the status.
 * @param i      0 <= i < vault_legacy_status_alias_count().
 * @return 0; VAULT_ENOTFOUND when i is out of range (*out is then NULL);
 *         VAULT_EINVAL when out or status is NULL.
 */
VAULT_EXTERN(int)
vault_legacy_status_alias_at(const vault_legacy_alias **out, const vault_legacy_status *status, size_t i);

/**
 *  The number of XML files the map names, each counted once (0 for NULL).
 * @param status the status (may be NULL).
 * @return the number.
 */
VAULT_EXTERN(size_t) vault_legacy_status_file_count(const vault_legacy_status *status);

/**
 * File i, in the order the map first names them.
 * @param out    receives the record, valid until vault_legacy_status_free().
 * @param status the status.
 * @param i      0 <= i < vault_legacy_status_file_count().
 * @return 0; VAULT_ENOTFOUND when i is out of range (*out is then NULL);
 *         VAULT_EINVAL when out or status is NULL.
 */
VAULT_EXTERN(int)
vault_legacy_status_file_at(const vault_legacy_file **out, const vault_legacy_status *status, size_t i);

/**
 *  Free a status. NULL-safe.
 * @param status the status (may be NULL).
 */
VAULT_EXTERN(void) vault_legacy_status_free(vault_legacy_status *status);

#ifdef __cplusplus
}
#endif

#endif
