#!/usr/bin/env bash
# run_lesson.sh: runs one lesson variant and checks what it showed (used by the
# lesson ctests that add_lesson makes, and by scripts/check-notes.sh).
# Usage: run_lesson.sh [--exit0|--any-exit] [--quiet] EXPECT_FILE VARIANT -- COMMAND...
#   COMMAND (with an emulator such as `setarch -R` in front, if any) runs the lesson;
#   its output is passed through (unless --quiet). The check passes when the command
#   exited 0 (--any-exit: any status, for race variants under TSan) and its last stdout
#   line starting "result:" matches the variant's pattern in EXPECT_FILE.
# EXPECT_FILE: one `VARIANT REGEX` a line (POSIX ERE, grep -E; the regex is the rest of
#   the line); `#` starts a comment line; several lines for one variant are
#   alternatives.
# Exit status 0 when the check passes; else 1 after a line "run_lesson: FAIL: why".
set -u -o pipefail

exit_rule=exit0 quiet=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --exit0) exit_rule=exit0 ;;
    --any-exit) exit_rule=any ;;
    --quiet) quiet=1 ;;
    *) break ;;
  esac
  shift
done
if [[ $# -lt 4 || $3 != -- ]]; then
  echo "usage: run_lesson.sh [--exit0|--any-exit] [--quiet] EXPECT_FILE VARIANT -- COMMAND..." >&2
  exit 2
fi
expect=$1 variant=$2
shift 3

fail() {
  echo "run_lesson: FAIL: $*"
  exit 1
}

[[ -r $expect ]] || fail "cannot read $expect"
mapfile -t patterns < <(awk -v v="$variant" '
  /^[[:space:]]*(#|$)/ { next }
  $1 == v { sub(/^[[:space:]]*[^[:space:]]+[[:space:]]+/, ""); print }' "$expect")
((${#patterns[@]} > 0)) || fail "no pattern for variant '$variant' in $expect"

out=$(mktemp "${TMPDIR:-/tmp}/run_lesson.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
if ((quiet)); then
  "$@" >"$out" 2>&1
  rc=$?
else
  "$@" | tee "$out"
  rc=${PIPESTATUS[0]}
fi

result=$(grep -a '^result:' "$out" | tail -n 1)
if [[ $exit_rule == exit0 && $rc -ne 0 ]]; then
  fail "exit status $rc (want 0); ${result:-no result: line}"
fi
[[ -n $result ]] || fail "no 'result:' line in the output (exit status $rc)"
for p in "${patterns[@]}"; do
  if grep -Eq -- "$p" <<<"$result"; then
    ((quiet)) || echo "run_lesson: ok: $variant matches /$p/"
    exit 0
  fi
done
fail "$variant: '$result' matches no pattern of $expect: $(printf '/%s/ ' "${patterns[@]}")"
