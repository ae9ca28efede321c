#!/bin/sh
# briefos-stats end to end over tests/cli/stats_seed.sql: golden tables
# (tests/cli/expected/stats_*.txt; UPDATE_GOLDEN=1 rewrites them), the HTML
# page parsed with Python's html.parser, CSV parsed with its csv module,
# --output written atomically, and the default layout off a terminal.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
need_db

url=$(new_migrated_db stats)
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -f "$src/tests/cli/stats_seed.sql" >/dev/null
py=/usr/bin/python3

stats() { "$bin/briefos-stats" --database-url "$url" --tz "${zone:-UTC}" "$@"; }

# golden NAME ARGS...: compare the table output with expected/NAME.txt, the
# "as of" time of the header replaced by NOW.
golden() {
  _n=$1; shift
  if ! stats "$@" >"$tmp/$_n.raw" 2>"$tmp/$_n.err"; then
    not_ok "golden $_n: exit status"; sed 's/^/  | /' "$tmp/$_n.err"; return
  fi
  sed -E 's/as of [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} [A-Za-z0-9+-]+$/as of NOW/' "$tmp/$_n.raw" >"$tmp/$_n.txt"
  if [ "${UPDATE_GOLDEN:-}" = 1 ]; then cp "$tmp/$_n.txt" "$src/tests/cli/expected/$_n.txt"; fi
  if diff -u "$src/tests/cli/expected/$_n.txt" "$tmp/$_n.txt"; then ok "golden $_n"; else not_ok "golden $_n"; fi
}

golden stats_emails emails --until 2025-03-12 --days 3 --by-variant --chart always
zone=Europe/Berlin golden stats_emails_berlin emails --until 2025-03-12 --days 3
golden stats_briefs briefs --until 2025-03-12 --days 4 --chart always
golden stats_user_bob user bob@example.com --until 2025-03-12 --days 3
golden stats_user_carol user 00000000-0000-4000-8000-00000000000c --until 2025-03-12 --days 3

# Off a terminal the default is still a table, without the bar column.
stats emails --until 2025-03-12 --days 3 >"$tmp/plain.txt"
if grep -q '^date  *total' "$tmp/plain.txt" && ! grep -q 'per day' "$tmp/plain.txt"; then
  ok "default format off a terminal is a table without bars"
else
  not_ok "default format off a terminal is a table without bars"
fi

# HTML: a well-formed self-contained page with one bar per day in each chart.
stats emails --until 2025-03-12 --days 3 --format html --output "$tmp/emails.html"
stats briefs --until 2025-03-12 --days 5 --format html --output "$tmp/briefs.html"
cat >"$tmp/check_html.py" <<'PY'
import sys
from html.parser import HTMLParser

VOID = {"meta", "br", "img", "hr", "input", "link", "line", "rect", "path", "circle"}

class Check(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.problems = [], []
        self.svgs, self.rects, self.cells, self.doctype = [], 0, [], False
        self.in_td = False
    def handle_decl(self, decl):
        self.doctype = decl.lower() == "doctype html"
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.problems.append("script tag")
        for k in ("src", "href"):
            if k in a:
                self.problems.append("external resource %s=%s" % (k, a[k]))
        if tag == "svg":
            self.svgs.append(0)
        if tag == "rect":
            self.svgs[-1] += 1
        if tag == "td":
            self.in_td = True
            self.cells.append("")
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        if tag == "rect":
            self.svgs[-1] += 1
    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append("unbalanced </%s> (open: %s)" % (tag, self.stack[-3:]))
        else:
            self.stack.pop()
        if tag == "td":
            self.in_td = False
    def handle_data(self, data):
        if self.in_td:
            self.cells[-1] += data

path, days, want_cells = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
p = Check()
p.feed(open(path, encoding="utf-8").read())
p.close()
if not p.doctype:
    p.problems.append("no <!DOCTYPE html>")
if p.stack:
    p.problems.append("unclosed: %s" % p.stack)
if len(p.svgs) != 2 or any(n != days for n in p.svgs):
    p.problems.append("charts %s, wanted 2 with %d bars" % (p.svgs, days))
for c in want_cells:
    if c not in p.cells:
        p.problems.append("no cell %r" % c)
for x in p.problems:
    print(x)
sys.exit(1 if p.problems else 0)
PY
check "html emails page parses, 2 charts x 3 bars, cells present" \
  $py "$tmp/check_html.py" "$tmp/emails.html" 3 2025-03-10 total 66.7% "2m 00s" "2m 54s"
check "html briefs page parses, 2 charts x 5 bars, cells present" \
  $py "$tmp/check_html.py" "$tmp/briefs.html" 5 2025-03-08 "19.5s" "2.0"
check "--output leaves no temporary file" sh -c "! ls '$tmp' | grep -q '\\.tmp\\.'"

# CSV: parseable, one row per day, machine units.
stats briefs --until 2025-03-12 --days 3 --format csv >"$tmp/briefs.csv"
check "csv parses with the expected rows" $py -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert [r["date"] for r in rows] == ["2025-03-10", "2025-03-11", "2025-03-12"], rows
assert rows[0]["generated"] == "2" and rows[0]["p95_generation_seconds"] == "19.5", rows[0]
assert rows[2]["avg_generation_seconds"] == "", rows[2]
' "$tmp/briefs.csv"

# JSON is one document.
stats queue --json >"$tmp/queue.json"
check "queue --json is one JSON document" $py -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["report"] == "queue"
t = {x["job_type"]: x for x in d["job_types"]}
assert t["generate_daily_brief"]["failed"] == 4 and t["generate_daily_brief"]["expired_leases"] == 1
' "$tmp/queue.json"

expect_status 5 "health fails on the seeded history" stats health
expect_status 2 "--days 0 is a usage error" stats briefs --days 0
expect_status 2 "unknown format is a usage error" stats queue --format xml
expect_status 2 "unknown user is a usage error" stats user nobody@example.com

finish
