#!/usr/bin/env python3
"""Runs every `$ ` example in Markdown files and diffs its output.

In a fenced code block, a line starting with "$ " is a command (a trailing
backslash continues it on the next line); the lines after it, up to the next
command or the end of the block, are its expected output (stdout and stderr
together). Elisions are marked: a line that is only "..." stands for any
number of lines, and "..." inside a line for any text. Trailing blanks are
ignored. A block right after a line "<!-- docs: skip REASON -->" (an HTML
comment, invisible on GitHub) is not run: it needs what a test host lacks (a
GPU, a CUDA install, docker, a downloaded wheel) and is reported as SKIP with
REASON, and counted. Commands of one block share a shell working directory; each block
starts at the repository root, in a scratch directory whose entries link to
the root's (so files an example writes land in the scratch directory), with
the built `gpumatch` first on PATH, and the files `samples/make` writes.

usage: run_docs.py [--build DIR] [--root DIR] FILE.md[#HEADING]...   exit 0: all match
(FILE.md#HEADING: only the "## HEADING..." section.)"""
import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile


SKIP_RE = re.compile(r"<!--\s*docs:\s*skip\b\s*(.*?)\s*-->")


def blocks(path, section=None):
    """Yields (line number, [lines], skip reason or None) of every fenced block
    that has a command; with section, only those under the "## " heading that
    starts with it."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i, inside, skip = 0, section is None, None
    while i < len(lines):
        if section is not None and lines[i].startswith("## "):
            inside = lines[i][3:].startswith(section)
        if not inside:
            i += 1
            continue
        m = SKIP_RE.match(lines[i].strip())
        if m:
            skip = m.group(1) or "marked skip"
            i += 1
            continue
        if lines[i].lstrip().startswith("```"):
            start, body = i + 1, []
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith("```"):
                body.append(lines[i])
                i += 1
            if any(l.startswith("$ ") for l in body):
                yield start + 1, body, skip
            skip = None
        elif lines[i].strip():
            skip = None  # the marker applies to the block right after it only
        i += 1


def examples(body):
    """[(command, [expected lines])] of one block."""
    out, i = [], 0
    while i < len(body) and not body[i].startswith("$ "):
        i += 1
    while i < len(body):
        cmd = body[i][2:]
        while cmd.endswith("\\") and i + 1 < len(body):
            i += 1
            cmd = cmd + "\n" + body[i]
        i += 1
        exp = []
        while i < len(body) and not body[i].startswith("$ "):
            exp.append(body[i])
            i += 1
        while exp and not exp[-1].strip():
            exp.pop()
        out.append((cmd, exp))
    return out


def line_re(pattern):
    parts = pattern.rstrip().split("...")
    return re.compile(".*".join(re.escape(p) for p in parts) + r"\Z", re.S)


def matches(expected, got):
    """Expected lines (with elisions) against output lines."""
    exp = [l.rstrip() for l in expected]
    got = [l.rstrip() for l in got]
    memo = {}

    def m(i, j):
        if (i, j) in memo:
            return memo[(i, j)]
        if i == len(exp):
            r = j == len(got)
        elif exp[i].strip() == "...":
            r = any(m(i + 1, k) for k in range(j, len(got) + 1))
        else:
            r = j < len(got) and (exp[i] == got[j] or
                                  ("..." in exp[i] and bool(line_re(exp[i]).match(got[j])))) \
                and m(i + 1, j + 1)
        memo[(i, j)] = r
        return r
    sys.setrecursionlimit(100000)
    return m(0, 0)


def scratch(root):
    d = tempfile.mkdtemp(prefix="gm-docs-")
    for name in os.listdir(root):
        if name not in (".git",):
            os.symlink(os.path.join(root, name), os.path.join(d, name))
    return d


def run_block(cmds, root, bindir, timeout):
    d = scratch(root)
    cwd, results, rc = d, [], 0
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""), LC_ALL="C.UTF-8")
    env.pop("COLUMNS", None)
    marker = os.path.join(d, ".gm-docs-cwd")
    # the files examples name without a path (a100-01.json, ...): samples/make
    mk = os.path.join(root, "samples", "make")
    if os.access(mk, os.X_OK):
        subprocess.run([mk, d], check=True, stdout=subprocess.DEVNULL)
    try:
        for cmd, exp in cmds:
            # $? of the previous example is visible, as in one interactive shell
            script = "(exit %d)\n%s\n__rc=$?\npwd -P >%s 2>/dev/null || pwd >%s\nexit $__rc\n" % (
                rc, cmd, marker, marker)
            try:
                p = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, timeout=timeout,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
                got, rc = p.stdout.decode("utf-8", "replace"), p.returncode
            except subprocess.TimeoutExpired:
                got = "<timed out after %d s>" % timeout
            if os.path.exists(marker):
                cwd = open(marker).read().strip() or cwd
                os.unlink(marker)
            got_lines = got.split("\n")
            while got_lines and not got_lines[-1].strip():
                got_lines.pop()
            results.append((cmd, exp, got_lines, matches(exp, got_lines)))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return results


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=os.path.normpath(os.path.join(here, "..", "..")))
    ap.add_argument("--build", default=None, help="directory holding the gpumatch binary")
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    bindir = os.path.abspath(a.build or os.path.join(root, "build"))
    if not os.access(os.path.join(bindir, "gpumatch"), os.X_OK):
        print("no gpumatch binary in %s" % bindir)
        return 2
    n = bad = skipped = 0
    for f in a.files:
        name, _, section = f.partition("#")
        path = name if os.path.isabs(name) else os.path.join(root, name)
        for lineno, body, skip in blocks(path, section or None):
            if skip is not None:
                k = len(examples(body))
                skipped += k
                print("SKIP %s:%d: %d example(s): %s" % (f, lineno, k, skip))
                continue
            for cmd, exp, got, ok in run_block(examples(body), root, bindir, a.timeout):
                n += 1
                if ok:
                    continue
                bad += 1
                print("FAIL %s:%d: $ %s" % (f, lineno, cmd.replace("\n", "\n    ")))
                for l in difflib.unified_diff(exp, got, "documented", "actual", lineterm="", n=1):
                    print("    " + l)
    print("%d examples, %d failed" % (n, bad) + (", %d skipped" % skipped if skipped else ""))
    return 1 if bad else 0


sys.exit(main())
