#!/usr/bin/env bash
# race.sh: the race demos under ThreadSanitizer (`make race` builds the tsan preset first).
#   For every lesson with RACY variants in lessons/CMakeLists.txt it runs each racy
#   variant and shows TSan's report (trimmed), then runs that lesson's other (fixed)
#   variants and shows TSan stays silent. Ends with a summary line.
# Exit status: 0 when every racy variant was reported and every fixed one was silent
# (and exited 0); 1 otherwise; 2 when the build is missing.
# Usage: scripts/race.sh [BUILD_DIR]   (default $RACE_BUILD_DIR, else build/tsan)
# Environment: TSAN_OPTIONS (default as in the tsan test preset), RACE_FULL=1 shows
# the whole report instead of the trimmed one.
set -u -o pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-${RACE_BUILD_DIR:-build/tsan}}
case $build in /*) ;; *) build=$root/$build ;; esac
lessons_dir=$build/lessons
registry=$root/lessons/CMakeLists.txt
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0 second_deadlock_stack=1 history_size=4}

if [[ ! -d $lessons_dir ]]; then
  echo "race.sh: no $lessons_dir; build the tsan preset first (make tsan)" >&2
  exit 2
fi

# GCC 12's TSan aborts with "unexpected memory mapping" under high ASLR entropy;
# running without ASLR avoids it.
noaslr=()
if setarch "$(uname -m)" -R true 2>/dev/null; then noaslr=(setarch "$(uname -m)" -R); fi

warning='WARNING: ThreadSanitizer: data race'
passed=0
failed=0
failures=()

# trim prints one TSan report without the frames that only show library plumbing
# (std::thread, std::invoke, gox::Go's worker loop), so the lesson's lines stand out.
trim() {
  if [[ ${RACE_FULL:-0} == 1 ]]; then cat; return; fi
  awk '
    /^==================$/ {
      if (!inrep) { inrep = 1; if (reports == 0) print }
      else { inrep = 0; if (reports == 0) print; reports++ }
      next
    }
    inrep && reports == 0 {
      if ($0 ~ /^ +#[0-9]+ / && $0 ~ /(\/usr\/include\/|<null>|libtsan|libstdc\+\+|common\/src\/go\.cpp|gox\/go\.h|libc\.so)/) { skipped++; next }
      # With ASLR off (setarch -R) TSan follows "Location is stack of ..." with its
      # symbolizer'\''s failed attempt to name the address as a global: noise.
      if ($0 ~ /^ *Location is global .<null>. at 0x0+ \(\[stack\]/) { getline; symline++; next }
      print; next
    }
    !inrep { print }
    END { if (reports > 1) printf "(%d more TSan reports not shown; RACE_FULL=1 shows all)\n", reports - 1
          if (skipped) printf "(%d library frames trimmed)\n", skipped
          if (symline) printf "(the symbolizer'\''s \"Location is global <null> ... [stack]\" line trimmed)\n" }'
}

# run NAME VARIANT ARGS... runs one lesson variant; sets out and rc.
run() {
  local name=$1 variant=$2
  shift 2
  out=$("${noaslr[@]}" "$lessons_dir/$name" "--variant=$variant" "$@" 2>&1)
  rc=$?
}

record() {  # record OK|FAIL "text"
  if [[ $1 == OK ]]; then
    passed=$((passed + 1))
    echo "  -> ok: $2"
  else
    failed=$((failed + 1))
    failures+=("$2")
    echo "  -> FAIL: $2"
  fi
}

# We read every `add_lesson(NAME VARIANTS ... RACY ... [ARGS ...] [OPTIMIZED])` line
# that has RACY.
mapfile -t lines < <(grep -E '^[[:space:]]*add_lesson\(.*[[:space:]]RACY[[:space:]]' "$registry")
if [[ ${#lines[@]} -eq 0 ]]; then
  echo "race.sh: no lesson with RACY variants in $registry" >&2
  exit 2
fi

for line in "${lines[@]}"; do
  line=${line#*add_lesson(}
  line=${line%%)*}
  read -r -a tok <<<"$line"
  name=${tok[0]}
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
  if [[ ! -x $lessons_dir/$name ]]; then
    echo "== $name: not built in $build"
    record FAIL "$name: binary missing"
    continue
  fi

  for v in "${racy[@]}"; do
    echo
    echo "== $name --variant=$v   (a data race: TSan must report it)"
    run "$name" "$v" "${args[@]}"
    echo "$out" | trim | sed 's/^/   /'
    n=$(grep -c "$warning" <<<"$out")
    if ((n > 0)); then
      record OK "$name $v: TSan reported $n data race(s)"
    else
      record FAIL "$name $v: TSan reported no data race (exit $rc)"
    fi
  done

  for v in "${variants[@]}"; do
    is_racy=0
    for r in "${racy[@]}"; do [[ $r == "$v" ]] && is_racy=1; done
    ((is_racy)) && continue
    echo
    echo "== $name --variant=$v   (fixed: TSan must stay silent)"
    run "$name" "$v" "${args[@]}"
    echo "$out" | sed 's/^/   /'
    if grep -q "WARNING: ThreadSanitizer" <<<"$out"; then
      record FAIL "$name $v: TSan reported a problem"
    elif ((rc != 0)); then
      record FAIL "$name $v: exit status $rc"
    else
      record OK "$name $v: silent, exit 0"
    fi
  done
done

echo
if ((failed == 0)); then
  echo "race summary: $passed checks passed: every racy variant reported by TSan, every fixed variant silent ($build)"
  exit 0
fi
echo "race summary: $failed of $((passed + failed)) checks FAILED ($build):"
printf '  %s\n' "${failures[@]}"
exit 1
