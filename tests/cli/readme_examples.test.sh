#!/bin/sh
# Every copy-pasteable shell example of README.md runs.
#
# Convention (also stated in the README, "Trying the examples"):
#   ```sh       a shell example: run by this test;
#   ```console  a shell session with $ prompts (needs a build, sudo, an SMTP
#               server, an LLM endpoint...): shown, not run;
#   ```text     output; ```toml and others: file contents; not run.
# Each `## ` section of the README runs in its own new, empty database
# (BRIEFOS_DATABASE_URL) and its own working directory holding what the
# examples use from a clone (tests/ and scripts/ linked, a copy of sql/),
# its blocks in order, each under `sh -e`: every command of a block must
# succeed (an example that shows a failure says `|| echo "exit $?"`).
# `build/bin/` in a block is replaced by the directory of the programs under
# test, which also comes first on PATH (for examples that use bare names).
# Every program's section must have at least one runnable example.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
need_db

py=/usr/bin/python3
unset BRIEFOS_CONFIG BRIEFOS_DATABASE_URL DATABASE_URL BRIEFOS_LOG_LEVEL BRIEFOS_LOG_FORMAT \
      BRIEFOS_EMAIL_TRANSPORT BRIEFOS_SMTP_PASSWORD BRIEFOS_SMTP_PASSWORD_FILE BRIEFOS_LLM_API_KEY
mkdir -p "$tmp/blocks"
if $py - "$src/README.md" "$tmp/blocks" "$bin" >"$tmp/extract.log" 2>&1 <<'PY'
import os, re, sys
readme, out, bindir = sys.argv[1:4]
section, fence, code, n = "(top)", None, [], 0
index = []
sections_with_sh = set()
for lineno, line in enumerate(open(readme, encoding="utf-8"), 1):
    line = line.rstrip("\n")
    if fence is None:
        m = re.match(r"^```(\S*)\s*$", line)
        if m:
            fence, code, start = m.group(1), [], lineno
        elif line.startswith("## "):
            section = line[3:].strip()
        continue
    if line.startswith("```"):
        if fence == "sh":
            n += 1
            name = os.path.join(out, "%03d.sh" % n)
            with open(name, "w") as f:
                f.write("\n".join(code).replace("build/bin/", bindir + "/") + "\n")
            index.append("%s\t%d\t%s" % (name, start, section))
            sections_with_sh.add(section)
        fence = None
        continue
    code.append(line)
assert fence is None, "unterminated code block"
with open(os.path.join(out, "index"), "w") as f:
    f.write("\n".join(index) + "\n")
missing = [t for t in ("briefos-migrate", "briefos-schedule", "briefos-generate", "briefos-email", "briefos-stats",
                     "briefos-queue")
           if not any(s.startswith(t + ":") for s in sections_with_sh)]
if missing:
    sys.exit("no runnable example in the README section of: " + ", ".join(missing))
print("%d sh blocks in %d sections" % (n, len(sections_with_sh)))
PY
then ok "every program's README section has a runnable example ($(cat "$tmp/extract.log"))"
else not_ok "README examples"; sed 's/^/  | /' "$tmp/extract.log"; fi

# A fresh database and working directory for each section.
current=""
k=0
tab=$(printf '\t')
while IFS="$tab" read -r block line section; do
  if [ "$section" != "$current" ]; then
    current=$section
    k=$((k + 1))
    work="$tmp/work.$k"
    mkdir -p "$work"
    ln -s "$src/tests" "$work/tests"
    ln -s "$src/scripts" "$work/scripts"
    cp -R "$src/sql" "$work/sql"
    db=$(new_db readme)
  fi
  set +e
  (cd "$work" && BRIEFOS_DATABASE_URL="$db" PATH="$bin:$PATH" timeout 120 sh -e "$block") >"$tmp/block.out" 2>&1
  rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then
    ok "README.md line $line ($current) runs"
  else
    not_ok "README.md line $line ($current) runs (exit $rc)"
    sed 's/^/  | /' "$block" | head -10
    echo "  | --- output:"
    sed 's/^/  | /' "$tmp/block.out" | tail -15
  fi
done <"$tmp/blocks/index"

finish
