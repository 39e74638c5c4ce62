/* gpumatch: dispatch to one verb. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "gpumatch/io.h"
#include "gpumatch/libversion.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} verb;

static const verb verbs[] = {
    {"check", gm_cli_check, "check requirements against nodes, with reasons"},
    {"inspect", gm_cli_inspect, "derive requirements from binaries, directories, images"},
    {"probe", gm_cli_probe, "discover this node's driver and GPUs"},
    {"plan", gm_cli_plan, "place a queue of requests on an inventory of nodes"},
    {"export", gm_cli_export, "write node facts or requirements for k8s/Slurm/HTCondor/Arvados"},
    {"launch", gm_cli_launch, "start a GPU container with the right driver plumbing"},
    {"driver-files", gm_cli_driver_files, "list the driver files a container needs"},
    {"cdi", gm_cli_cdi, "generate a Container Device Interface spec"},
    {"preflight", gm_cli_preflight, "check a node for states that break GPU containers"},
    {"tables", gm_cli_tables, "print the embedded CUDA knowledge tables"},
    {"matrix", gm_cli_matrix, "workloads x node kinds: fits, notes, why not; what-if a driver"},
    {"report", gm_cli_report, "write the matrix as one self-contained HTML page"},
    {"prove", gm_cli_prove, "load the target's modules on this node's GPUs; compare with the rules"},
    {"agent", gm_cli_agent, "keep NFD, Prometheus and Slurm views of this node current"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: gpumatch VERB [options] | --version | --help   (gpumatch VERB --help for\n"
               "       details)\n\nverbs:\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(f, "  %-13s %s\n", verbs[i].name, verbs[i].help);
    fprintf(f, "\n  --version     print the version\n"
               "\noptions that mean the same in every verb that has them:\n"
               "  -n, --nodes NODES   node documents: a file (one node, a list, {\"nodes\": [...]}),\n"
               "                      a directory (its *.json, sorted), a glob (quoted: gpumatch\n"
               "                      expands it) or - (stdin); repeats; --node is the same;\n"
               "                      a hostname seen twice is an error\n"
               "  -r, --require REQ   a requirement document, or a binary, directory, wheel or\n"
               "                      image, inspected on the fly; repeats where a verb takes\n"
               "                      several (check, matrix, report)\n"
               "  -o, --output FILE   write the result there, atomically, keeping FILE's mode\n"
               "  -j, --json          JSON output; -f, --format table|json|csv (csv: check, matrix)\n"
               "  -q, --quiet         no progress line on stderr (shown only on a terminal, while\n"
               "                      inspect, or a --require that is not a document, is read)\n"
               "  --host NAME         pick the node with that hostname (launch, preflight,\n"
               "                      driver-files)\n"
               "  a single-valued option given twice is an error; a mistyped one gets a\n"
               "  suggestion (\"did you mean --require?\")\n");
    fputc('\n', f);
    gm_cli_exit_help(f);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return GM_EXIT_INPUT;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return GM_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("gpumatch %s\n", gm_version(NULL, NULL, NULL));
        return GM_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strcmp(argv[1], verbs[i].name)) {
            char prog[64]; /* getopt's messages then read "gpumatch VERB: ..." */
            snprintf(prog, sizeof prog, "gpumatch %s", verbs[i].name);
            argv[1] = prog;
            return verbs[i].run(argc - 1, argv + 1);
        }
    const char *best = NULL;
    size_t bd = 3;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (gm_close_word(argv[1], verbs[i].name, &bd))
            best = verbs[i].name;
    if (best) {
        fprintf(stderr, "gpumatch: unknown verb '%s'; did you mean %s?\n", argv[1], best);
        return GM_EXIT_INPUT;
    }
    fprintf(stderr, "gpumatch: unknown verb '%s'\n", argv[1]);
    usage(stderr);
    return GM_EXIT_INPUT;
}
