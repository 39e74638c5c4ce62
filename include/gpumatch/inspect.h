/* Requirement derivation: turns what elfscan found in a set of files into the
 * core's gm_requirement, and summarises coverage per compute capability.
 * Data flows one way: files -> gm_elf_scan facts -> gm_requirement. */
#ifndef GPUMATCH_INSPECT_H
#define GPUMATCH_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gpumatch/common.h"
#include "gpumatch/elfscan.h"
#include "gpumatch/error.h"
#include "gpumatch/image.h"
#include "gpumatch/require.h"
#include "gpumatch/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One loadable module (what gm_inspect_requirement makes one module of),
 * handed to gm_inspect.on_module while the file's bytes are in memory. */
typedef struct {
    const gm_elf_scan *scan;  /* its file; not yet in gm_inspect.files */
    size_t file;              /* the index that scan gets in gm_inspect.files */
    const char *name;         /* the module's name in gm_inspect_requirement */
    const gm_fatbin_region *region;
    gm_file_kind kind;        /* GM_FILE_FATBIN (a region of an ELF or .fatbin), _CUBIN, _PTX */
    const void *data;         /* bytes for cuModuleLoadData; PTX is not NUL-terminated */
    size_t len;
} gm_inspect_module;
typedef int (*gm_inspect_module_fn)(void *ctx, const gm_inspect_module *m, gm_error *err);

/* Work done so far, for a progress display (the library prints nothing). */
typedef struct {
    size_t files;          /* regular files met (read or skipped) */
    uint64_t bytes;        /* their sizes summed */
    const char *path;      /* the last one, valid during the call */
} gm_inspect_progress;

/* The files of one program (or one image): scans plus names of versioned CUDA
 * libraries seen beside them ("libcudart.so.12.4.127"). */
typedef struct {
    gm_elf_scan *files;
    size_t n_files, cap;
    gm_strlist lib_names; /* file names (no directory) of libcudart.so.* seen */
    gm_strlist dirs_seen; /* directories already listed for lib_names */
    size_t n_skipped;     /* files that were not ELF/fatbin/cubin/PTX */
    gm_strlist errors;    /* malformed files met inside a directory/image walk */
    /* From image configs: NVIDIA_REQUIRE_* values (JETPACK excepted; a legacy
     * CUDA_VERSION without NVIDIA_REQUIRE_CUDA counts as "cuda>=MAJ.MIN", as in
     * libnvidia-container) and NVIDIA_DISABLE_REQUIRE. */
    gm_strlist nvidia_require;
    bool nvidia_disable_require;
    gm_fatbin_depth depth;
    /* Optional (prove): called for each module of each file while its bytes are
     * mapped, in gm_inspect_requirement's module order; an error stops the walk. */
    gm_inspect_module_fn on_module;
    void *on_module_ctx;
    /* Keep of each file, as it is added, only what the compact requirement
     * (gm_inspect_requirement_opts with compact, i.e. `inspect --json`)
     * reads: a library's or embedded fat binaries' regions shrink to their
     * distinct images, other regions to their distinct entries. Memory then
     * grows with the distinct images, not the entries (cuFFT: 24 000). The
     * per-file report, the cuobjdump listing and the flat requirement need
     * the full scans: leave it false for them. */
    bool fold;
    /* Optional: called after each file of a walk (tree, image, package),
     * as often as files come; a display limits its own refresh rate. */
    void (*on_progress)(void *ctx, const gm_inspect_progress *p);
    void *on_progress_ctx;
    gm_inspect_progress progress; /* the running count handed to on_progress */
} gm_inspect;

void gm_inspect_init(gm_inspect *in, gm_fatbin_depth depth);
void gm_inspect_free(gm_inspect *in);
/* Scans one file on disk and notes libcudart.so.* names in its directory. */
int gm_inspect_add_file(gm_inspect *in, const char *path, gm_error *err);
/* A file, directory tree, docker-archive/OCI tarball or OCI layout: plain
 * files go through gm_inspect_add_file (mmap); everything else through
 * gm_image_walk, reading only files whose first bytes look like ELF, an ar
 * archive, a fat binary or PTX. A malformed file inside a walk is recorded in
 * errors and the walk goes on. info (may be NULL) receives the image facts. */
