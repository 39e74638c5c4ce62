#!/usr/bin/env bash
# gpumatch report: one self-contained HTML page, rendered by a real headless
# Chromium: loads with no console message (errors, CSP violations from any
# outside fetch), draws the heatmap, opens a cell's reasons, survives hostile
# names; the screenshot is decoded and checked for the heatmap colours.
. "$GM_SRC/tests/lib.sh"
S=$GM_SRC/samples
G=$GPUMATCH
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || skip "chromium not installed (scripts/deps --test installs Debian's chromium)"
REQS=()
for r in "$S"/requirements/*.json; do REQS+=(--require "$r"); done

chrome() { # chrome OUTFLAG URL: stdout/stderr to $GM_TMP/chrome.{out,err}
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$GM_TMP/profile" --enable-logging=stderr --v=0 --hide-scrollbars \
        --window-size=900,600 "$@" >"$GM_TMP/chrome.out" 2>"$GM_TMP/chrome.err"
}
console_lines() { grep -c ':CONSOLE' "$GM_TMP/chrome.err"; }

# The detector catches a console error (else the checks below could not fail).
echo '<html><body><script>console.error("boom")</script></body></html>' >"$GM_TMP/bad.html"
chrome --dump-dom "file://$GM_TMP/bad.html"
[ "$(console_lines)" -ge 1 ] || fail "console detector does not see console.error"

run "$G" report --nodes "$S/cluster.json" "${REQS[@]}" --what-if driver=580.95.05 --pool a100 \
    -o "$GM_TMP/fleet.html"
expect_rc 0 "report"
[ -s "$GM_TMP/fleet.html" ] || fail "no report written"
# self-contained: nothing to fetch
grep -Eq '<link|src=|https?:|@import|url\(' "$GM_TMP/fleet.html" && fail "report references outside assets"
ls "$GM_TMP" | grep -q '^\.fleet\|tmp' && fail "temporary file left beside the report"

chrome --dump-dom "file://$GM_TMP/fleet.html#cell=4,0"
[ "$(console_lines)" -eq 0 ] || fail "console messages: $(grep :CONSOLE "$GM_TMP/chrome.err")"
D=$(cat "$GM_TMP/chrome.out")
grep -q 'data-gm-ready="1"' <<<"$D" || fail "page script did not finish"
[ "$(grep -o 'class="cell [a-z-]*' <<<"$D" | wc -l)" -eq 30 ] || fail "heatmap does not have 5x6 cells"
grep -q '<b>seed on t4: no</b><ul><li>driver 470.57.02 &lt; 525.60.13 required</li>' <<<"$D" \
    || fail "clicked cell does not show its reasons"
grep -q 'driver 580.95.05 on pool a100' <<<"$D" || fail "what-if view missing"
grep -q '(was no)' <<<"$D" || fail "what-if change not marked"
grep -q '<td>535.104.05</td>\|580.95.05 (was 535.104.05)' <<<"$D" || fail "pool driver summary missing"

chrome --screenshot="$GM_TMP/shot.png" "file://$GM_TMP/fleet.html#cell=1,1"
[ -s "$GM_TMP/shot.png" ] || fail "no screenshot"
python3 "$GM_SRC/tests/ux/png_check.py" "$GM_TMP/shot.png" 20000 '#2e9e5b' '#cf3f3f' '#e2b93b' \
    || fail "screenshot blank or without the heatmap colours"

# Hostile names are text, never markup or script.
python3 - "$S/cluster.json" >"$GM_TMP/evil.json" <<'PY'
import json, sys
n = json.load(open(sys.argv[1]))["nodes"][4]
n["hostname"] = "</script><img src=x onerror=alert(1)><!--"
n["devices"][0]["name"] = "H100 <b>\u2028bold</b>"
print(json.dumps(n))
PY
run "$G" report --nodes "$GM_TMP/evil.json" --require "$S/requirements/seed.json" -o "$GM_TMP/evil.html"
expect_rc 0 "hostile report"
chrome --dump-dom "file://$GM_TMP/evil.html"
[ "$(console_lines)" -eq 0 ] || fail "hostile names: console: $(grep :CONSOLE "$GM_TMP/chrome.err")"
grep -q 'data-gm-ready="1"' "$GM_TMP/chrome.out" || fail "hostile names broke the page"
# outside the page's own scripts (where the data sits as JSON text) no <img element
python3 -c '
import re, sys
dom = re.sub(r"<script.*?</script>", "", open(sys.argv[1]).read(), flags=re.S)
assert "<img" not in dom, "markup from data"
assert "&lt;/script&gt;&lt;img src=x" in dom, "name not shown as text"
' "$GM_TMP/chrome.out" || fail "hostile name became markup or vanished"

# Bad output path: exit 2, one line, nothing left behind.
run "$G" report --nodes "$S/cluster.json" --require "$S/requirements/seed.json" -o "$GM_TMP/no/such/dir/x.html"
expect_rc 2 "unwritable"; expect_one_line_err
run "$G" report --nodes "$S/cluster.json" --require "$S/requirements/seed.json"
expect_rc 2 "no -o"
finish
