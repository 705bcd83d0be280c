#!/usr/bin/env bash
# Builds slp and runs every test: natively (plain, and ASan + UBSan), for
# AArch64 under qemu-aarch64, the install-consumer build, a benchmark smoke
# run, and the clang-format check. Installs what it needs on Debian.
#
# Usage: ci/test.sh [preset...]   (default: all of them)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/ci/install-deps.sh" test

presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(dev asan aarch64-qemu install-consumer bench-smoke format)
jobs=$(nproc)
passed=0
failed=0

# run_ctest PRESET: configure, build and test one preset, adding to the totals.
run_ctest() {
  local preset=$1 log
  echo "== $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$jobs"
  echo "== $preset: test"
  log=$(mktemp)
  if ctest --preset "$preset" -j"$jobs" --timeout 600 2>&1 | tee "$log"; then :; fi
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1 || true)
  rm -f "$log"
  if [ -z "$line" ]; then
    echo "== $preset: ctest gave no summary" >&2
    failed=$((failed + 1))
    return
  fi
  local f n
  f=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
  n=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
  passed=$((passed + n - f))
  failed=$((failed + f))
}

# check NAME COMMAND...: one more pass or fail in the totals.
check() {
  local name=$1
  shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); else echo "== $name: FAILED" >&2; failed=$((failed + 1)); fi
}

install_consumer() {
  local prefix=$root/build/install consumer=$root/build/install-consumer
  cmake --preset release >/dev/null
  cmake --build --preset release -j"$jobs" --target slp
  rm -rf "$prefix" "$consumer"
  cmake --install "$root/build/release" --prefix "$prefix" >/dev/null
  cmake -S "$root/tests/install_consumer" -B "$consumer" -G Ninja \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$consumer" -j"$jobs" >/dev/null
  "$consumer/install_consumer"
}

bench_smoke() {
  cmake --preset release >/dev/null
  cmake --build --preset release -j"$jobs"
  "$root/ci/bench.sh" --smoke --no-build
}

format_check() {
  local bad
  bad=$(git ls-files '*.cpp' '*.hpp' '*.h' '*.c' | xargs clang-format --dry-run -Werror 2>&1 | grep -c 'error:' || true)
  [ "$bad" -eq 0 ] || { git ls-files '*.cpp' '*.hpp' '*.h' '*.c' | xargs clang-format --dry-run -Werror 2>&1 | head -20; return 1; }
}

for p in "${presets[@]}"; do
  case "$p" in
    install-consumer) check "install consumer: find_package(slp) from the installed tree" install_consumer ;;
    bench-smoke) check "benchmark smoke run" bench_smoke ;;
    format) check "clang-format" format_check ;;
    *) run_ctest "$p" ;;
  esac
done

echo
echo "ci/test.sh: ${presets[*]}"
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
