/* The .note.cuda.fwd_compatibility reader over arbitrary bytes (compat libcuda
 * files come from untrusted images). */
#include <stdint.h>
#include <string.h>
#include "preflight/pf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pf_compat_note n;
    pf_compat_note_read(data, size, &n);
    return 0;
}
