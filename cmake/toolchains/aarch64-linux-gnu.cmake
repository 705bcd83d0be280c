# SPDX-License-Identifier: MIT
# Cross build for AArch64 Linux with Debian's g++-aarch64-linux-gnu; tests
# run under qemu-aarch64. Libraries come from the sysroot
# /usr/aarch64-linux-gnu, libunwind too (cmake/slp-unwind.cmake).
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(SLP_TRIPLE aarch64-linux-gnu)
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-cross.cmake)
