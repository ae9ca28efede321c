#!/bin/sh
# The brief email in a real browser: the HTML part of a set of briefs (the
# demo seed's users, one with no projects, a heavy user with 20 projects of
# 30 open tasks, a brief with an LLM analysis) as `briefos-email --preview
# --html` writes it, loaded in headless Chromium (Debian's `chromium`,
# installed by scripts/bootstrap) at a phone's width (375 px) and at 600 px.
# The page is loaded in an iframe of that width (headless Chromium's window
# is at least 500 px wide, the iframe is a viewport of its own); a script
# in the probe page writes the email document's scroll width and the
# iframe's viewport width into its title, which the test reads back from
# --dump-dom, and asserts no horizontal overflow, and that the summary and
# every project name are on the page. The HTML part stays under the 100 KB
# budget (Gmail clips at 102 KB). A screenshot at 375 px is written too
# (kept in $BRIEFOS_SCREENSHOT_DIR when that is set).
. "$(dirname "$0")/lib.sh"
need_db

if ! command -v chromium >/dev/null 2>&1; then
  if [ -n "${CI:-}" ]; then
    echo "not ok - chromium is not installed (scripts/bootstrap installs it)"
    exit 1
  fi
  echo "chromium not installed (scripts/bootstrap installs it): skipping" >&2
  exit 77
fi

gen="$bin/briefos-generate"
email="$bin/briefos-email"
url=$(new_migrated_db render)
sql() { $PSQL "$url" -XAtqc "$1"; }
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -f "$src/scripts/demo-seed.sql" >/dev/null

heavy=eeeeeeee-0000-4000-8000-000000000001
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO users (id, email, name) VALUES ('$heavy', 'heavy@example.com', 'Heavy User');
INSERT INTO user_brief_preferences (user_id, frequency, time_of_day, timezone, is_active, email_daily_brief)
VALUES ('$heavy', 'daily', '09:00', 'UTC', true, true);
INSERT INTO projects (id, user_id, name, slug, description, status)
SELECT md5('heavy-project-' || p)::uuid, '$heavy', 'Heavy project ' || p || ' with a longer name',
       'heavy-' || p, 'A project with a description of a reasonable length, as real ones have.', 'active'
FROM generate_series(1, 20) p;
INSERT INTO tasks (id, project_id, user_id, title, description, status, priority, start_date)
SELECT md5('heavy-task-' || p || '-' || t)::uuid, md5('heavy-project-' || p)::uuid, '$heavy',
       'Task ' || t || ' of project ' || p || ': do the thing that needs doing',
       'Some words about what the task needs, and why it matters to the project.',
       (CASE WHEN t % 4 = 0 THEN 'in_progress' ELSE 'backlog' END)::task_status,
       (CASE WHEN t % 3 = 0 THEN 'high' ELSE 'medium' END)::priority_level,
       date_trunc('day', now()) + ((t % 30) - 10) * interval '1 day' + interval '13 hours'
FROM generate_series(1, 20) p, generate_series(1, 30) t;
SQL

ada=$(sql "SELECT md5('demo-user-1')::uuid")
empty=$(sql "SELECT md5('demo-user-9')::uuid")  # the demo's users 9, 18, ... have no projects
users="$ada $(sql "SELECT md5('demo-user-2')::uuid") $(sql "SELECT md5('demo-user-7')::uuid") $empty $heavy"
for u in $users; do
  "$gen" --database-url "$url" -q --force --user "$u" >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
done
check "a brief for each user" test "$(sql "SELECT count(*) FROM daily_briefs WHERE generation_status = 'completed'")" -eq 5
# The LLM analysis of Ada's brief: its own labelled section.
sql "UPDATE daily_briefs SET llm_analysis = E'## Focus\n\nStart with the overdue tasks, then [the venue](/projects/x). A very long word: $(printf 'x%.0s' $(seq 1 200))' WHERE user_id = '$ada'"

