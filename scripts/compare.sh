#!/usr/bin/env bash
# compare.sh (make compare): gox next to Go on this machine, in one run.
# Installs what is missing (Go from Debian, x/sync, wrk, python3: deps.sh --with-compare),
# builds the release preset and the Go twins (bench/go), then scripts/compare.py runs
# both sides alternating and writes bench/results/latest.{md,svg} and the
# benchstat-readable latest-gox.txt / latest-go.txt.
#   make compare            3 rounds, about 5-8 minutes on 2 cores
#   QUICK=1 make compare    1 round, short benchtimes (smoke test; figures not for use)
# Env: ROUNDS (3), QUICK (0), JOBS (nproc). Run it on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "compare.sh: no arguments (see --help)" >&2; exit 2 ;;
esac

scripts/deps.sh --with-compare

echo "compare: building gox (release preset)" >&2
cmake --preset release >/dev/null
targets=$(awk '!/^#/ && NF == 3 {print $1}' bench/twins/*.txt | sort -u | tr '\n' ' ')
# shellcheck disable=SC2086
cmake --build --preset release -j "${JOBS:-$(nproc)}" --target $targets homework poco_hello >/dev/null

echo "compare: building the Go twins (bench/go)" >&2
mkdir -p build/compare
export GOPROXY=off GOFLAGS=${GOFLAGS:-} GOCACHE=${GOCACHE:-/tmp/gox-gocache}
(cd bench/go && go vet ./... && go test -c -o ../../build/compare/goxbench.test . &&
   go build -o ../../build/compare/homework-go ./homework)

exec python3 scripts/compare.py