int gm_inspect_add_path(gm_inspect *in, const char *path, gm_image_info *info, gm_error *err);
/* Adds a scan made elsewhere (e.g. from an image walk); takes ownership. */
int gm_inspect_add_scan(gm_inspect *in, gm_elf_scan *scan, gm_error *err);
/* Notes a library file name seen in the same tree (walkers call this). */
int gm_inspect_note_name(gm_inspect *in, const char *basename, gm_error *err);

/* Where the derived runtime version came from, for the report. */
typedef struct {
    bool found;
    gm_cuda_version version;
    char source[256]; /* "DT_NEEDED libcudart.so.13 of app", "static runtime 13.0.88 in app" */
} gm_runtime_guess;

/* Runtime of one scan: DT_NEEDED libcudart.so.N (N.0, or N.M from a versioned
 * name among lib_names), else a static runtime's toolkit (cubin note / PTX
 * comment), else the first CUDA that emits the newest PTX ISA present. */
gm_runtime_guess gm_inspect_runtime(const gm_inspect *in, const gm_elf_scan *s);

/* Builds the requirement: one module per fat binary region of each file's
 * primary sections; cuda_runtime = newest runtime over the files.
 * Optional rule: a module whose images are all arch- (a) or family- (f)
 * specific is optional, unless every module of the file is so (then the
 * program itself is arch-specific and all its modules are required). */
int gm_inspect_requirement(const gm_inspect *in, gm_requirement *out, gm_error *err);
/* Libraries (ET_DYN without interpreter) ship per-architecture kernels and
 * dispatch to those present for the GPU (cuBLAS 13 has modules for sm_100
 * alone, sm_75 alone, ...), so a library needs *some* image for the device,
 * not every module: its modules become optional and one required module, the
 * union of its images, is appended. With compact, the per-module entries of
 * libraries are left out (they cannot change a verdict). */
/* Trees (loader model, docs/inspect.md): entry points are programs, shared
 * libraries nothing in the set links (plugins, Python extension modules) and
 * standalone device files, each with its DT_NEEDED closure inside the set;
 * entry points whose names differ only by a CUDA version (libX_cuda118.so,
 * libX_cuda128.so) are alternatives of one entry point. With more than one
 * entry point the requirement carries them in entry_points (each must run,
 * one variant of it suffices); with one, the flat document below. */
int gm_inspect_requirement_opts(const gm_inspect *in, bool compact, gm_requirement *out,
                                gm_error *err);
/* All files as one program (the per-file report uses this order of modules). */
int gm_inspect_requirement_flat(const gm_inspect *in, bool compact, gm_requirement *out,
                                gm_error *err);

/* True if any file holds a fat binary region, cubin or PTX in what it loads
 * (kernel-less regions count: the input was device code, none of it needed). */
bool gm_inspect_found_device_code(const gm_inspect *in);

typedef enum { GM_COVER_NONE = 0, GM_COVER_SOME = 1, GM_COVER_EVERY = 2 } gm_cover;

typedef struct {
    gm_cc cc;
    gm_cover cover;          /* EVERY: all required modules load (and >= 1 module) */
    size_t n_running;        /* modules (required or not) with an image that runs */
    size_t n_required, n_required_running;
    bool jit_only;           /* some required module runs only through PTX JIT */
} gm_coverage;

/* One row per compute capability in the tables, oldest first. Caller frees *out. */
int gm_inspect_coverage(const gm_requirement *r, gm_coverage **out, size_t *n, gm_error *err);

/* `cuobjdump --list-elf --list-ptx` output for one scan, line for line
 * (archives: "member PATH:MEMBER:" blocks). Caller frees. */
char *gm_inspect_cuobjdump_list(const gm_elf_scan *s, gm_error *err);

const char *gm_cover_name(gm_cover c);

#ifdef __cplusplus
}
#endif
#endif
