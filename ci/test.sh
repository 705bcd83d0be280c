#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds slp and runs every test, one stage after another: the suites
# natively (dev), under ASan + UBSan (asan) and ThreadSanitizer (tsan), for
# AArch64 under qemu-aarch64 (aarch64-qemu, and with ASan aarch64-qemu-asan),
# for riscv64 under qemu-riscv64 (riscv64-qemu, which also runs the
# benchmark smoke run built for riscv64: it proves the benchmarks run
# there, and figures under emulation mean nothing) and under valgrind
# memcheck (valgrind); a libFuzzer smoke run (fuzz); a
# consumer for every way a user takes slp (install-consumer: find_package
# from an install, add-subdirectory, fetchcontent, pkg-config, deb: the
# Debian package); the suites again as the optimised release build
# (release, which the benchmark smoke run reuses); a benchmark smoke run
# (bench-smoke); and the clang-format check (format). Installs what it
# needs on Debian.
#
# Usage: ci/test.sh [stage...]   (default: all of them; a stage is a preset
# or one of the named checks below, e.g. ci/test.sh pkg-config)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/ci/install-deps.sh" test

presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(dev asan tsan aarch64-qemu aarch64-qemu-asan riscv64-qemu valgrind fuzz
  install-consumer add-subdirectory fetchcontent pkg-config deb release bench-smoke format)
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

# check NAME COMMAND...: one more pass or fail in the totals. COMMAND runs
# in a subshell with errexit on (bash turns it off in a function called as
# an if condition), so any step that fails, such as a broken install rule
# under `cmake --install`, fails the check.
check() {
  local name=$1 status
  shift
  echo "== $name"
  set +e
  (
    set -e
    "$@"
  )
  status=$?
  set -e
  if [ $status -eq 0 ]; then passed=$((passed + 1)); else echo "== $name: FAILED" >&2; failed=$((failed + 1)); fi
}

# --- consumers: every way a user takes slp, each built in a clean directory --
version=$(sed -nE 's/^project\(slp VERSION ([0-9]+\.[0-9]+\.[0-9]+).*/\1/p' "$root/CMakeLists.txt")
# What tests/consumers/main.cpp, examples/c_pingpong.c and the README's ten
# lines must print.
consumer_output="slp $version: received 1 2 3; stack_count 0 refused"
c_pingpong_output=$'ping 1\npong 2\nping 3\npong 4\nping 5\npong 6\npong ends the rally
main: 6 hits; ping still waits for the ball: 1\nping stops: killed'
ten_lines_output=$'ping 0\npong 0\nping 1\npong 1\nping 2\npong 2'

# expect_output PROGRAM TEXT: PROGRAM succeeds and prints exactly TEXT.
expect_output() {
  local got
  got=$("$1") || { echo "$1 exited with status $?" >&2; return 1; }
  if [ "$got" != "$2" ]; then
    printf '%s printed:\n%s\nand should have printed:\n%s\n' "$1" "$got" "$2" >&2
    return 1
  fi
  echo "   $(basename "$1"): as expected"
}

# consumer_dir WAY: a clean build/consumers/WAY holding, in src/, the project
# tests/consumers/WAY, main.cpp and the C example.
consumer_dir() {
  local dir=$root/build/consumers/$1
  rm -rf "$dir"
  mkdir -p "$dir/src"
  cp "$root/tests/consumers/$1/CMakeLists.txt" "$root/tests/consumers/main.cpp" \
    "$root/examples/c_pingpong.c" "$dir/src/"
  echo "$dir"
}

# copy_tree DEST: slp's tree as git sees it (tracked and new files, not the
# ignored build/), the way a user would vendor or fetch it.
copy_tree() {
  mkdir -p "$1"
  (cd "$root" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do if [ -e "$f" ]; then printf '%s\0' "$f"; fi; done |
    tar --null -T - -cf -) | tar -C "$1" -xf -
}

# build_consumer DIR [cmake args...]: configures DIR/src into DIR/build,
# builds it, and runs both programs.
build_consumer() {
  local dir=$1
  shift
  cmake -S "$dir/src" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON "$@" >/dev/null
  cmake --build "$dir/build" -j"$jobs" >/dev/null
  expect_output "$dir/build/consumer" "$consumer_output"
  expect_output "$dir/build/c_pingpong" "$c_pingpong_output"
}

