/* gm_version: the version this library was built as (see libversion.h). */
#include <stddef.h>
#include "gpumatch/libversion.h"

const char *gm_version(int *major, int *minor, int *patch) {
    if (major)
        *major = GPUMATCH_VERSION_MAJOR;
    if (minor)
        *minor = GPUMATCH_VERSION_MINOR;
    if (patch)
        *patch = GPUMATCH_VERSION_PATCH;
    return GPUMATCH_VERSION_STRING;
}
