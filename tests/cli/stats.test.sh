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
# "as of" time of the header replaced by NOW and the user's next run by
# NEXT RUN (both move with the clock; the unit and db tests pin them).
golden() {
  _n=$1; shift
  if ! stats "$@" >"$tmp/$_n.raw" 2>"$tmp/$_n.err"; then
    not_ok "golden $_n: exit status"; sed 's/^/  | /' "$tmp/$_n.err"; return
  fi
  sed -E -e 's/as of [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} [A-Za-z0-9+-]+$/as of NOW/' \
    -e 's/^(  next run: +)[0-9].*/\1NEXT RUN/' "$tmp/$_n.raw" >"$tmp/$_n.txt"
  if [ "${UPDATE_GOLDEN:-}" = 1 ]; then cp "$tmp/$_n.txt" "$src/tests/cli/expected/$_n.txt"; fi
  if diff -u "$src/tests/cli/expected/$_n.txt" "$tmp/$_n.txt"; then ok "golden $_n"; else not_ok "golden $_n"; fi
}

golden stats_emails emails --until 2025-03-12 --days 3 --by-variant --chart always
zone=Europe/Berlin golden stats_emails_berlin emails --until 2025-03-12 --days 3
golden stats_briefs briefs --until 2025-03-12 --days 4 --chart always
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -c "INSERT INTO email_suppressions (email, reason, detail, created_at)
  VALUES ('bob@example.com', 'hard_bounce', '550 mailbox unavailable', '2025-03-10 10:00:05+00')"
golden stats_user_bob user bob@example.com --until 2025-03-12 --days 3
golden stats_user_carol user 00000000-0000-4000-8000-00000000000c --until 2025-03-12 --days 3

# The user report dates briefs in the user's zone. Kiritimati (+14) is
# always a calendar day ahead of Pago Pago (-11), the operator's zone here:
# the brief of the user's today, completed, shows with or without --tz (it
# did not: "no briefs in the window").
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO users (id, email) VALUES ('00000000-0000-4000-8000-0000000000f0', 'kiri@example.com');
INSERT INTO user_brief_preferences (user_id, timezone, time_of_day, email_daily_brief)
VALUES ('00000000-0000-4000-8000-0000000000f0', 'Pacific/Kiritimati', '00:05', true);
INSERT INTO daily_briefs (user_id, brief_date, generation_status, generation_started_at, generation_completed_at)
VALUES ('00000000-0000-4000-8000-0000000000f0', (now() AT TIME ZONE 'Pacific/Kiritimati')::date,
        'completed', now(), now());
SQL
kiri_today=$($PSQL "$url" -XAtc "SELECT (now() AT TIME ZONE 'Pacific/Kiritimati')::date")
TZ=Pacific/Pago_Pago "$bin/briefos-stats" --database-url "$url" user kiri@example.com --days 1 >"$tmp/kiri.txt"
check "user report in the user's zone shows the brief of the user's today" \
  grep -q "^  $kiri_today  completed" "$tmp/kiri.txt"
check "the header names the user's zone" grep -q "Pacific/Kiritimati (the user's zone)" "$tmp/kiri.txt"
check "the diagnosis gives the next run in the user's zone and UTC" \
  grep -Eq '^  next run: +[0-9-]{10} 00:05:00 \+14 \([0-9-]{10} 10:05:00 UTC\)$' "$tmp/kiri.txt"
"$bin/briefos-stats" --database-url "$url" --tz Pacific/Pago_Pago user kiri@example.com --days 1 >"$tmp/kiri_tz.txt"
check "with --tz, times in that zone and the brief of the user's today still shown" \
  grep -q "^  $kiri_today  completed at .* SST" "$tmp/kiri_tz.txt"
"$bin/briefos-stats" --database-url "$url" user kiri@example.com --days 1 --json >"$tmp/kiri.json"
check "user --json carries the window, the zone source and the diagnosis" $py -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["v"] == 1 and d["zone"] == "Pacific/Kiritimati" and d["zone_source"] == "user", d
assert isinstance(d["briefs"][0]["empty"], bool), d["briefs"]
assert d["window"]["until"] == sys.argv[2] and len(d["briefs"]) == 1, d
g = d["diagnosis"]
assert g["zone_valid"] is True and g["suppressed"] is False and g["next_run_utc"].endswith("T10:05:00+00:00"), g
assert g["last_email_id"] is None, g
assert [f["finding"] for f in d["findings"]] == ["no brief email was ever made for this user"], d["findings"]
' "$tmp/kiri.json" "$kiri_today"
"$bin/briefos-stats" --database-url "$url" user kiri@example.com --days 1 --format csv >"$tmp/kiri.csv"
check "user --format csv is the briefs table" grep -q "^$kiri_today,.*,completed," "$tmp/kiri.csv"

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
stats health >"$tmp/health.txt" || true
check "health has the invalid zones check, passing" grep -Eq '^invalid_zones +PASS +0 +0 ' "$tmp/health.txt"
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -c "INSERT INTO user_brief_preferences (user_id, timezone)
  VALUES ('00000000-0000-4000-8000-00000000000c', 'Mars/Olympus_Mons')"
stats health >"$tmp/health.txt" || true
check "an active preference in an unknown zone fails the check" \
  grep -Eq '^invalid_zones +FAIL +1 +0 .*"Mars/Olympus_Mons"' "$tmp/health.txt"
stats health --max-invalid-zones 1 >"$tmp/health.txt" || true
check "--max-invalid-zones raises the threshold" grep -Eq '^invalid_zones +PASS +1 +1 ' "$tmp/health.txt"
expect_status 2 "--max-invalid-zones below 0 is a usage error" stats health --max-invalid-zones -1
expect_status 2 "--days 0 is a usage error" stats briefs --days 0
expect_status 2 "unknown format is a usage error" stats queue --format xml
expect_status 2 "unknown user is a usage error" stats user nobody@example.com

finish
