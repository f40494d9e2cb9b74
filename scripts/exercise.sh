#!/usr/bin/env bash
# exercise.sh: lab mode (README "Lab mode"). Runs from the repository root.
#   exercise.sh run NAME     build the learner's lessons/exercises/NAME.cpp with its
#                            check, run it, print PASS or FAIL (+ one hint on FAIL)
#   exercise.sh list         the progress table: every exercise, done or to do
#   exercise.sh reset NAME   restore NAME.cpp to its starting version (git HEAD)
#   exercise.sh watch NAME   run the check again on every save (inotifywait)
# Race exercises (RACE in lessons/exercises/CMakeLists.txt) build in the tsan preset:
# a ThreadSanitizer report fails them even when the numbers look right.
# Exit status: 0 PASS (run), 1 FAIL, 2 usage.
set -u -o pipefail
cd "$(dirname "$0")/.." || exit 2
dir=lessons/exercises
cm=$dir/CMakeLists.txt

names() { sed -n 's/^add_exercise(\([0-9][0-9]_[a-z_0-9]*\).*/\1/p' "$cm"; }
is_race() { grep -Eq "^add_exercise\($1 .*RACE" "$cm"; }
usage() {
  echo "usage: make exercise NAME=05_tracker | make exercises | make exercise-reset NAME=... | make watch NAME=..."
  echo "exercises: $(names | tr '\n' ' ')"
  exit 2
}
known() { [[ -n ${1:-} ]] && names | grep -qx "$1"; }

# hint NAME: the hint line of NAME in hints.md ("- NAME: text").
hint() { sed -n "s/^- \*\*$1\*\*: //p" "$dir/hints.md" | head -n 1; }

# check NAME QUIET: builds and runs; prints the verdict; returns 0 PASS / 1 FAIL.
check() {
  local name=$1 quiet=$2 preset=dev out rc
  is_race "$name" && preset=tsan
  if [[ ! -d build/$preset ]] || ! grep -q "exercise_$name" "build/$preset/build.ninja" 2>/dev/null; then
    cmake --preset "$preset" >/dev/null || { echo "FAIL: $name: cmake --preset $preset failed"; return 1; }
  fi
  if ! out=$(cmake --build --preset "$preset" --target "exercise_$name" 2>&1); then
    echo "FAIL: $name: $dir/$name.cpp does not compile:"
    ((quiet)) || grep -E "error|note" <<<"$out" | head -n 20
    return 1
  fi
  local bin=build/$preset/lessons/exercises/exercise_$name run=()
  [[ $preset == tsan ]] && run=(setarch "$(uname -m)" -R)
  out=$("${run[@]}" "$bin" 2>&1)
  rc=$?
  local verdict
  verdict=$(grep -E '^(PASS|FAIL): ' <<<"$out")
  if grep -q "WARNING: ThreadSanitizer" <<<"$out"; then
    ((quiet)) || sed -n '/WARNING: ThreadSanitizer/,/^SUMMARY/p' <<<"$out" | head -n 30
    verdict=$(grep '^FAIL: ' <<<"$verdict")
    verdict+=${verdict:+$'\n'}"FAIL: $name: ThreadSanitizer reported a data race (above): the result may look right, the program is still wrong"
    rc=1
  fi
  [[ -n $verdict ]] || verdict="FAIL: $name: the check crashed or printed no verdict (exit status $rc)"
  echo "$verdict"
  [[ $rc -eq 0 && $verdict == PASS:* ]]
}

cmd=${1:-}
case $cmd in
  run)
    known "${2:-}" || usage
    if check "$2" 0; then exit 0; fi
    echo "hint: $(hint "$2")"
    exit 1 ;;
  list)
    printf '%-32s %s\n' exercise status
    done=0 total=0
    for n in $(names); do
      total=$((total + 1))
      if check "$n" 1 >/dev/null 2>&1; then s=done; done=$((done + 1)); else s="to do"; fi
      printf '%-32s %s\n' "$n" "$s"
    done
    echo "$done of $total done; next: make exercise NAME=<exercise>" ;;
  reset)
    known "${2:-}" || usage
    if git cat-file -e "HEAD:$dir/$2.cpp" 2>/dev/null; then
      git show "HEAD:$dir/$2.cpp" >"$dir/$2.cpp" && echo "$dir/$2.cpp: back to its starting version"
    else
      echo "exercise.sh: not a git checkout: cannot restore $dir/$2.cpp" >&2
      exit 1
    fi ;;
  watch)
    known "${2:-}" || usage
    command -v inotifywait >/dev/null || scripts/deps.sh --with-inotify || exit 1
    while true; do
      clear 2>/dev/null || true
      check "$2" 0 || echo "hint: $(hint "$2")"
      echo "(watching $dir/$2.cpp; Ctrl-C stops)"
      inotifywait -qq -e close_write -e moved_to "$dir/$2.cpp" "$dir" || exit 1
    done ;;
  *) usage ;;
esac
