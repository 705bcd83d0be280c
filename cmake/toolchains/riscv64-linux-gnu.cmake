# SPDX-License-Identifier: MIT
# Cross build for riscv64 Linux (rv64gc, LP64D) with Debian's
# g++-riscv64-linux-gnu; tests run under qemu-riscv64.
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(SLP_TRIPLE riscv64-linux-gnu)
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-cross.cmake)