common="--base-url https://app.example.com --postal-address 'Example Inc., 1 Main St, Springfield'"
browser() {  # browser WIDTH FILE: the probe page's DOM after FILE loaded in a WIDTH px iframe
  cat >"$tmp/probe.html" <<HTML
<!DOCTYPE html><html><head><title>loading</title></head><body style="margin:0">
<iframe id="f" src="file://$2" style="border:0;width:$1px;height:900px"></iframe>
<script>
var f = document.getElementById("f");
f.onload = function () {
  var d = f.contentDocument.documentElement;
  document.title = "W:" + d.scrollWidth + ":" + f.contentWindow.innerWidth + ":";
  document.body.appendChild(document.createElement("pre")).textContent = f.contentDocument.body.innerText;
};
</script></body></html>
HTML
  chromium --headless --disable-gpu --no-sandbox --user-data-dir="$tmp/chromium" --hide-scrollbars \
    --allow-file-access-from-files --run-all-compositor-stages-before-draw --virtual-time-budget=3000 \
    --window-size=1024,900 --dump-dom "file://$tmp/probe.html" 2>/dev/null
}

for u in $users; do
  brief=$(sql "SELECT id FROM daily_briefs WHERE user_id = '$u'")
  page="$tmp/$u.html"
  eval "\"\$email\" --database-url \"\$url\" $common --preview \"\$brief\" --html --output \"\$page\"" 2>"$tmp/err" \
    || { cat "$tmp/err"; not_ok "preview of $u"; continue; }
  size=$(wc -c <"$page")
  check "$u: HTML part $size bytes, under 100 KB" test "$size" -le 102400
  for w in 375 600; do
    browser "$w" "$page" >"$tmp/dom.html"
    widths=$(sed -n 's#.*<title>W:\([0-9]*\):\([0-9]*\):</title>.*#\1 \2#p' "$tmp/dom.html" | head -1)
    set -- $widths
    if [ $# -eq 2 ] && [ "$2" -eq "$w" ] && [ "$1" -le "$2" ]; then
      ok "$u at $w px: scroll width $1 <= viewport $2"
    else
      not_ok "$u at $w px: scroll width and viewport '$widths'"
    fi
  done
  # What the reader sees (the page's text, as the browser lays it out): the
  # summary and every active project's name.
  check "$u: the summary is on the page" grep -q "You have" "$tmp/dom.html"
  sql "SELECT name FROM projects WHERE user_id = '$u' AND status = 'active'" >"$tmp/names"
  missing=0
  while IFS= read -r name; do
    grep -qF "$name" "$tmp/dom.html" || { echo "  | missing project: $name"; missing=$((missing + 1)); }
  done <"$tmp/names"
  check "$u: every project name ($(wc -l <"$tmp/names")) is on the page" test "$missing" -eq 0
  check "$u: one title" test "$(grep -o '<h1' "$page" | wc -l)" -eq 1
  check "$u: the postal address in the footer" grep -q "Example Inc., 1 Main St, Springfield" "$page"
  check "$u: no image but the tracking pixel" test "$(grep -o '<img' "$page" | wc -l)" -eq 1
done
check "the analysis is shown, labelled" grep -q "AI analysis" "$tmp/$ada.html"
check "the heavy user's lists are shortened, linking to the project" grep -q "more in Heavy project 20 with a longer name" "$tmp/$heavy.html"

# A screenshot at a phone's width, for an operator to look at.
shots=${BRIEFOS_SCREENSHOT_DIR:-$tmp}
mkdir -p "$shots"
chromium --headless --disable-gpu --no-sandbox --user-data-dir="$tmp/chromium" --hide-scrollbars \
  --window-size=375,1400 --screenshot="$shots/email-375.png" "file://$tmp/$ada.html" >/dev/null 2>&1 || true
check "a PNG screenshot at 375 px" sh -c "head -c 8 '$shots/email-375.png' | od -An -c | grep -q 'P   N   G'"

finish
