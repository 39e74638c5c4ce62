/* doc.h: which kind of gpumatch document a JSON text is, from its fields, so
 * a node file passed as a requirement (or the reverse) gets a useful error
 * instead of "unknown field". */
#ifndef GPUMATCH_DOC_H
#define GPUMATCH_DOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GM_DOC_UNKNOWN = 0,
    GM_DOC_NODE,        /* a node, a list of nodes, {"nodes": [...]} */
    GM_DOC_REQUIREMENT, /* a requirement document, a queue, an Arvados request */
} gm_doc_kind;

/* The kind of a document from the top-level fields of the object (or of a
 * list's first element); *field (may be NULL) gets the field that decided it,
 * a static string. Unparsable text or no telling field: GM_DOC_UNKNOWN. */
gm_doc_kind gm_doc_kind_of(const char *text, size_t len, const char **field);
/* "node document", "requirement document", "document". */
const char *gm_doc_kind_name(gm_doc_kind k);

#ifdef __cplusplus
}
#endif
#endif
