/* Fat binary reader: a pure parser over a memory range holding one or more
 * NVIDIA fat binaries back to back (the contents of a `.nv_fatbin` or
 * `__nv_relfatbin` section, or a standalone `.fatbin` file). Every field is
 * bounds-checked; errors name the origin and the byte offset.
 *
 * Layout (observed in nvcc 13.0 output and CUDA 13.0 libraries, see
 * docs/inspect.md): region header {u32 magic 0xBA55ED50, u16 version 1,
 * u16 header size, u64 size of the entries}, then entries, each a header
 * (>= 64 bytes) followed by its payload. */
#ifndef GPUMATCH_FATBIN_H
#define GPUMATCH_FATBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gpumatch/error.h"
#include "gpumatch/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GM_FATBIN_MAGIC 0xBA55ED50u
#define GM_FATBIN_WRAPPER_MAGIC 0x466243B1u

/* Entry kinds as stored in the entry header. */
enum { GM_FATBIN_PTX = 1, GM_FATBIN_CUBIN = 2, GM_FATBIN_NVVM = 8 };

/* Entry flag bits (observed). */
#define GM_FATBIN_F_64BIT 0x1ull
#define GM_FATBIN_F_DEBUG 0x2ull
#define GM_FATBIN_F_LINUX 0x10ull
#define GM_FATBIN_F_LZ4 0x2000ull
#define GM_FATBIN_F_ZSTD 0x8000ull
#define GM_FATBIN_F_ARCH 0x100000ull   /* sm_XYa / compute_XYa */
#define GM_FATBIN_F_FAMILY 0x200000ull /* sm_XYf / compute_XYf */

typedef enum { GM_COMPRESS_NONE = 0, GM_COMPRESS_LZ4, GM_COMPRESS_ZSTD } gm_compression;

/* Parse depth. HEADERS reads entry headers and checks uncompressed payload
 * heads in place (no extra I/O: the bytes follow the header). CONFIRM also
 * decompresses the head of every compressed payload (bounded). VERIFY
 * decompresses every payload fully and checks sizes and cubin structure. */
typedef enum { GM_FATBIN_HEADERS = 0, GM_FATBIN_CONFIRM = 1, GM_FATBIN_VERIFY = 2 } gm_fatbin_depth;

/* What a cubin's own ELF header and notes say. */
typedef struct {
    bool valid;           /* an ELF64 EM_CUDA header was read */
    uint8_t osabi;        /* 0x33 old ABI, 0x41 new ABI */
    uint8_t abi_version;
    uint32_t e_flags;
    int sm;               /* from e_flags: bits 0-7 (old ABI), bits 8-15 (new ABI) */
    bool arch_specific;   /* old ABI e_flags bit 0x800: sm_90a from ptxas 12.x (0x5a0d5a) */
    char tool[64];        /* "13.0.88" from .note.nv.tkinfo, "" if not read */
    char arch_option[32]; /* "sm_90a" from the note's "-arch" option, "" if not read */
} gm_cubin_info;

/* What a PTX text's header lines say. */
typedef struct {
    bool has_version, has_target;
    gm_cuda_version version; /* .version 9.0 */
    char target[32];         /* first word of .target: "sm_100f" */
    char tool[64];           /* "13.0.88" from the "Cuda compilation tools" comment */
} gm_ptx_info;

typedef struct {
    uint64_t offset;        /* of the entry header, from the start of the parsed range */
    uint16_t kind;          /* GM_FATBIN_* */
    uint32_t header_size;
    uint64_t payload_size;  /* bytes following the header (padded) */
    uint32_t compressed_size;
    uint64_t uncompressed_size;
    uint64_t flags;
    int sm;                 /* SM number, e.g. 90, 100, 121 */
    gm_target target;       /* kind/cc/variant from sm + flags */
    gm_cuda_version code_version; /* PTX ISA for PTX entries */
    gm_compression compression;
    /* The header's identifier (fatbinary --ident, which nvcc passes for -G and
     * -lineinfo builds: the source name, "k.cu"); "" if none. */
    char ident[64];
    bool is64, debug;
    bool checked;           /* cubin/ptx below was read from the payload */
    /* Does the image define code? 1 a cubin with a `.text*` section or a PTX
     * with `.entry`; 0 neither; -1 not read (compressed and over
     * GM_FATBIN_KERNEL_PROBE_MAX bytes, or a section table that cannot be read).
     * Decided the same way at every depth. */
    int kernels;
    gm_cubin_info cubin;
    gm_ptx_info ptx;
} gm_fatbin_entry;

typedef struct {
    uint64_t offset;        /* of the region header within the parsed range */
    uint64_t size;          /* header + entries */
    uint16_t version;
    gm_fatbin_entry *entries;
    size_t n_entries, cap;
    char tool[64];          /* newest toolkit version seen in a cubin note / PTX comment */
    /* Every cubin and PTX entry was read and none defines code: nothing can be
     * launched from this module (nvcc's whole-program device-link output,
     * cuFFT's .nv_fatbin stub), so it can never make a launch fail. */
    bool kernel_less;
} gm_fatbin_region;

typedef struct {
    gm_fatbin_region *regions;
    size_t n_regions, cap;
    uint64_t bytes_decompressed; /* work done, for --verify reports and benchmarks */
} gm_fatbin;

/* The regions of a fat binary (gm_fatbin_parse in gpumatch/sys/fatbin.h). */
void gm_fatbin_free(gm_fatbin *fb);

/* "cubin", "ptx", "nvvm", "?" */
const char *gm_fatbin_kind_name(int kind);
const char *gm_compression_name(gm_compression c);

#ifdef __cplusplus
}
#endif
#endif
