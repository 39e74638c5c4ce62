/* Small shared value types. */
#ifndef GPUMATCH_COMMON_H
#define GPUMATCH_COMMON_H

#include <stddef.h>
#include "gpumatch/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of every JSON document gpumatch writes ("schema_version"; schemas/). */
#define GM_SCHEMA_VERSION 1

/* An owned list of owned strings. */
typedef struct {
    char **items;
    size_t n, cap;
} gm_strlist;

int gm_strlist_add(gm_strlist *l, const char *s);
int gm_strlist_addf(gm_strlist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gm_strlist_free(gm_strlist *l);

#ifdef __cplusplus
}
#endif
#endif