# quiet_subproject BUILD: slp taken as a subproject registered no tests,
# built none of its tests, benchmarks or examples, and put none of its
# warning or sanitizer flags on the parent's code.
quiet_subproject() {
  local build=$1 extra
  extra=$(ctest --test-dir "$build" -N)
  [[ "$extra" == *"Total Tests: 0"* ]] || { echo "slp registered tests in the parent project" >&2; return 1; }
  extra=$(ninja -C "$build" -t targets all | sed 's/:.*//' |
    grep -E '(^|/)(tasklet_test|c_api_test|slp_scale|generator|prime_sieve|preemptive|switch_bench)$' || true)
  [ -z "$extra" ] || { echo "slp built its own targets in the parent project: $extra" >&2; return 1; }
  extra=$(grep '"command"' "$build/compile_commands.json" | grep -E 'main\.cpp|c_pingpong\.c' |
    grep -oE -- ' -(Wconversion|Werror|fsanitize=[^ ]*)' || true)
  [ -z "$extra" ] || { echo "slp's flags reached the parent's code: $extra" >&2; return 1; }
  echo "   slp stayed a quiet subproject: no tests, no targets of its own, no flags"
}

install_consumer() {
  local prefix=$root/build/install dir
  cmake --preset release >/dev/null
  cmake --build --preset release -j"$jobs" --target slp
  rm -rf "$prefix"
  cmake --install "$root/build/release" --prefix "$prefix" >/dev/null
  dir=$(consumer_dir find_package)
  # The version file says SameMajorVersion: MAJOR.0 is answered by any
  # MAJOR.x (SameMinorVersion would refuse it from MAJOR.1 on), and the next
  # major version is refused.
  build_consumer "$dir" -DCMAKE_PREFIX_PATH="$prefix" -DSLP_WANTED_VERSION="${version%%.*}.0"
  rm -rf "$dir/build"
  if cmake -S "$dir/src" -B "$dir/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
    -DSLP_WANTED_VERSION="$((${version%%.*} + 1)).0" >/dev/null 2>&1; then
    echo "find_package(slp $((${version%%.*} + 1)).0) accepted slp $version" >&2
    return 1
  fi
  echo "   find_package(slp ${version%%.*}.0) found slp $version, find_package(slp $((${version%%.*} + 1)).0) did not"
}

add_subdirectory_consumer() {
  local dir
  dir=$(consumer_dir add_subdirectory)
  copy_tree "$dir/src/slp"
  build_consumer "$dir"
  quiet_subproject "$dir/build"
}

fetchcontent_consumer() {
  local dir
  dir=$(consumer_dir fetchcontent)
  copy_tree "$dir/slp-source"
  build_consumer "$dir" -DSLP_SOURCE_DIR="$dir/slp-source"
  quiet_subproject "$dir/build"
}

# pkg_config_programs DIR: the README's ten lines with g++ and
# examples/c_pingpong.c with cc, each built with nothing but
# `pkg-config --cflags --libs slp`.
pkg_config_programs() {
  local dir=$1 flags
  [ "$(pkg-config --modversion slp)" = "$version" ] ||
    { echo "pkg-config --modversion slp: $(pkg-config --modversion slp), not $version" >&2; return 1; }
  flags=$(pkg-config --cflags --libs slp)
  echo "   pkg-config --cflags --libs slp: $flags"
  awk '/^## Ten lines/ { in_section = 1 }
       in_section && /^```cpp$/ { in_code = 1; next }
       in_code && /^```$/ { exit }
       in_code { print }' "$root/README.md" >"$dir/ten_lines.cpp"
  [ -s "$dir/ten_lines.cpp" ] || { echo "README.md has no ten-line example" >&2; return 1; }
  # shellcheck disable=SC2086 # the flags are words
  g++ -o "$dir/ten_lines" "$dir/ten_lines.cpp" $flags
  # shellcheck disable=SC2086
  cc -std=c99 -o "$dir/c_pingpong" "$root/examples/c_pingpong.c" $flags
  expect_output "$dir/ten_lines" "$ten_lines_output"
  expect_output "$dir/c_pingpong" "$c_pingpong_output"
}

