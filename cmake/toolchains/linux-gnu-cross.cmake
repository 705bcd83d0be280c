# SPDX-License-Identifier: MIT
# Shared part of slp's cross toolchains: a Debian cross g++ for SLP_TRIPLE,
# its sysroot under /usr/<triple>, and qemu-user to run what it builds.
# Included by the per-triple files, which set CMAKE_SYSTEM_PROCESSOR and
# SLP_TRIPLE first (toolchain files are re-read inside try_compile, so the
# triple is not passed with -D).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${SLP_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${SLP_TRIPLE}-g++)
set(CMAKE_ASM_COMPILER ${SLP_TRIPLE}-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/${SLP_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
string(REGEX REPLACE "-.*" "" slp_qemu_arch "${SLP_TRIPLE}")
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-${slp_qemu_arch} -L /usr/${SLP_TRIPLE})
# Debian's GoogleTest sources build for any target.
set(SLP_GTEST_SOURCE_DIR /usr/src/googletest CACHE PATH "")
