# lessons.sh: sourced by race.sh and check-notes.sh.
# parse_add_lesson LINE: reads one `add_lesson(NAME VARIANTS ... [RACY ...] [ARGS ...]
# [OPTIMIZED])` line of lessons/CMakeLists.txt into the caller's variables
# name, variants[], racy[] and args[].
parse_add_lesson() {
  local line=${1#*add_lesson(} t section=
  line=${line%%)*}
  local -a tok
  read -r -a tok <<<"$line"
  name=${tok[0]}
  variants=() racy=() args=()
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
}
