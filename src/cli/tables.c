/* gpumatch tables: print the embedded knowledge tables with each row's source. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "gpumatch/tables.h"

static const char *const names[] = {"toolkit", "ptx", "arch", "family", "branch", NULL};

static bool want(const char *which, const char *name) {
    return !strcmp(which, "all") || !strcmp(which, name);
}

int gm_cli_tables(int argc, char **argv) {
    char a[GM_VERSION_STR_MAX], b[GM_VERSION_STR_MAX], c[GM_VERSION_STR_MAX];
    size_t n;
    const char *which = argc > 1 ? argv[1] : "all";
    if (!strcmp(which, "--help") || !strcmp(which, "-h")) {
        printf("usage: gpumatch tables [toolkit|ptx|arch|family|branch|all]\n"
               "  prints the embedded tables (data/*.tsv), each row with its source\n"
               "here: 2 for an unknown table\n");
        gm_cli_exit_help(stdout);
        return GM_EXIT_OK;
    }
    bool known = !strcmp(which, "all");
    for (size_t i = 0; names[i]; i++)
        known |= !strcmp(which, names[i]);
    if (!known) {
        gm_cli_errorf("tables", "unknown table '%s' (toolkit, ptx, arch, family, branch, all)",
                      which);
        return GM_EXIT_INPUT;
    }
    bool sep = false;
    if (want(which, "toolkit")) {
        const gm_toolkit_entry *t = gm_table_toolkit(&n);
        printf("# CUDA toolkit -> driver with full support, minor-version-compatibility "
               "minimum\n%-6s %-12s %-12s %s\n",
               "CUDA", "DRIVER", "MINOR-COMPAT", "SOURCE");
        for (size_t i = 0; i < n; i++)
            printf("%-6s %-12s %-12s %s\n", gm_cuda_version_str(&t[i].cuda, a),
                   t[i].toolkit_driver.nparts ? gm_driver_version_str(&t[i].toolkit_driver, b)
                                              : "unknown",
                   t[i].minor_compat_driver.nparts
                       ? gm_driver_version_str(&t[i].minor_compat_driver, c)
                       : "-",
                   t[i].source);
        sep = true;
    }
    if (want(which, "ptx")) {
        const gm_ptx_entry *p = gm_table_ptx(&n);
        printf("%s# PTX ISA -> first CUDA release\n%-8s %-10s %s\n", sep ? "\n" : "", "PTX-ISA",
               "FIRST-CUDA", "SOURCE");
        for (size_t i = 0; i < n; i++)
            printf("%-8s %-10s %s\n", gm_cuda_version_str(&p[i].isa, a),
                   gm_cuda_version_str(&p[i].first_cuda, b), p[i].source);
        sep = true;
    }
    if (want(which, "arch")) {
        const gm_arch_entry *r = gm_table_arch(&n);
        printf("%s# compute capability -> architecture (tegra: no binary compatibility across "
               "CCs)\n%-5s %-10s %-6s %-6s %-8s %-40s %s\n",
               sep ? "\n" : "", "CC", "ARCH", "TEGRA", "FROM", "UNTIL", "PRODUCTS", "SOURCE");
        for (size_t i = 0; i < n; i++)
            printf("%-5s %-10s %-6s %-6s %-8s %-40s %s\n", gm_cc_str(&r[i].cc, a), r[i].arch,
                   r[i].tegra ? "yes" : "no", gm_cuda_version_str(&r[i].first_cuda, b),
                   r[i].last_cuda.major ? gm_cuda_version_str(&r[i].last_cuda, c) : "current",
                   r[i].products, r[i].source);
        sep = true;
    }
    if (want(which, "family")) {
        const gm_family_entry *f = gm_table_family(&n);
        printf("%s# family-specific target -> the CCs it runs on\n%-8s %-18s %-6s %s\n",
               sep ? "\n" : "", "TARGET", "RUNS-ON", "FROM", "SOURCE");
        for (size_t i = 0; i < n; i++) {
            char list[96] = "";
            size_t used = 0;
            for (size_t k = 0; k < f[i].n_members && used + 8 < sizeof list; k++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k ? "," : "",
                                         gm_cc_str(&f[i].members[k], a));
            printf("sm_%d%df  %-18s %-6s %s\n", f[i].target.major, f[i].target.minor, list,
                   gm_cuda_version_str(&f[i].first_cuda, b), f[i].source);
        }
        sep = true;
    }
    if (want(which, "branch")) {
        const gm_branch_entry *r = gm_table_branch(&n);
        printf("%s# driver (from) -> newest CUDA it supports\n%-8s %-6s %s\n", sep ? "\n" : "",
               "DRIVER", "CUDA", "SOURCE");
        for (size_t i = 0; i < n; i++)
            printf("%-8s %-6s %s\n", gm_driver_version_str(&r[i].driver, a),
                   gm_cuda_version_str(&r[i].cuda, b), r[i].source);
    }
    return GM_EXIT_OK;
}
