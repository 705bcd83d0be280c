#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages slp's scripts need, when some are missing.
# Usage: ci/install-deps.sh test|bench
# As root it runs apt-get; otherwise it names what is missing and goes on.
set -euo pipefail

case "${1:-test}" in
  test)  wanted=(cmake ninja-build g++ googletest libgtest-dev libbenchmark-dev
                 libboost-context-dev libboost-fiber-dev g++-aarch64-linux-gnu
                 g++-riscv64-linux-gnu
                 qemu-user valgrind clang-format clang libclang-rt-14-dev
                 pkgconf lintian libunwind-dev gdb python3) ;;
  bench) wanted=(cmake ninja-build g++ libunwind-dev libbenchmark-dev libboost-context-dev
                 libboost-fiber-dev gnuplot-nox python3 golang-go) ;;
  *) echo "usage: $0 test|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "ci/install-deps.sh: not root, cannot install: ${missing[*]}" >&2
  exit 0
fi
echo "ci/install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -o DPkg::Lock::Timeout=600 -y -qq)
"${apt[@]}" update
"${apt[@]}" install --no-install-recommends "${missing[@]}" >/dev/null
