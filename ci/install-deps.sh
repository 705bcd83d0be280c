#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages slp's scripts need, when some are missing.
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

case "${1:-test}" in
  test)  wanted=(cmake ninja-build g++ googletest libgtest-dev libbenchmark-dev
                 libboost-context-dev libboost-fiber-dev g++-aarch64-linux-gnu
                 g++-riscv64-linux-gnu
                 qemu-user valgrind clang-format clang libclang-rt-14-dev
                 pkgconf lintian libunwind-dev gdb python3 dpkg-cross)
         # arm64 packages for the sysroot, with what they depend on.
         arm64_cross=(libunwind8 libunwind-dev liblzma5 liblzma-dev) ;;
  bench) wanted=(cmake ninja-build g++ libunwind-dev libbenchmark-dev libboost-context-dev
                 libboost-fiber-dev gnuplot-nox python3 golang-go)
         arm64_cross=() ;;
  *) echo "usage: $0 test|bench" >&2; exit 2 ;;
esac

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for p in "${wanted[@]}"; do
  installed "$p" || missing+=("$p")
done
cross_missing=()
for p in "${arm64_cross[@]}"; do
  installed "$p-arm64-cross" || cross_missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && [ ${#cross_missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "ci/install-deps.sh: not root, cannot install: ${missing[*]}" \
    "${cross_missing[*]/%/-arm64-cross}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -o DPkg::Lock::Timeout=600 -y -qq)
# apt-get download finds arm64 packages only while dpkg knows the
# architecture; it is added for that and removed again (nothing of arm64
# is installed through it).
added_arm64=false
if [ ${#cross_missing[@]} -gt 0 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  added_arm64=true
fi
"${apt[@]}" update
if [ ${#missing[@]} -gt 0 ]; then
  echo "ci/install-deps.sh: installing ${missing[*]}"
  "${apt[@]}" install --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ${#cross_missing[@]} -gt 0 ]; then
  echo "ci/install-deps.sh: installing ${cross_missing[*]/%/-arm64-cross}"
  work=$(mktemp -d)
  chown _apt "$work" 2>/dev/null || true  # apt-get download writes as _apt
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
fi
