/* nvidia-smi backend: parse `nvidia-smi -q -x` (the nvidia_smi_log document,
 * nvsmi_device_v*.dtd) from a file or from the live command. The document does
 * not carry the compute capability in most driver versions, so it is taken from
 * <compute_cap> when present, else from the product name, else from the
 * architecture when that names one capability. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "internal.h"
#include "probe/probe_int.h"

extern char **environ;

static const xmlNode *child(const xmlNode *n, const char *name) {
    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name)) return c;
    return NULL;
}

/* Trimmed text of a child element, or NULL when absent, empty or "N/A". */
static char *text_of(const xmlNode *n, const char *name) {
    const xmlNode *c = child(n, name);
    if (!c) return NULL;
    xmlChar *raw = xmlNodeGetContent(c);
    if (!raw) return NULL;
    const char *s = (const char *)raw;
    while (isspace((unsigned char)*s)) s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1])) len--;
    char *out = NULL;
    if (len && !(len == 3 && !strncmp(s, "N/A", 3))) out = gm_strndup(s, len);
    xmlFree(raw);
    return out;
}

/* "81920 MiB" -> 81920; -1 when absent or unparseable. */
static long mib_of(const xmlNode *n, const char *name) {
    char *t = text_of(n, name);
    long v = -1;
    if (t) {
        char *end;
        errno = 0;
        long x = strtol(t, &end, 10);
        while (*end == ' ') end++;
        if (!errno && end != t && x >= 0 && (!strcmp(end, "MiB") || !*end)) v = x;
        free(t);
    }
    return v;
}

static int int_of(const xmlNode *n, const char *name) {
    char *t = text_of(n, name);
    int v = -1;
    if (t) {
        char *end;
        long x = strtol(t, &end, 10);
        if (end != t && !*end && x >= 0 && x < 1000000) v = (int)x;
        free(t);
    }
    return v;
}

static gm_mig_mode mig_of(const char *s) {
    if (!s) return GM_MIG_UNSUPPORTED; /* "N/A": the GPU has no MIG */
    if (!strcmp(s, "Enabled")) return GM_MIG_ENABLED;
    if (!strcmp(s, "Disabled")) return GM_MIG_DISABLED;
    return GM_MIG_UNKNOWN;
}

/* Only architectures with a single compute capability among GPUs that report it. */
static bool cc_from_arch(const char *arch, gm_cc *cc) {
    static const struct {
        const char *arch;
        int major, minor;
    } t[] = {{"Volta", 7, 0}, {"Turing", 7, 5}, {"Ada Lovelace", 8, 9}, {"Hopper", 9, 0}};
    if (!arch) return false;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(arch, t[i].arch)) {
            cc->major = t[i].major;
            cc->minor = t[i].minor;
            return true;
        }
    return false;
}

static int parse_gpu(const xmlNode *g, gm_node *out, const char *origin, gm_error *err) {
    gm_device *d = gm_probe_add_device(out);
    if (!d) return gm_error_set(err, GM_ENOMEM, "out of memory");
    d->index = (int)out->n_devices - 1; /* nvidia-smi lists GPUs in NVML index order */
    d->name = text_of(g, "product_name");
    char *brand = text_of(g, "product_brand");
    if (brand) d->brand = gm_strdup(gm_probe_brand_from_text(brand));
    free(brand);
    d->uuid = text_of(g, "uuid");
    char *bus = text_of(child(g, "pci"), "pci_bus_id");
    if (!bus) {
        xmlChar *id = xmlGetProp(g, (const xmlChar *)"id");
        if (id) bus = gm_strdup((const char *)id);
        xmlFree(id);
    }
    if (bus) d->pci_bus_id = gm_probe_norm_busid(bus);
    free(bus);
    d->memory_mib = mib_of(child(g, "fb_memory_usage"), "total");
    char *mn = text_of(g, "minor_number"); /* /dev/nvidia<minor>, not the index */
    if (mn) {
        char *end;
        long m = strtol(mn, &end, 10);
        if (end != mn && !*end && m >= 0 && m < 255) d->minor = (int)m;
    }
    free(mn);
    char *p = text_of(g, "persistence_mode");
    if (p) d->persistence_mode = !strcmp(p, "Enabled") ? GM_TRI_YES
                                 : !strcmp(p, "Disabled") ? GM_TRI_NO : GM_TRI_UNKNOWN;
    free(p);
    const xmlNode *mm = child(g, "mig_mode");
    if (mm) {
        char *cur = text_of(mm, "current_mig"), *pend = text_of(mm, "pending_mig");
        d->mig_mode = mig_of(cur);
        d->mig_pending = mig_of(pend);
        free(cur);
        free(pend);
    }
    const xmlNode *md = child(g, "mig_devices");
    for (const xmlNode *m = md ? md->children : NULL; m; m = m->next) {
        if (m->type != XML_ELEMENT_NODE || strcmp((const char *)m->name, "mig_device")) continue;
        gm_mig_instance *mi = gm_probe_add_mig(d);
        if (!mi) return gm_error_set(err, GM_ENOMEM, "out of memory");
        mi->gi = int_of(m, "gpu_instance_id");
        mi->ci = int_of(m, "compute_instance_id");
        mi->memory_mib = mib_of(child(m, "fb_memory_usage"), "total");
        mi->uuid = text_of(m, "uuid"); /* absent in the drivers we have seen */
    }
    char *cc = text_of(g, "compute_cap");
    if (cc) {
        if (gm_cc_parse(cc, &d->cc, err) < 0) {
            free(cc);
            return gm_error_prefix(err, "%s: GPU %d <compute_cap>: ", origin, d->index);
        }
        free(cc);
    } else if (!gm_probe_cc_from_name(d->name, &d->cc)) {
        char *arch = text_of(g, "product_architecture");
        cc_from_arch(arch, &d->cc);
        free(arch);
    }
    if (!d->name && !d->uuid)
        return gm_error_set(err, GM_EINVAL, "%s: <gpu> %d has neither <product_name> nor <uuid>",
                            origin, d->index);
    return 0;
}

