#!/bin/bash
# launch runs preflight on this host before it execs a runtime: a healthy
# fake root lets the (stand-in) runtime start, a kernel module that differs
# from the user-space libraries refuses it. --dry-run never runs preflight.
. "$GM_SRC/tests/lib.sh"
. "$GM_SRC/tests/preflight/mkroot.sh"
G=$GPUMATCH
D=$GM_SRC/tests/launch/data
R=$GM_TMP/root
pf_root "$R" 535.104.05 3
cat >"$GM_TMP/fake-rt" <<'SH'
#!/bin/bash
: >"$FAKE_OUT"
exit 7
SH
chmod +x "$GM_TMP/fake-rt"
export FAKE_OUT=$GM_TMP/ran
base=(launch --root "$R" --node "$D/node-mixed.json" --require "$D/req-sm80.json" --runtime docker)

run "$G" "${base[@]}" --program "$GM_TMP/fake-rt" img
expect_rc 7 "healthy root: runtime started"
[ -e "$FAKE_OUT" ] || fail "runtime did not run on a healthy root"
rm -f "$FAKE_OUT"

pf_kmod "$R" 550.54.15   # kernel module no longer matches libcuda.so.535.104.05
run "$G" "${base[@]}" --program "$GM_TMP/fake-rt" img
expect_rc 1 "mismatched driver: refused"
expect_err "refused: preflight failed"
[ -e "$FAKE_OUT" ] && fail "runtime ran although preflight failed"
run "$G" "${base[@]}" --program "$GM_TMP/fake-rt" --no-preflight img
expect_rc 7 "--no-preflight skips it"
run "$G" "${base[@]}" --dry-run img
expect_rc 0 "--dry-run prints without checking this host"
finish
