/* YAML (kubeconfig, Helm values) read into a jansson tree, bounded.
 *
 * Only the first document of the stream is read. Mappings become objects
 * (keys must be scalars; a duplicate key is refused), sequences arrays, and
 * every scalar a JSON string, exactly as written ("true", "8080"): the reader
 * of a field decides what it means. Aliases are followed, but every node
 * produced counts against max_nodes, so an alias bomb ("billion laughs") is
 * refused instead of expanded; nesting beyond max_depth is refused too.
 * Errors name where: "line 3 column 5: ..." or a JSON Pointer for the tree.
 * Needs libyaml (SREBOT_WITH_YAML); without it every call fails saying so.
 */
#ifndef SREBOT_UTIL_YAML_JSON_H
#define SREBOT_UTIL_YAML_JSON_H

#include <jansson.h>
#include <stddef.h>

#define YAML_JSON_MAX_BYTES (1024u * 1024u)
#define YAML_JSON_MAX_DEPTH 32
#define YAML_JSON_MAX_NODES 20000

/* A new reference, or NULL with the reason in err. An empty document is {}. */
json_t *yaml_to_json(const char *buf, size_t len, char *err, size_t errlen);

#endif
