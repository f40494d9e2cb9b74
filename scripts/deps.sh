#!/usr/bin/env bash
# deps.sh: installs the Debian packages the build needs, only those missing.
# Fast (one dpkg-query) when everything is there. Needs root and Debian's
# package archive when something is missing; says so and exits 1 otherwise.
set -euo pipefail

pkgs=(cmake g++ ninja-build make libpoco-dev libgtest-dev libgmock-dev libbenchmark-dev)
for flag in "$@"; do
  case "$flag" in
    --with-wrk) pkgs+=(wrk) ;;
    --with-format) pkgs+=(clang-format) ;;
    --with-inotify) pkgs+=(inotify-tools) ;;  # make watch
    --with-compare) pkgs+=(wrk golang-go golang-golang-x-sync-dev python3) ;;  # make compare
    *) echo "deps.sh: unknown flag $flag" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = "installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: missing packages: ${missing[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps.sh: no apt-get here; install these by hand: ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: not root; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q "${missing[@]}" >/tmp/gox-deps.log 2>&1; then
  echo "deps.sh: package lists may be stale; running apt-get update" >&2
  if ! apt-get update -q >>/tmp/gox-deps.log 2>&1 ||
     ! apt-get install -y -q "${missing[@]}" >>/tmp/gox-deps.log 2>&1; then
    echo "deps.sh: could not install ${missing[*]} from Debian's archive; see /tmp/gox-deps.log" >&2
    tail -n 5 /tmp/gox-deps.log >&2
    exit 1
  fi
fi
echo "deps.sh: installed ${missing[*]}" >&2
