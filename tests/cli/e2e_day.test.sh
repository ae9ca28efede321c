#!/bin/sh
# A simulated day: users in 20 time zones (half-hour and 45-minute offsets,
# both hemispheres, the date line, a daylight-saving change on the day),
# 24 hourly sweeps `briefos-schedule --now D+00:00Z ... D+23:00Z`, then
# `briefos-generate --drain`.
#
# D is the latest day on which the United States (and Newfoundland) sprang
# forward and which is at least two days old, so the 02:30 preferences of
# New York and St. John's fall into a spring-forward gap, and every job is
# claimable by the real clock.
#
# The expectation is computed independently with /usr/bin/python3's zoneinfo
# (never with briefos code): a preference for local time T in zone Z runs,
# on local date d, at datetime(d, T, tzinfo=Z, fold=0) (a time in a gap is
# shifted forward by the gap, a time in an overlap runs at its first
# occurrence). Each sweep at S looks --lookahead 1h ahead, so the 24 sweeps
# cover the instants [D 00:00Z, D+1 00:00Z]; new preferences are scheduled
# from the first sweep on. So user u gets a brief for local date d iff its run
# R(u, d) lies in that interval; the job is due at R - 2 min (the default
# --lead-time), with dedup key brief-<user>-<d>, and is queued by the first
# sweep S with R <= S + 1h.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
need_db

py=/usr/bin/python3
url=$(new_migrated_db e2e_day)
sql() { $PSQL "$url" -XAtqc "$1"; }

# --- the users, the day and the expectation (Python, zoneinfo) ---------------------
$py - "$tmp" <<'PY'
import datetime as dt, os, sys
from zoneinfo import ZoneInfo
out = sys.argv[1]
UTC = dt.timezone.utc
zones = [
    "Pacific/Kiritimati",   # +14, the first to start a day
    "Pacific/Chatham",      # +13:45 (southern summer time)
    "Pacific/Auckland",     # +13 (southern summer time)
    "Australia/Lord_Howe",  # +11, a 30-minute summer time
    "Australia/Adelaide",   # +10:30
    "Australia/Eucla",      # +8:45
    "Asia/Tokyo",           # +9
    "Asia/Yangon",          # +6:30
    "Asia/Kathmandu",       # +5:45
    "Asia/Kolkata",         # +5:30
    "Asia/Tehran",          # +3:30
    "Africa/Johannesburg",  # +2, southern hemisphere, no summer time
    "Europe/Berlin",        # +1
    "UTC",
    "America/Sao_Paulo",    # -3, southern hemisphere
    "America/St_Johns",     # -3:30, springs forward on D at 02:00 local
    "America/New_York",     # -5, springs forward on D at 02:00 local
    "America/Los_Angeles",  # -8, springs forward on D at 02:00 local
    "Pacific/Marquesas",    # -9:30
    "Pacific/Pago_Pago",    # -11, the last to end a day
]
times = ["00:00", "02:30", "06:15", "09:00", "12:45", "18:30", "23:59"]

# D: the latest second Sunday of March at least two days ago.
today = dt.datetime.now(UTC).date()
year = today.year
while True:
    first = dt.date(year, 3, 1)
    day = first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7)
    if day + dt.timedelta(days=2) <= today:
        break
    year -= 1
start = dt.datetime(day.year, day.month, day.day, tzinfo=UTC)
sweeps = [start + dt.timedelta(hours=k) for k in range(24)]
lookahead = dt.timedelta(hours=1)
lead = dt.timedelta(minutes=2)
end = sweeps[-1] + lookahead

def iso(t):
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

seed, expected = [], []
gaps = 0
n = 0
for zone in zones:
    tz = ZoneInfo(zone)
    for hhmm in times:
        n += 1
        uid = "00000000-0000-4000-8000-%012d" % n
        seed.append("('%s', 'day%d@example.com', '%s', '%s')" % (uid, n, zone, hhmm))
        h, m = map(int, hhmm.split(":"))
        runs = 0
        for offset in range(-2, 3):
            d = day + dt.timedelta(days=offset)
            local = dt.datetime(d.year, d.month, d.day, h, m, tzinfo=tz, fold=0)
            run = local.astimezone(UTC)
            if run.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
                gaps += 1   # a nonexistent local time: shifted by the gap
            if start <= run <= end:
                first_sweep = next(k for k, s in enumerate(sweeps) if run <= s + lookahead)
                expected.append("%s %s %s %d" % (uid, d.isoformat(), iso(run - lead), first_sweep))
                runs += 1
        assert runs >= 1, (zone, hhmm)   # the 24 sweeps cover a whole day
assert gaps >= 2, "no preference fell into a gap on %s" % day