pkg_config_consumer() {
  local dir=$root/build/consumers/pkg-config
  cmake --preset release >/dev/null
  cmake --build --preset release -j"$jobs" --target slp
  rm -rf "$dir"
  mkdir -p "$dir"
  cmake --install "$root/build/release" --prefix "$dir/prefix" >/dev/null
  PKG_CONFIG_PATH=$(dirname "$(find "$dir/prefix" -name slp.pc)") pkg_config_programs "$dir"
}

deb_installed() {
  [ "$(dpkg-query -W -f='${Status}' libslp-dev 2>/dev/null || true)" = "install ok installed" ]
}

# deb_package: libslp-dev from a clean build tree with CPack; lintian finds
# no error in it; it holds exactly the files `cmake --install` installs;
# installed with dpkg, the find_package and pkg-config consumers build
# against /usr; then it is purged, and the machine is as it was.
deb_package() {
  local dir=$root/build/deb deb consumer
  [ "$(id -u)" -eq 0 ] || { echo "installing the package needs root" >&2; return 1; }
  if deb_installed; then
    echo "libslp-dev is installed already; this check installs and purges its own" >&2
    return 1
  fi
  rm -rf "$dir"
  cmake -S "$root" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
    -DSLP_BUILD_TESTS=OFF -DSLP_BUILD_BENCH=OFF -DSLP_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build "$dir/build" -j"$jobs" >/dev/null
  (cd "$dir/build" && cpack -G DEB >/dev/null)
  deb=$(find "$dir/build/package" -maxdepth 1 -name "libslp-dev_${version}-*.deb")
  [ -n "$deb" ] || { echo "cpack made no libslp-dev_${version}-*.deb" >&2; return 1; }
  echo "   $(basename "$deb")"
  lintian --fail-on error "$deb"

  DESTDIR="$dir/staged" cmake --install "$dir/build" >/dev/null
  (cd "$dir/staged" && find . ! -type d | sort) >"$dir/installed.txt"
  dpkg-deb -c "$deb" | awk '{ print $6 }' | grep -v '/$' | sort >"$dir/packaged.txt"
  diff -u "$dir/installed.txt" "$dir/packaged.txt" ||
    { echo "the package and cmake --install differ (- installed only, + packaged only)" >&2; return 1; }
  echo "   the package holds the $(wc -l <"$dir/installed.txt") files cmake --install installs"

  trap 'dpkg --purge libslp-dev >/dev/null 2>&1 || true' EXIT
  dpkg -i "$deb" >/dev/null
  consumer=$(consumer_dir find_package)
  build_consumer "$consumer"
  grep -q "^slp_DIR:PATH=/usr/lib/" "$consumer/build/CMakeCache.txt" ||
    { echo "find_package took slp from elsewhere: $(grep '^slp_DIR' "$consumer/build/CMakeCache.txt")" >&2; return 1; }
  pkg_config_programs "$consumer"
  dpkg --purge libslp-dev >/dev/null
  trap - EXIT
  if deb_installed || [ -e /usr/include/slp ]; then
    echo "dpkg --purge libslp-dev left it behind" >&2
    return 1
  fi
  echo "   installed, built against /usr, purged"
}

# valgrind_memcheck: every test binary of the valgrind preset under memcheck:
# no error, no leak, no "client switching stacks" warning. Death tests fork
# and abort on purpose, and valgrind's CPU emulation does not honour SSE
# rounding modes in arithmetic, so those few tests run elsewhere only. So do
# the three whose main thread never blocks while a second thread must get
# thousands of turns (*WhileTheFirstIsBusy, *ThatThenEndsIsNotLost,
# *WhileTheOwnerSwitches): valgrind runs one thread at a time and switches
# rarely, and they take many minutes there.
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
        "$bin" --gtest_filter='-*Death*:*FpRoundingMode*:*WhileTheFirstIsBusy:*ThatThenEndsIsNotLost:*WhileTheOwnerSwitches' >"$log" 2>&1 || status=1
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
    add-subdirectory) check "add_subdirectory consumer: a copy of the tree as slp/" add_subdirectory_consumer ;;
    fetchcontent) check "FetchContent consumer: FetchContent_MakeAvailable(slp)" fetchcontent_consumer ;;
    pkg-config) check "pkg-config consumer: the README's example and the C example with g++ and cc" pkg_config_consumer ;;
    deb) check "Debian package: cpack, lintian, the file list, dpkg -i, consumers against /usr, purge" deb_package ;;
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
