#ifndef GM_TABLES_INTERNAL_H
#define GM_TABLES_INTERNAL_H
#include "gpumatch/error.h"
/* Non-zero if a row of data/NAME.tsv failed to parse (build defect; unit-tested). */
int gm_tables_check(gm_error *err);
#endif
