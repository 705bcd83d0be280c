#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages slp's scripts need, when some are missing;
# for test, also fetches Google Benchmark's Debian sources into
# build/_sources/benchmark, which the cross builds compile for their target
# (Debian ships no /usr/src copy, and no riscv64 libbenchmark-dev).
# Usage: ci/install-deps.sh test|bench
# As root it runs apt-get; otherwise it names what is missing and goes on.
#
# `test` also puts Debian's arm64 libunwind into the AArch64 cross sysroot
# (/usr/aarch64-linux-gnu), for the backtraces with names of the
# aarch64-qemu presets: the arm64 packages are fetched with apt-get
# download and repacked by dpkg-cross as libunwind-dev-arm64-cross and
# friends, the way Debian ships libc6-arm64-cross. Multiarch
# (`apt-get install libunwind-dev:arm64`) is not used: it brings
# libc6:arm64 into /lib/aarch64-linux-gnu, which the cross loader under
# `qemu-aarch64 -L /usr/aarch64-linux-gnu` searches before the sysroot, and
# a program that starts a thread then hangs, its loader and libc being of
# two builds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

case "${1:-test}" in
  test)  wanted=(cmake ninja-build g++ googletest libgtest-dev libbenchmark-dev
                 libboost-context-dev libboost-fiber-dev g++-aarch64-linux-gnu
                 g++-riscv64-linux-gnu
                 qemu-user valgrind clang-format clang libclang-rt-14-dev
                 pkgconf lintian libunwind-dev gdb python3 dpkg-dev dpkg-cross)
         # arm64 packages for the sysroot, with what they depend on.
         arm64_cross=(libunwind8 libunwind-dev liblzma5 liblzma-dev) ;;
  bench) wanted=(cmake ninja-build g++ libunwind-dev libbenchmark-dev libboost-context-dev
                 libboost-fiber-dev gnuplot-nox python3 golang-go)
         arm64_cross=() ;;
  *) echo "usage: $0 test|bench" >&2; exit 2 ;;
esac

export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -o DPkg::Lock::Timeout=600 -y -qq)

# installed PACKAGE: dpkg has PACKAGE installed.
installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

install_missing() {
  local missing=() p
  for p in "${wanted[@]}"; do
    installed "$p" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "ci/install-deps.sh: not root, cannot install: ${missing[*]}" >&2
    return 0
  fi
  echo "ci/install-deps.sh: installing ${missing[*]}"
  "${apt[@]}" update
  "${apt[@]}" install --no-install-recommends "${missing[@]}" >/dev/null
}

# fetch_benchmark_source: `apt-get source benchmark` into
# build/_sources/benchmark (the riscv64-qemu preset's
# SLP_BENCHMARK_SOURCE_DIR), once; enables Debian's deb-src entries first
# if apt knows none. Without it the cross build says so and builds no
# benchmarks.
fetch_benchmark_source() {
  local dest=$root/build/_sources/benchmark tmp unpacked
  [ -f "$dest/CMakeLists.txt" ] && return 0
  if ! apt-cache showsrc benchmark >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ] || [ ! -f /etc/apt/sources.list.d/debian.sources ]; then
      echo "ci/install-deps.sh: no deb-src entry for apt-get source benchmark:" \
        "the cross builds will build no benchmarks" >&2
      return 0
    fi
    echo "ci/install-deps.sh: enabling deb-src (/etc/apt/sources.list.d/debian-src.sources)"
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
      >/etc/apt/sources.list.d/debian-src.sources
    "${apt[@]}" update
  fi
  echo "ci/install-deps.sh: apt-get source benchmark into $dest"
  mkdir -p "$root/build/_sources"
  tmp=$(mktemp -d "$root/build/_sources/fetch.XXXXXX")
  (cd "$tmp" && apt-get source -qq benchmark >"$tmp.log" 2>&1) || true
  unpacked=("$tmp"/benchmark-*/)
  if [ ! -f "${unpacked[0]}CMakeLists.txt" ]; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    echo "ci/install-deps.sh: apt-get source benchmark failed:" \
      "the cross builds will build no benchmarks" >&2
    return 0
  fi
  rm -rf "$dest"
  mv "${unpacked[0]}" "$dest"
  rm -rf "$tmp" "$tmp.log"
}

# install_arm64_cross: the arm64 packages of arm64_cross, repacked into the
# AArch64 cross sysroot as PACKAGE-arm64-cross.
install_arm64_cross() {
  local missing=() p work added_arm64=false
  for p in "${arm64_cross[@]}"; do
    installed "$p-arm64-cross" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "ci/install-deps.sh: not root, cannot install: ${missing[*]/%/-arm64-cross}" >&2
    return 0
  fi
  echo "ci/install-deps.sh: installing ${missing[*]/%/-arm64-cross}"
  # apt-get download finds arm64 packages only while dpkg knows the
  # architecture; it is added for that and removed again (nothing of arm64
  # is installed through it).
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
    added_arm64=true
  fi
  "${apt[@]}" update
  work=$(mktemp -d)
  chown _apt "$work" 2>/dev/null || true # apt-get download writes as _apt
  (
    cd "$work"
    "${apt[@]}" download "${arm64_cross[@]/%/:arm64}"
    # -M: the packages are Multi-Arch, which dpkg-cross otherwise skips.
    dpkg-cross -a arm64 -M -b ./*_arm64.deb >dpkg-cross.log 2>&1 ||
      { cat dpkg-cross.log >&2; exit 1; }
    "${apt[@]}" install --no-install-recommends ./*-arm64-cross_*_all.deb >/dev/null
  )
  rm -rf "$work"
  if $added_arm64; then dpkg --remove-architecture arm64; fi
}

install_missing
if [ "${1:-test}" = test ]; then
  install_arm64_cross
  fetch_benchmark_source
fi
