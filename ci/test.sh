#!/usr/bin/env bash
# Builds slp and runs every test: natively (plain, and ASan + UBSan), for
# AArch64 under qemu-aarch64, the install-consumer build, the suites again
# as the optimised release build (which the benchmark smoke run reuses), a
# benchmark smoke run, and the clang-format check. Installs what it needs on
# Debian.
#
# Usage: ci/test.sh [preset...]   (default: all of them)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/ci/install-deps.sh" test

presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(dev asan tsan aarch64-qemu aarch64-qemu-asan valgrind fuzz install-consumer release bench-smoke format)
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

# valgrind_memcheck: every test binary of the valgrind preset under memcheck:
# no error, no leak, no "client switching stacks" warning. Death tests fork
# and abort on purpose, and valgrind's CPU emulation does not honour SSE
# rounding modes in arithmetic, so those few tests run elsewhere only. So do
# the two whose main thread never blocks while a second thread must get
# thousands of turns (*WhileTheFirstIsBusy, *ThatThenEndsIsNotLost):
# valgrind runs one thread at a time and switches rarely, and they take
# many minutes there.
valgrind_memcheck() {
  local dir=$root/build/valgrind log status=0
  cmake --preset valgrind >/dev/null
  cmake --build --preset valgrind -j"$jobs"
  for bin in "$dir"/tests/*_test; do
    [ -x "$bin" ] || continue
    log=$(mktemp)
    if [ "$(basename "$bin")" = c_api_test ]; then
      valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$bin" >"$log" 2>&1 || status=1
    elif [ "$(basename "$bin")" = model_test ]; then
      valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        "$bin" --programs 300 --seed 1 >"$log" 2>&1 || status=1
    else
      valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        "$bin" --gtest_filter='-*Death*:*FpRoundingMode*:*WhileTheFirstIsBusy:*ThatThenEndsIsNotLost' >"$log" 2>&1 || status=1
    fi
    if grep -q 'switching stacks' "$log"; then status=1; fi
    echo "   $(basename "$bin"): $(grep -cE '^\[       OK' "$log") tests under memcheck, status $status"
    [ $status -eq 0 ] || { tail -40 "$log"; rm -f "$log"; return 1; }
    rm -f "$log"
  done
}

# fuzz_smoke: the libFuzzer target over the scheduler's operation language
# (clang), 10,000 inputs from the seed corpus.
fuzz_smoke() {
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j"$jobs" --target scheduler_fuzz
  ctest --test-dir "$root/build/fuzz" -R scheduler_fuzz_smoke --output-on-failure
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
    valgrind) check "valgrind memcheck of every test binary" valgrind_memcheck ;;
    fuzz) check "libFuzzer smoke run of the scheduler fuzz target" fuzz_smoke ;;
    bench-smoke) check "benchmark smoke run" bench_smoke ;;
    format) check "clang-format" format_check ;;
    *) run_ctest "$p" ;;
  esac
done

echo
echo "ci/test.sh: ${presets[*]}"
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
