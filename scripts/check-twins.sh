#!/usr/bin/env bash
# check-twins.sh BENCH_DIR: every gox benchmark named in bench/twins/*.txt exists in
# its binary under BENCH_DIR (--benchmark_list_tests), so `make compare` finds its
# pairs. With a Go toolchain (and x/sync) it checks the Go names too (go test -list).
# Run by ctest (bench_twins); takes a second.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: check-twins.sh BENCH_DIR}
cores=$(getconf _NPROCESSORS_ONLN)
bad=0
declare -A listed
while read -r file bin gox go; do
  gox=${gox//\{cores\}/$cores}
  if [ -z "${listed[$bin]+x}" ]; then
    if [ ! -x "$dir/$bin" ]; then echo "$file: no binary $dir/$bin" >&2; bad=1; listed[$bin]=""; continue; fi
    listed[$bin]=$("$dir/$bin" --benchmark_list_tests)
  fi
  if ! grep -qxF -- "$gox" <<<"${listed[$bin]}"; then
    echo "$file: $bin has no benchmark $gox" >&2
    bad=1
  fi
done < <(awk '!/^#/ && NF == 3 {print FILENAME, $0}' bench/twins/*.txt)

if command -v go >/dev/null 2>&1 && [ -d /usr/share/gocode/src/golang.org/x/sync ]; then
  tops=$(cd bench/go && GOPROXY=off GOFLAGS= GOCACHE=${GOCACHE:-/tmp/gox-gocache} go test -list 'Benchmark.*' . | grep '^Benchmark' || true)
  while read -r file go; do
    top=${go%%/*}
    if ! grep -qxF -- "$top" <<<"$tops"; then echo "$file: no Go benchmark $top" >&2; bad=1; fi
  done < <(awk '!/^#/ && NF == 3 {print FILENAME, $3}' bench/twins/*.txt)
fi
[ "$bad" -eq 0 ] && echo "check-twins: every pair in bench/twins/*.txt has both sides"
exit "$bad"
