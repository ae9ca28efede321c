#!/bin/sh
# man_lint.sh MAN...: check man pages with groff's own warnings.
#
# `groff -man -ww -z` formats each page with every warning enabled and
# discards the output; a clean page prints nothing at all. Anything printed
# (a misspelt macro, an unknown escape, a bad font change) is a failure, and
# is shown with the page's name. Exit status: 0 clean, 1 warnings, 2 usage.
set -eu

if [ $# -lt 1 ]; then
  echo "usage: man_lint.sh MAN..." >&2
  exit 2
fi

if ! command -v groff >/dev/null 2>&1; then
  echo "man_lint: error: groff is not installed (run scripts/bootstrap)" >&2
  exit 1
fi

status=0
for page in "$@"; do
  if [ ! -f "$page" ]; then
    echo "not ok - $page: no such man page"
    status=1
    continue
  fi
  # groff's warnings go to stderr; -z means a clean page writes nothing.
  if ! report=$(groff -t -man -ww -z "$page" 2>&1) || [ -n "$report" ]; then
    echo "not ok - $page: groff -man -ww -z printed warnings:"
    printf '%s\n' "$report" | sed 's/^/  | /'
    status=1
  else
    echo "ok - $page: groff -man -ww -z is silent"
  fi
done
exit "$status"
