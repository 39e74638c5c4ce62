/* arvados: node -> an InstanceTypes entry (cluster config) with its GPU block
 * (Stack, DriverVersion = CUDA version the driver supports, HardwareTarget =
 * compute capability, DeviceCount, VRAM); requirement -> a container request's
 * runtime_constraints.gpu (stack, device_count, driver_version, hardware_target,
 * vram). Field names: Arvados config.default.yml and the container runtime
 * constraints documentation (doc/_includes/_container_runtime_constraints.liquid).
 * As gpumatch reads them back: one hardware_target means "CC >= that", several
 * mean "one of these". JSON has no comments: notes go to the caller only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export_internal.h"
#include "export/units.h"
#include "gpumatch/export.h"
#include "gpumatch/tables.h"
#include "internal.h"

static const char *it_name(const gm_node *n) {
    return n->instance_type ? n->instance_type : n->hostname ? n->hostname : "node";
}

static void yq(gm_buf *b, const char *s) { /* YAML double-quoted scalar */
    gm_buf_printf(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') gm_buf_printf(b, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) gm_buf_printf(b, "\\x%02x", (unsigned char)*s);
        else gm_buf_printf(b, "%c", *s);
    }
    gm_buf_printf(b, "\"");
}

/* One entry of the InstanceTypes map. Arvados has no notion of MIG: the GPU
 * block counts the GPUs not in MIG mode (crunch-run hands out whole GPUs). */
static void arvados_entry(const gm_node *n, gm_buf *b, gm_strlist *notes) {
    const char *name = it_name(n);
    gm_buf_printf(b, "  ");
    yq(b, name);
    gm_buf_printf(b, ":\n    ProviderType: ");
    yq(b, name);
    gm_buf_printf(b, "\n");
    if (n->price >= 0) gm_buf_printf(b, "    Price: %g\n", n->price);
    gm_cuda_version dc;
    bool has_dc = gm_node_driver_cuda(n, &dc);
    const gm_device *first = NULL;
    size_t nf = 0;
    bool uniform = true;
    for (size_t i = 0; i < n->n_devices; i++) {
        const gm_device *d = &n->devices[i];
        if (gm_dev_is_mig(d)) continue;
        if (!first) first = d;
        else uniform &= !gm_cc_cmp(&first->cc, &d->cc) && first->memory_mib == d->memory_mib &&
                        !strcmp(first->name ? first->name : "", d->name ? d->name : "");
        nf++;
    }
    if (nf < n->n_devices)
        gm_note(b, notes, "    #", "GPUs in MIG mode are not counted: Arvados has no MIG instances");
    if (nf && !uniform) {
        gm_note(b, notes, "    #", "mixed GPU models: an instance type names one compute capability, so no "
                                    "GPU block is written (GPU containers will not be sent here)");
    } else if (nf && !first->cc.major) {
        gm_note(b, notes, "    #", "compute capability unknown: no GPU block is written");
    } else if (nf && !has_dc) {
        /* node_size.go: an unparsable DriverVersion fails every GPU request */
        gm_note(b, notes, "    #", "driver's CUDA version unknown: no GPU block is written");
    } else if (nf) {
        gm_buf_printf(b, "    GPU:\n      Stack: \"cuda\"\n");
        gm_buf_printf(b, "      DriverVersion: \"%d.%d\"\n", dc.major, dc.minor);
        gm_buf_printf(b, "      HardwareTarget: \"%d.%d\"\n      DeviceCount: %zu\n", first->cc.major,
                      first->cc.minor, nf);
        if (first->memory_mib >= 0) gm_buf_printf(b, "      VRAM: %ldMiB\n", first->memory_mib);
    }
}

int gm_export_arvados_nodes(const gm_node_list *l, char **out, gm_strlist *notes, gm_error *err) {
    gm_buf b = {0};
    for (size_t i = 0; i < l->n; i++)
        for (size_t k = 0; k < i; k++)
            if (!strcmp(it_name(&l->nodes[i]), it_name(&l->nodes[k])))
                return gm_error_set(err, GM_EINVAL, "nodes[%zu] and nodes[%zu] are both named \"%s\": "
                                    "InstanceTypes keys must differ", k, i, it_name(&l->nodes[i]));
    if (l->n == 1)
        gm_buf_printf(&b, "# Arvados InstanceTypes entry for %s (gpumatch export --to arvados)\n",
                      it_name(&l->nodes[0]));
    else
        gm_buf_printf(&b, "# Arvados InstanceTypes for %zu nodes (gpumatch export --to arvados)\n", l->n);
    gm_note(&b, notes, "#", "VCPUs, RAM and Scratch are not in the node document: fill them in");
    gm_buf_printf(&b, "InstanceTypes:%s\n", l->n ? "" : " {}");
    for (size_t i = 0; i < l->n; i++) arvados_entry(&l->nodes[i], &b, notes);
    *out = gm_buf_finish(&b, err);
    return *out ? 0 : GM_ENOMEM;
}

