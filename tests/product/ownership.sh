#!/usr/bin/env bash
# docs/library.md's ownership table covers every public struct: each typedef'd
# struct of include/gpumatch/ (and sys/) has a row; one that owns memory (a
# non-const data pointer member, or a member of an owning type) names a free
# function declared in the headers; and test_ownership.c calls every free
# function the table names.
. "$GM_SRC/tests/lib.sh"
command -v python3 >/dev/null || skip "python3 missing"
out=$(python3 - "$GM_SRC" <<'PY'
import glob, re, sys
src = sys.argv[1]
heads = sorted(glob.glob(src + "/include/gpumatch/*.h") + glob.glob(src + "/include/gpumatch/sys/*.h"))
decl, structs, opaque = set(), {}, set()
for h in heads:
    s = re.sub(r"/\*.*?\*/|//[^\n]*", "", open(h).read(), flags=re.S)
    decl |= set(re.findall(r"\b(gm_\w+)\s*\(", s))
    for m in re.finditer(r"typedef\s+struct\s*\w*\s*\{(.*?)\}\s*(\w+)\s*;", s, re.S):
        structs[m.group(2)] = m.group(1)
    for m in re.finditer(r"typedef\s+struct\s+\w+\s+(\w+)\s*;", s):
        opaque.add(m.group(1))
def direct(body):
    for d in body.split(";"):
        d = d.strip()
        if "*" not in d or "(*" in d:       # no pointer, or a function pointer
            continue
        if re.search(r"\bconst\b", d) or re.match(r"void\s*\*", d):  # borrowed
            continue
        return True
    return False
owns = {t for t, b in structs.items() if direct(b)}
changed = True
while changed:  # a member of an owning type owns too (gm_strlist reasons;)
    changed = False
    for t, b in structs.items():
        if t not in owns and any(re.search(r"(^|[;{\s])" + o + r"\s+\w", b) for o in owns):
            owns.add(t); changed = True
doc = open(src + "/docs/library.md").read()
i = doc.find("<!-- ownership table")
if i < 0:
    print("docs/library.md: no ownership table"); sys.exit()
rows = {}
for line in doc[i:].splitlines()[1:]:
    if not line.startswith("|"):
        if rows: break
        continue
    cells = [c.strip() for c in line.strip("|").split("|")]
    m = re.fullmatch(r"`(gm_\w+)`", cells[0])
    if m: rows[m.group(1)] = cells
test = open(src + "/tests/product/test_ownership.c").read()
for t in sorted(set(structs) | opaque):
    if t not in rows:
        print(f"{t}: public struct with no row in docs/library.md's ownership table"); continue
    frees = re.findall(r"`(gm_\w+)`", rows[t][3])
    for f in frees:
        if f not in decl:
            print(f"{t}: free function {f} is declared in no public header")
        elif not re.search(r"\b" + f + r"\b", test):
            print(f"{t}: {f} is never called by tests/product/test_ownership.c")
    # A handle passed to a callback is borrowed; any other owner needs a free.
    if (t in owns or t in opaque) and not frees and "free(3)" not in rows[t][3] and \
            not (t in opaque and "borrowed" in rows[t][3]):
        print(f"{t}: owns memory but its row names no free function")
for t in rows:
    if t not in structs and t not in opaque:
        print(f"{t}: row for a type no public header defines")
PY
)
[ -z "$out" ] || fail "$out"
finish