int gm_probe_parse_smi_xml(const char *xml, size_t len, const char *origin, gm_node *out,
                           gm_error *err) {
    if (!origin) origin = "<nvidia-smi>";
    if (len > GM_MAX_DOC_BYTES || len > (size_t)INT32_MAX)
        return gm_error_set(err, GM_EINVAL, "%s: document too large", origin);
    xmlParserCtxtPtr ctx = xmlNewParserCtxt();
    if (!ctx) return gm_error_set(err, GM_ENOMEM, "out of memory");
    /* No network, no external DTD, no entity expansion: the input is untrusted. */
    xmlDocPtr doc = xmlCtxtReadMemory(ctx, xml, (int)len, origin, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    int rc = 0;
    if (!doc) {
        const xmlError *e = xmlCtxtGetLastError(ctx);
        char msg[200] = "not well-formed";
        if (e && e->message) {
            snprintf(msg, sizeof msg, "%s", e->message);
            size_t n = strlen(msg);
            while (n && isspace((unsigned char)msg[n - 1])) msg[--n] = 0;
        }
        rc = gm_error_set(err, GM_EINVAL, "%s:%d: malformed XML: %s", origin, e ? e->line : 0, msg);
        xmlFreeParserCtxt(ctx);
        return rc;
    }
    const xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || strcmp((const char *)root->name, "nvidia_smi_log")) {
        rc = gm_error_set(err, GM_EINVAL, "%s: root element is <%s>, expected <nvidia_smi_log>",
                          origin, root ? (const char *)root->name : "");
        goto done;
    }
    char *dv = text_of(root, "driver_version");
    if (!dv) {
        rc = gm_error_set(err, GM_EINVAL, "%s: no <driver_version>", origin);
        goto done;
    }
    rc = gm_driver_version_parse(dv, &out->driver, err);
    free(dv);
    if (rc < 0) {
        rc = gm_error_prefix(err, "%s: <driver_version>: ", origin);
        goto done;
    }
    char *cv = text_of(root, "cuda_version");
    if (cv) {
        rc = gm_cuda_version_parse(cv, &out->cuda_driver, err);
        free(cv);
        if (rc < 0) {
            rc = gm_error_prefix(err, "%s: <cuda_version>: ", origin);
            goto done;
        }
        out->has_cuda_driver = true;
    }
    for (const xmlNode *g = root->children; g && rc == 0; g = g->next)
        if (g->type == XML_ELEMENT_NODE && !strcmp((const char *)g->name, "gpu"))
            rc = parse_gpu(g, out, origin, err);
done:
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctx);
    return rc;
}

/* Runs `nvidia-smi -q -x` and returns its standard output. */
static int run_smi(const char *cmd, char **text, size_t *len, gm_error *err) {
    int fds[2];
    if (pipe(fds) < 0) return gm_error_set(err, GM_EIO, "pipe: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    char *argv[] = {(char *)cmd, (char *)"-q", (char *)"-x", NULL};
    pid_t pid;
    int e = posix_spawnp(&pid, cmd, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (e) {
        close(fds[0]);
        return gm_error_set(err, e == ENOENT ? GM_EABSENT : GM_EIO, "cannot run %s: %s", cmd,
                            strerror(e));
    }
    size_t cap = 0, n = 0;
    char *buf = NULL;
    int rc = 0;
    for (;;) {
        if (gm_grow((void **)&buf, &cap, n + 65536 + 1, 1) < 0) {
            rc = gm_error_set(err, GM_ENOMEM, "out of memory");
            break;
        }
        ssize_t r = read(fds[0], buf + n, 65536);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += (size_t)r;
        if (n > GM_MAX_DOC_BYTES) {
            rc = gm_error_set(err, GM_EINVAL, "%s: output too large", cmd);
            break;
        }
    }
    close(fds[0]);
    if (rc < 0) kill(pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (rc == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        if (buf) buf[n] = 0;
        char first[200] = "";
        if (buf) sscanf(buf, " %199[^\n]", first);
        rc = gm_error_set(err, GM_EBACKEND, "%s -q -x failed (%s %d)%s%s", cmd,
                          WIFEXITED(st) ? "exit" : "signal",
                          WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), first[0] ? ": " : "",
                          first);
    }
    if (rc < 0) {
        free(buf);
        return rc;
    }
    if (buf) buf[n] = 0;
    *text = buf;
    *len = n;
    return 0;
}

int gm_probe_smi(const gm_probe_opts *o, gm_node *out, gm_error *err) {
    char *text = NULL;
    size_t len = 0;
    int rc;
    const char *origin;
    if (o->smi_file) {
        origin = o->smi_file;
        rc = gm_read_file(o->smi_file, GM_MAX_DOC_BYTES, &text, &len, err);
    } else {
        const char *cmd = o->smi_cmd ? o->smi_cmd : getenv("GPUMATCH_NVIDIA_SMI");
        if (!cmd || !*cmd) cmd = "nvidia-smi";
        origin = cmd;
        rc = run_smi(cmd, &text, &len, err);
    }
    if (rc == 0) rc = gm_probe_parse_smi_xml(text ? text : "", len, origin, out, err);
    free(text);
    return rc;
}
