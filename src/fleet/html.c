/* The fleet report: one HTML file that needs nothing else. The matrix JSON is
 * embedded and rendered by inline script; no network, no external assets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/fleet.h"
#include "internal.h"

static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";

static const char page_style[] =
    "</title>\n<style>\n"
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fff}\n"
    "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}\n"
    ".sub{color:#5b6473;margin-bottom:12px}\n"
    "table{border-collapse:collapse}th,td{padding:6px 10px;border:1px solid #d8dce3;text-align:left;white-space:nowrap}\n"
    "th{background:#f3f5f8;font-weight:600}\n"
    "td.cell{min-width:64px;text-align:center;cursor:pointer;font-weight:600}\n"
    ".fits{background:#2e9e5b;color:#fff}.fits-with-note{background:#e2b93b;color:#1d2330}\n"
    ".no{background:#cf3f3f;color:#fff}td.sel{outline:3px solid #1d2330;outline-offset:-3px}\n"
    ".chg{box-shadow:inset 0 0 0 3px #3b6fe2}\n"
    "#detail{margin-top:12px;padding:10px 14px;border:1px solid #d8dce3;background:#fafbfc;min-height:40px;max-width:1100px}\n"
    "#detail ul{margin:4px 0 0 18px;padding:0}.legend span{display:inline-block;padding:2px 8px;margin-right:6px}\n"
    ".toggle{margin:8px 0}.toggle button{font:inherit;padding:4px 10px;margin-right:4px;cursor:pointer}\n"
    ".toggle button.on{background:#1d2330;color:#fff}\n"
    "</style></head><body>\n"
    "<h1 id=\"title\"></h1><div class=\"sub\" id=\"sub\"></div>\n"
    "<div class=\"legend\"><span class=\"fits\">fits</span><span class=\"fits-with-note\">fits with note</span>"
    "<span class=\"no\">no</span></div>\n"
    "<div class=\"toggle\" id=\"toggle\" hidden><b>What-if:</b> <span id=\"wi\"></span><br>"
    "<button id=\"b-after\" class=\"on\">after</button><button id=\"b-before\">before</button></div>\n"
    "<h2>Workloads &times; node kinds</h2><table id=\"grid\"></table>\n"
    "<div id=\"detail\">Click a cell for its reasons (hover shows them too).</div>\n"
    "<h2>Pools: driver and compute capability</h2><table id=\"pools\"></table>\n"
    "<script type=\"application/json\" id=\"gm-data\">\n";

static const char page_script[] =
    "</script>\n<script>\n"
    "(function(){'use strict';\n"
    "var D=JSON.parse(document.getElementById('gm-data').textContent);\n"
    "var view='after';\n"
    "function el(t,a,x){var e=document.createElement(t);if(a)for(var k in a)e.setAttribute(k,a[k]);"
    "if(x!==undefined)e.textContent=x;return e;}\n"
    "function cellOf(w,k){var c=D.cells[w*D.kinds.length+k];return view==='before'&&c.before?c.before:c;}\n"
    "function why(c){var l=c.state==='no'?c.reasons:c.notes;return l.length?l.join('\\n'):"
    "(c.state==='fits'?'fits':'');}\n"
    "function label(s){return s==='fits-with-note'?'note':s;}\n"
    "function show(w,k,td){var c=cellOf(w,k),d=document.getElementById('detail');d.textContent='';"
    "var sel=document.querySelector('td.sel');if(sel)sel.classList.remove('sel');td.classList.add('sel');"
    "d.appendChild(el('b',null,D.workloads[w]+' on '+D.kinds[k].id+': '+c.state));"
    "var ul=el('ul');(c.state==='no'?c.reasons:c.notes).forEach(function(r){ul.appendChild(el('li',null,r));});"
    "if(c.state==='no'&&c.notes.length)c.notes.forEach(function(r){ul.appendChild(el('li',null,'note: '+r));});"
    "d.appendChild(ul);}\n"
    "function grid(){var t=document.getElementById('grid');t.textContent='';var h=el('tr');"
    "h.appendChild(el('th',null,'workload'));D.kinds.forEach(function(k){"
    "h.appendChild(el('th',{title:k.gpus},k.id+' ('+k.node_count+')'));});t.appendChild(h);"
    "D.workloads.forEach(function(name,w){var r=el('tr');r.appendChild(el('th',null,name));"
    "D.kinds.forEach(function(k,ki){var c=cellOf(w,ki),full=D.cells[w*D.kinds.length+ki];"
    "var td=el('td',{'class':'cell '+c.state,title:why(c),'data-w':w,'data-k':ki},label(c.state));"
    "if(full.before&&full.before.state!==full.state){td.classList.add('chg');"
    "td.appendChild(el('small',null,' (was '+label(view==='before'?full.state:full.before.state)+')'));}"
    "td.addEventListener('click',function(){show(w,ki,td);});r.appendChild(td);});t.appendChild(r);});}\n"
    "function pools(){var t=document.getElementById('pools');var h=el('tr');"
    "['kind','nodes','driver','CUDA (driver)','CC','GPUs','fits'].forEach(function(x){h.appendChild(el('th',null,x));});"
    "t.appendChild(h);D.kinds.forEach(function(k,ki){var r=el('tr'),n=0;"
    "D.workloads.forEach(function(_,w){if(cellOf(w,ki).state!=='no')n++;});"
    "var drv=(k.driver||'unknown')+(k.was_driver?' (was '+k.was_driver+')':'');"
    "[k.id,String(k.node_count),drv,k.cuda_driver||'unknown',k.compute_capabilities.join(', '),k.gpus,"
    "n+' of '+D.workloads.length].forEach(function(x){r.appendChild(el('td',null,x));});"
    "r.title=k.nodes.join(' ');t.appendChild(r);});}\n"
    "document.getElementById('title').textContent=document.title;\n"
    "var nn=0;D.kinds.forEach(function(k){nn+=k.node_count;});\n"
    "document.getElementById('sub').textContent=D.workloads.length+' workloads \\u00d7 '+D.kinds.length+"
    "' node kinds ('+nn+' nodes); schema_version '+D.schema_version;\n"
    "if(D.what_if){var tg=document.getElementById('toggle');tg.hidden=false;"
    "document.getElementById('wi').textContent='driver '+D.what_if.driver+' on pool '+D.what_if.pool+"
    "' (changed cells outlined in blue)';"
    "['after','before'].forEach(function(v){document.getElementById('b-'+v).addEventListener('click',function(){"
    "view=v;document.getElementById('b-after').classList.toggle('on',v==='after');"
    "document.getElementById('b-before').classList.toggle('on',v==='before');grid();pools();});});}\n"
    "grid();pools();\n"
    /* #cell=W,K opens a cell's reasons: a link to one answer, and the test's click */
    "var h=/^#cell=(\\d+),(\\d+)$/.exec(location.hash);if(h){var td=document.querySelector("
    "'td[data-w=\"'+h[1]+'\"][data-k=\"'+h[2]+'\"]');if(td)td.click();}\n"
    "document.body.setAttribute('data-gm-ready','1');\n"
    "})();\n</script>\n</body></html>\n";

static void html_text(FILE *f, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

char *gm_matrix_to_html(const gm_matrix *m, const char *title, gm_error *err) {
    char *json = gm_matrix_to_json(m, err);
    if (!json)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        free(json);
        gm_error_set(err, GM_ENOMEM, "out of memory");
        return NULL;
    }
    fputs(page_head, f);
    html_text(f, title && *title ? title : "gpumatch fleet report");
    fputs(page_style, f);
    /* inside <script> only "</" can end the element: JSON allows "<\/" */
    for (const char *p = json; *p; p++) {
        if (p[0] == '<' && (p[1] == '/' || p[1] == '!'))
            fputs("\\u003c", f);
        else
            fputc(*p, f);
    }
    fputs(page_script, f);
    free(json);
    if (fclose(f) != 0) {
        free(buf);
        gm_error_set(err, GM_ENOMEM, "out of memory");
        return NULL;
    }
    return buf;
}