with open(os.path.join(out, "seed.sql"), "w") as f:
    f.write("INSERT INTO users (id, email) SELECT id::uuid, email FROM (VALUES %s) v(id, email, tz, t);\n"
            % ", ".join(seed))
    f.write("INSERT INTO user_brief_preferences (user_id, frequency, time_of_day, timezone, is_active)"
            " SELECT id::uuid, 'daily', t::time, tz, true FROM (VALUES %s) v(id, email, tz, t);\n"
            % ", ".join(seed))
with open(os.path.join(out, "expected"), "w") as f:
    f.write("\n".join(sorted(expected)) + "\n")
with open(os.path.join(out, "sweeps"), "w") as f:
    f.write("\n".join(iso(s) for s in sweeps) + "\n")
with open(os.path.join(out, "users"), "w") as f:
    f.write("%d\n" % n)
PY
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -f "$tmp/seed.sql" >/dev/null
users=$(cat "$tmp/users")
expected=$(wc -l <"$tmp/expected" | tr -d ' ')
check "$users users in 20 zones, $expected expected briefs" \
  test "$(sql "SELECT count(DISTINCT timezone) || ' ' || count(*) FROM user_brief_preferences")" = "20 $users"

# --- 24 hourly sweeps ---------------------------------------------------------------
k=0
bad=0
while read -r now; do
  if ! "$bin/briefos-schedule" --database-url "$url" -q --json --now "$now" --lookahead 1h \
      >"$tmp/sweep.$k" 2>"$tmp/sweep.$k.err"; then
    bad=$((bad + 1)); sed 's/^/  | /' "$tmp/sweep.$k.err" | head -5
  fi
  k=$((k + 1))
done <"$tmp/sweeps"
check "24 sweeps, all exit 0" test "$k $bad" = "24 0"

# What each sweep queued (user, brief date, due time, sweep), as the programs
# report it, and what the queue holds.
i=0
: >"$tmp/queued"
while [ "$i" -lt 24 ]; do
  $py -c '
import json, sys
for line in open(sys.argv[1]):
    j = json.loads(line)
    print(j["user_id"], j["brief_date"], j["scheduled_for"], sys.argv[2])
' "$tmp/sweep.$i" "$i" >>"$tmp/queued"
  i=$((i + 1))
done
sort "$tmp/queued" -o "$tmp/queued"
if diff -u "$tmp/expected" "$tmp/queued" >"$tmp/diff"; then
  ok "each brief queued once, by the right sweep, due 2 minutes before the user's local time"
else
  not_ok "queued jobs differ from the zoneinfo computation (- expected, + queued)"; head -30 "$tmp/diff" | sed 's/^/  | /'
fi
sql "SELECT user_id || ' ' || (metadata->>'briefDate') || ' '
            || to_char(scheduled_for AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
       FROM queue_jobs WHERE job_type = 'generate_daily_brief' AND dedup_key = 'brief-' || user_id || '-' || (metadata->>'briefDate')" \
  | sort >"$tmp/jobs"
cut -d' ' -f1-3 "$tmp/expected" >"$tmp/expected3"
if diff -u "$tmp/expected3" "$tmp/jobs" >"$tmp/diff"; then
  ok "queue_jobs holds exactly those jobs, with their dedup keys"
else
  not_ok "queue_jobs differs (- expected, + in the queue)"; head -30 "$tmp/diff" | sed 's/^/  | /'
fi
check "no other job was queued" test "$(sql "SELECT count(*) FROM queue_jobs")" -eq "$expected"

# --- generate them all ----------------------------------------------------------------
expect_status 0 "briefos-generate --drain exits 0" \
  "$bin/briefos-generate" --database-url "$url" -q --drain --concurrency 2
sql "SELECT user_id || ' ' || brief_date FROM daily_briefs WHERE generation_status = 'completed'" \
  | sort >"$tmp/briefs"
cut -d' ' -f1-2 "$tmp/expected" >"$tmp/expected2"
if diff -u "$tmp/expected2" "$tmp/briefs" >"$tmp/diff"; then
  ok "every user has exactly the briefs of the local dates computed by zoneinfo, one each"
else
  not_ok "stored briefs differ (- expected, + stored)"; head -30 "$tmp/diff" | sed 's/^/  | /'
fi
check "no brief beyond those, and every job completed" \
  test "$(sql "SELECT (SELECT count(*) FROM daily_briefs) || ' ' || (SELECT count(*) FROM queue_jobs WHERE status = 'completed')")" \
       = "$expected $expected"
check "every user got a brief during the day" \
  test "$(sql "SELECT count(DISTINCT user_id) FROM daily_briefs")" -eq "$users"

finish
