#!/usr/bin/env bash
# check-notes.sh: keeps the notes' claims true (`make check-notes` builds dev first).
#   1. Runs every variant of every lesson in lessons/CMakeLists.txt N times (default 5)
#      and checks each run with cmake/run_lesson.sh: exit 0 and a `result:` line that
#      matches the variant's pattern in lessons/NN_slug.expect (the patterns the
#      lesson ctests use, wide enough for the ranges the note states).
#   2. Runs `go vet` on every Go snippet in notes/*.md that is a whole program (a
#      ```go block containing `package main`), when a go toolchain is installed.
# Exit status: 0 when every run and every vet passed; 1 otherwise; 2 on bad usage or
# a missing build.
# Usage: scripts/check-notes.sh [--runs=N] [--build=DIR] [LESSON_PREFIX...]
#   e.g. scripts/check-notes.sh --runs=1 06 10   (default build: build/dev, as `make
#   lesson` runs). Environment: GOCACHE (default /tmp/gox-gocache).
# Timing lessons print observations that depend on the machine; run this on an idle
# machine (the patterns check what the lesson decides, not how fast it ran).
set -u -o pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=5
build=build/dev
only=()
for a in "$@"; do
  case $a in
    --runs=*) runs=${a#--runs=} ;;
    --build=*) build=${a#--build=} ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "check-notes.sh: unknown flag $a (try --help)" >&2; exit 2 ;;
    *) only+=("$a") ;;
  esac
done
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
  echo "check-notes.sh: --runs must be a positive integer, got '$runs'" >&2
  exit 2
fi
case $build in /*) ;; *) build=$root/$build ;; esac
if [[ ! -d $build/lessons ]]; then
  echo "check-notes.sh: no $build/lessons; build first (make build)" >&2
  exit 2
fi

# The tsan preset runs lessons under setarch -R; do the same for a sanitizer build.
emulator=()
if grep -q '^GOX_SANITIZER:STRING=thread' "$build/CMakeCache.txt" 2>/dev/null &&
  setarch "$(uname -m)" -R true 2>/dev/null; then
  emulator=(setarch "$(uname -m)" -R)
fi

failed=0
checked=0
failures=()

# We read every `add_lesson(NAME VARIANTS ... [RACY ...] [ARGS ...] [OPTIMIZED])` line.
mapfile -t lines < <(grep -E '^[[:space:]]*add_lesson\(' "$root/lessons/CMakeLists.txt")
for line in "${lines[@]}"; do
  line=${line#*add_lesson(}
  line=${line%%)*}
  read -r -a tok <<<"$line"
  name=${tok[0]}
  if ((${#only[@]} > 0)); then
    want=0
    for o in "${only[@]}"; do [[ $name == "$o"* ]] && want=1; done
    ((want)) || continue
  fi
  variants=() racy=() args=() section=
  for t in "${tok[@]:1}"; do
    case $t in
      VARIANTS | RACY | ARGS) section=$t ;;
      OPTIMIZED) section= ;;
      *) case $section in
           VARIANTS) variants+=("$t") ;;
           RACY) racy+=("$t") ;;
           ARGS) args+=("$t") ;;
         esac ;;
    esac
  done
  bin=$build/lessons/$name
  if [[ ! -x $bin ]]; then
    echo "== $name: not built in $build"
    failed=$((failed + 1))
    failures+=("$name: binary missing")
    continue
  fi
  for v in "${variants[@]}"; do
    exit_rule=--exit0
    if ((${#emulator[@]} > 0)); then
      for r in "${racy[@]}"; do [[ $r == "$v" ]] && exit_rule=--any-exit; done
    fi
    ok=0 bad=()
    for ((i = 1; i <= runs; i++)); do
      if msg=$(bash "$root/cmake/run_lesson.sh" "$exit_rule" --quiet "$root/lessons/$name.expect" \
        "$v" -- "${emulator[@]}" "$bin" "--variant=$v" "${args[@]}"); then
        ok=$((ok + 1))
      else
        bad+=("run $i: ${msg#run_lesson: FAIL: }")
      fi
    done
    checked=$((checked + 1))
    printf '%-24s %-12s %d/%d\n' "$name" "$v" "$ok" "$runs"
    if ((ok < runs)); then
      failed=$((failed + 1))
      failures+=("$name $v: $ok/$runs")
      printf '    %s\n' "${bad[@]}"
    fi
  done
done

# We vet the notes' whole Go programs.
if command -v go >/dev/null; then
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-notes.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  export GOCACHE=${GOCACHE:-/tmp/gox-gocache} GO111MODULE=off GOFLAGS=
  # errgroup and friends come from Debian's golang-golang-x-sync-dev in GOPATH mode.
  export GOPATH=${GOPATH:-/usr/share/gocode}
  for note in "$root"/notes/[0-9][0-9]_*.md; do
    base=$(basename "$note" .md)
    if ((${#only[@]} > 0)); then
      want=0
      for o in "${only[@]}"; do [[ $base == "$o"* ]] && want=1; done
      ((want)) || continue
    fi
    awk -v dir="$tmp" -v base="$base" '
      /^```go[[:space:]]*$/ { inblock = 1; n++; file = dir "/" base "_" n ".go"; text = ""; next }
      inblock && /^```/ { inblock = 0; if (text ~ /package main/) printf "%s", text > file; next }
      inblock { text = text $0 "\n" }' "$note"
  done
  shopt -s nullglob
  for f in "$tmp"/*.go; do
    checked=$((checked + 1))
    label="go vet $(basename "$f" .go | sed -E 's/_([0-9]+)$/.md (Go block \1)/')"
    if out=$(cd "$tmp" && go vet "$f" 2>&1); then
      printf '%-38s ok\n' "$label"
    else
      printf '%-38s FAILED\n' "$label"
      printf '%s\n' "$out" | sed 's/^/    /'
      failed=$((failed + 1))
      failures+=("$label")
    fi
  done
else
  echo "(go vet of the notes' Go programs skipped: no go toolchain; apt-get install golang-go)"
fi

echo
if ((failed == 0)); then
  echo "check-notes: all $checked checks passed ($runs runs per variant, $build)"
  exit 0
fi
echo "check-notes: $failed of $checked checks FAILED ($runs runs per variant, $build):"
printf '  %s\n' "${failures[@]}"
exit 1
