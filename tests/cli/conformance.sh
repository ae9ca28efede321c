#!/bin/sh
# conformance.sh TOOL_BINARY MAN_PAGE: the contract every briefos program keeps.
#
#  1. `--help` exits 0, writes to stdout only, and no line is wider than 80
#     columns; the same for `SUB --help` of every subcommand listed in the
#     "Subcommands:" section of the help.
#  2. `--version` exits 0 and prints exactly "NAME (briefos) X.Y.Z" on stdout.
#  3. `--no-such-option` exits 2, prints nothing on stdout and a
#     "NAME: error: ..." message on stderr.
#  4. Every long option (--xxx) any of those help texts shows appears in the
#     man page (roff escapes such as \- and \fB are undone before searching).
#  5. `groff -man -ww -z MAN_PAGE` prints nothing (tests/cli/man_lint.sh).
#
# Prints one "ok"/"not ok" line per check, naming what failed and why.
# Exit status: 0 all checks passed, 1 some failed, 2 usage error.
set -u

if [ $# -ne 2 ]; then
  echo "usage: conformance.sh TOOL_BINARY MAN_PAGE" >&2
  exit 2
fi
tool=$1
man=$2
name=$(basename "$tool")
here=$(cd "$(dirname "$0")" && pwd)

# Settings from the caller's environment must not change what is checked.
unset BRIEFOS_CONFIG BRIEFOS_LOG_LEVEL BRIEFOS_LOG_FORMAT

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

checks=0
failures=0
ok() { checks=$((checks + 1)); echo "ok - $name: $*"; }
not_ok() { checks=$((checks + 1)); failures=$((failures + 1)); echo "not ok - $name: $*"; }
# show FILE: indent a captured output under the failure it explains.
show() { head -n 20 "$1" | sed 's/^/  | /'; }

if [ ! -x "$tool" ]; then
  echo "not ok - $name: $tool is not an executable program"
  exit 1
fi

# run ID ARGS...: run the tool on ARGS with no input; stdout, stderr and the
# exit status end up in $tmp/ID.out, $tmp/ID.err and $rc.
run() {
  _id=$1
  shift
  "$tool" "$@" </dev/null >"$tmp/$_id.out" 2>"$tmp/$_id.err"
  rc=$?
}

# check_help ID LABEL: the help captured as ID exits 0, is on stdout only, and
# fits in 80 columns. Counts characters, not bytes (UTF-8 continuation bytes
# are not columns).
check_help() {
  _id=$1
  _label=$2
  if [ "$rc" -ne 0 ]; then
    not_ok "'$_label' exited $rc, expected 0"
    show "$tmp/$_id.err"
    return
  fi
  if [ ! -s "$tmp/$_id.out" ]; then
    not_ok "'$_label' printed nothing on stdout"
    return
  fi
  if [ -s "$tmp/$_id.err" ]; then
    not_ok "'$_label' wrote to stderr (help belongs on stdout)"
    show "$tmp/$_id.err"
    return
  fi
  LC_ALL=C awk '{ line = $0; gsub(/[\200-\277]/, "", line)
                  if (length(line) > 80)
                    printf "line %d has %d columns: %s\n", NR, length(line), $0 }' \
    "$tmp/$_id.out" >"$tmp/$_id.wide"
  if [ -s "$tmp/$_id.wide" ]; then
    not_ok "'$_label' has lines over 80 columns"
    show "$tmp/$_id.wide"
    return
  fi
  ok "'$_label' exits 0, on stdout only, within 80 columns"
}

# 1. --help, and the help of each subcommand.
run help --help
check_help help "$name --help"
cp "$tmp/help.out" "$tmp/all_help"

# The "Subcommands:" section lists "  NAME   description" lines up to the
# first line that is not indented.
subcommands=$(awk '/^Subcommands:/ { in_section = 1; next }
                   in_section && /^[^ ]/ { in_section = 0 }
                   in_section && /^  [A-Za-z0-9]/ { print $1 }' "$tmp/help.out")
for sub in $subcommands; do
  run "sub_$sub" "$sub" --help
  check_help "sub_$sub" "$name $sub --help"
  cat "$tmp/sub_$sub.out" >>"$tmp/all_help"
done

# 2. --version.
run version --version
want="^$name \\(briefos\\) [0-9]+\\.[0-9]+\\.[0-9]+\$"
if [ "$rc" -ne 0 ]; then
  not_ok "'$name --version' exited $rc, expected 0"
  show "$tmp/version.err"
elif [ -s "$tmp/version.err" ]; then
  not_ok "'$name --version' wrote to stderr"
  show "$tmp/version.err"
elif [ "$(wc -l <"$tmp/version.out")" -ne 1 ] || ! grep -Eq "$want" "$tmp/version.out"; then
  not_ok "'$name --version' printed something other than '$name (briefos) X.Y.Z'"
  show "$tmp/version.out"
else
  ok "'$name --version' prints '$(cat "$tmp/version.out")'"
fi

# 3. An unknown option is a usage error.
run unknown --no-such-option
if [ "$rc" -ne 2 ]; then
  not_ok "'$name --no-such-option' exited $rc, expected 2"
  show "$tmp/unknown.err"
elif [ -s "$tmp/unknown.out" ]; then
  not_ok "'$name --no-such-option' wrote to stdout"
  show "$tmp/unknown.out"
elif ! head -n 1 "$tmp/unknown.err" | grep -q "^$name: error: "; then
  not_ok "'$name --no-such-option' did not print '$name: error: ...' on stderr"
  show "$tmp/unknown.err"
else
  ok "'$name --no-such-option' exits 2: $(head -n 1 "$tmp/unknown.err")"
fi

# 4. Every long option of the help texts is documented in the man page.
if [ ! -f "$man" ]; then
  not_ok "no man page $man"
else
  # Undo the roff spellings of an option name: \- and \(hy for "-", font
  # changes (\fB \fI \fR \fP \f(XX \f[X]), and the zero-width \& and \%.
  sed -e 's/\\f\[[^]]*\]//g' -e 's/\\f([A-Za-z][A-Za-z]//g' -e 's/\\f[A-Za-z]//g' \
      -e 's/\\-/-/g' -e 's/\\(hy/-/g' -e 's/\\\[hy\]/-/g' -e 's/\\\[-\]/-/g' \
      -e 's/\\&//g' -e 's/\\%//g' "$man" >"$tmp/man.txt"
  grep -oE -- '--[A-Za-z0-9][A-Za-z0-9-]*' "$tmp/all_help" | sort -u >"$tmp/options"
  : >"$tmp/missing"
  while read -r opt; do
    if ! grep -Eq -- "(^|[^A-Za-z0-9-])$opt([^A-Za-z0-9-]|\$)" "$tmp/man.txt"; then
      echo "$opt" >>"$tmp/missing"
    fi
  done <"$tmp/options"
  if [ ! -s "$tmp/options" ]; then
    not_ok "found no long options in the help text"
  elif [ -s "$tmp/missing" ]; then
    not_ok "options shown by --help but missing from $(basename "$man"): $(tr '\n' ' ' <"$tmp/missing")"
  else
    ok "all $(wc -l <"$tmp/options" | tr -d ' ') long options of --help are in $(basename "$man")"
  fi

  # 5. The man page formats without a single groff warning.
  if sh "$here/man_lint.sh" "$man" >"$tmp/lint" 2>&1; then
    ok "$(basename "$man") passes groff -man -ww -z"
  else
    not_ok "$(basename "$man") fails groff -man -ww -z"
    sed 's/^/  /' "$tmp/lint"
  fi
fi

echo "$name: $((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