int gm_export_arvados_node(const gm_node *n, char **out, gm_strlist *notes, gm_error *err) {
    gm_node_list one = {(gm_node *)n, 1};
    return gm_export_arvados_nodes(&one, out, notes, err);
}

int gm_export_arvados_req(const gm_requirement *r, char **out, gm_strlist *notes, gm_error *err) {
    gm_req_summary s;
    int rc = gm_req_summarize(r, &s, err);
    if (rc) return rc;
    for (size_t i = 0; i < s.notes.n; i++) gm_note(NULL, notes, NULL, s.notes.items[i]);
    int32_t cu = s.min_cuda;
    if (s.min_drv != GM_DRV_NONE) {
        int32_t c = gm_cuda_for_driver(s.min_drv);
        char a[64];
        gm_drv_int_str(s.min_drv, a, sizeof a);
        char *t = gm_asprintf("driver >= %s expressed as driver_version (CUDA the driver supports) "
                              ">= the first CUDA release bundling such a driver", a);
        if (t) gm_note(NULL, notes, NULL, t);
        free(t);
        if (c > cu) cu = c;
    }
    /* one driver_version for all CCs: the highest any of them needs */
    bool open = s.ngroups > 0;
    size_t ncc = 0;
    for (size_t g = 0; g < s.ngroups; g++) {
        if (s.groups[g].need > cu) cu = s.groups[g].need;
        ncc += s.groups[g].n;
    }
    if (s.ngroups > 1)
        gm_note(NULL, notes, NULL, "different CCs need different driver CUDA versions (PTX JIT); "
                                   "one driver_version is the highest of them (conservative)");
    /* the union of CCs is "all known >= lowest" and open-ended? */
    gm_cc lo = {99, 99};
    for (size_t g = 0; g < s.ngroups; g++) {
        open &= s.groups[g].open_above || s.ngroups > 1;
        if (gm_cc_cmp(&s.groups[g].ccs[0], &lo) < 0) lo = s.groups[g].ccs[0];
    }
    json_t *root = json_object(), *rt = json_object(), *gpu = json_object(), *ht = json_array();
    json_object_set_new(gpu, "stack", json_string("cuda"));
    json_object_set_new(gpu, "device_count", json_integer(s.count));
    char v[32];
    /* container_request.rb wants "X.Y" when device_count > 0 ("0.0" is
     * refused): with no minimum, 1.0, which every CUDA driver supports */
    if (cu == GM_NEED_NONE || cu < 1000) cu = 1000;
    if (cu == GM_NEED_NEVER) cu = 99000;
    gm_cuda_int_str(cu, v, sizeof v);
    json_object_set_new(gpu, "driver_version", json_string(v));
    /* one target ("CC >= lo") when the union of CCs is every known CC from lo
     * up and newer ones run it too */
    bool single_open = false;
    for (size_t g = 0; g < s.ngroups; g++) single_open |= s.groups[g].open_above;
    {
        size_t na;
        const gm_arch_entry *ae = gm_table_arch(&na);
        for (size_t i = 0; i < na && single_open; i++) {
            if (gm_cc_cmp(&ae[i].cc, &lo) < 0) continue;
            bool in = false;
            for (size_t g = 0; g < s.ngroups; g++)
                for (size_t k = 0; k < s.groups[g].n; k++) in |= !gm_cc_cmp(&s.groups[g].ccs[k], &ae[i].cc);
            single_open = in;
        }
    }
    if (single_open) {
        snprintf(v, sizeof v, "%d.%d", lo.major, lo.minor);
        json_array_append_new(ht, json_string(v));
    } else {
        (void)open;
        for (size_t g = 0; g < s.ngroups; g++)
            for (size_t i = 0; i < s.groups[g].n; i++) {
                snprintf(v, sizeof v, "%d.%d", s.groups[g].ccs[i].major, s.groups[g].ccs[i].minor);
                json_array_append_new(ht, json_string(v));
            }
        if (ncc == 1) {
            /* one entry would read as "CC >= X": repeat it to mean exactly X */
            json_array_append(ht, json_array_get(ht, 0));
            gm_note(NULL, notes, NULL, "one exact compute capability: listed twice, since a single "
                                       "hardware_target means a minimum");
        }
        if (ncc)
            gm_note(NULL, notes, NULL, "hardware_target lists the known CCs exactly; newer GPUs "
                                       "that would also run it are not included");
    }
    json_object_set_new(gpu, "hardware_target", ht);
    json_object_set_new(gpu, "vram", json_integer((json_int_t)s.min_mem_mib * 1048576));
    json_object_set_new(rt, "gpu", gpu);
    json_object_set_new(root, "runtime_constraints", rt);
    if (!s.ngroups) gm_note(NULL, notes, NULL, "no GPU gpumatch knows can run this requirement");
    *out = gm_json_dump(root, err);
    json_decref(root);
    gm_req_summary_free(&s);
    return *out ? 0 : GM_ENOMEM;
}
