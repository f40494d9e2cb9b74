#!/usr/bin/env bash
# http_load.sh: the homework's GET / against a bare POCO HTTPServer hello
# server (bench/poco_hello.cpp: same POCO configuration, no gox lifecycle),
# on this machine, with wrk -t2 -c64 -d10s, alternating, 3 rounds; prints the
# req/s of each and the ratio (target: homework >= 90% of bare POCO). Then the
# SIGTERM-to-exit time of an idle process, median of 10 runs (target <= 20 ms),
# for both.
#   bench/http_load.sh [BUILD_DIR]     (default build/release; built if needed)
#   bench/http_load.sh --hostile [BUILD_DIR]
#       instead: 1000 stalled connections (half a header each) against the
#       homework, then 100 normal GET / (p50/p99/max), RSS idle and stalled, and
#       SIGTERM-to-exit with them open; 3 runs (tests/hostile_clients.cpp,
#       HostileBench).
# Env: ROUNDS (3), DURATION (10s), CONNS (64), THREADS (2), EXITS (10).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = --hostile ]; then
  BUILD=${2:-build/release}
  if [ ! -x "$BUILD/tests/hostile_test" ]; then
    if [ "$BUILD" = build/release ]; then cmake --preset release >/dev/null; else cmake --preset release -B "$BUILD" >/dev/null; fi
    cmake --build "$BUILD" -j 2 --target hostile_test homework
  fi
  ulimit -n "$(ulimit -Hn)"  # 1000 client sockets here, 1000 in the server
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), build $BUILD"
  "$BUILD/tests/hostile_test" --gtest_also_run_disabled_tests --gtest_filter='HostileBench.*' |
    grep -E '^run [0-9]+:'
  exit "${PIPESTATUS[0]}"
fi

BUILD=${1:-build/release}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
EXITS=${EXITS:-10}

command -v wrk >/dev/null 2>&1 || scripts/deps.sh --with-wrk
command -v wrk >/dev/null 2>&1 || { echo "http_load.sh: wrk is not installed" >&2; exit 1; }

HW=$BUILD/homework/homework
HELLO=$BUILD/bench/poco_hello
if [ ! -x "$HW" ] || [ ! -x "$HELLO" ]; then
  if [ "$BUILD" = build/release ]; then cmake --preset release >/dev/null; else cmake --preset release -B "$BUILD" >/dev/null; fi
  cmake --build "$BUILD" -j 2 --target homework poco_hello
fi

TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# wait_line FILE PATTERN: waits (5 s) for a line in FILE, prints it.
wait_line() {
  for _ in $(seq 500); do
    if grep -q "$2" "$1" 2>/dev/null; then grep -m1 "$2" "$1"; return 0; fi
    sleep 0.01
  done
  echo "http_load.sh: no \"$2\" in $1:" >&2; cat "$1" >&2; return 1
}
port_of() { sed -E 's/.*:([0-9]+)$/\1/'; }

"$HW" --app=127.0.0.1:0 --debug=127.0.0.1:0 2>"$TMP/hw.log" &
HW_PID=$!; PIDS+=("$HW_PID")
HW_PORT=$(wait_line "$TMP/hw.log" "app listening on" | port_of)
"$HELLO" 0 128 2>"$TMP/hello.log" &
HELLO_PID=$!; PIDS+=("$HELLO_PID")
HELLO_PORT=$(wait_line "$TMP/hello.log" "listening on" | port_of)

# run_wrk PORT: prints req/s; warns about errors and non-2xx answers.
run_wrk() {
  local out
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "http://127.0.0.1:$1/")
  if grep -qE "Non-2xx|Socket errors" <<<"$out"; then
    grep -E "Non-2xx|Socket errors" <<<"$out" | sed 's/^/    warning: /' >&2
  fi
  awk '/^Requests\/sec:/ {print $2}' <<<"$out"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "wrk -t$THREADS -c$CONNS -d$DURATION, $ROUNDS rounds, alternating"
hw_all=(); hello_all=()
for r in $(seq "$ROUNDS"); do
  h=$(run_wrk "$HW_PORT"); p=$(run_wrk "$HELLO_PORT")
  hw_all+=("$h"); hello_all+=("$p")
  printf 'round %d: homework %10.0f req/s   bare POCO %10.0f req/s\n' "$r" "$h" "$p"
done
mean() { printf '%s\n' "$@" | awk '{s+=$1} END {printf "%.0f", s/NR}'; }
HW_MEAN=$(mean "${hw_all[@]}"); HELLO_MEAN=$(mean "${hello_all[@]}")
printf 'mean:    homework %10.0f req/s   bare POCO %10.0f req/s   ratio %.1f%%\n' \
  "$HW_MEAN" "$HELLO_MEAN" "$(awk -v a="$HW_MEAN" -v b="$HELLO_MEAN" 'BEGIN {print 100*a/b}')"

kill -TERM "$HW_PID"; wait "$HW_PID" && rc=0 || rc=$?
echo "homework after the load: SIGTERM -> exit $rc"
kill -TERM "$HELLO_PID"; wait "$HELLO_PID" || true

# exit_ms CMD...: starts CMD, waits for its listening line, sends SIGTERM and
# prints the milliseconds until it was reaped ($EPOCHREALTIME: no fork).
exit_ms() {
  "$@" 2>"$TMP/exit.log" &
  local pid=$!
  wait_line "$TMP/exit.log" "listening on" >/dev/null
  local t0=$EPOCHREALTIME
  kill -TERM "$pid"
  wait "$pid" || true
  local t1=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f\n", (b-a)*1000}'
}
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
hw_exit=(); hello_exit=()
for _ in $(seq "$EXITS"); do
  hw_exit+=("$(exit_ms "$HW" --app=127.0.0.1:0 --debug=127.0.0.1:0)")
  hello_exit+=("$(exit_ms "$HELLO" 0 128)")
done
echo "SIGTERM to exit, idle, $EXITS runs (ms): homework ${hw_exit[*]}"
echo "                                    bare POCO ${hello_exit[*]}"
echo "median: homework $(median "${hw_exit[@]}") ms   bare POCO (stopAll) $(median "${hello_exit[@]}") ms"
