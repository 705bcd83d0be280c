# SPDX-License-Identifier: MIT
# slp — finds libunwind (Debian: libunwind-dev) for the function names in
# backtraces (SLP_WITH_UNWIND) and defines the imported target
# slp::unwind. Used by slp's own build and by the installed package config,
# so that a find_package(slp) consumer links what the static libslp.a needs.
#
# slp links the generic library, libunwind-generic, whose interface
# (libunwind.h without UNW_LOCAL_ONLY) core/backtrace.cpp uses, and not
# libunwind itself: linking libunwind directly would put its _Unwind_*
# functions ahead of libgcc's for the program's C++ exceptions (linked
# through libunwind-generic, libunwind comes after libgcc_s in the search
# order). Debian's static archive is not position independent, so the
# shared library is linked.
#
# A cross build finds it in the toolchain's sysroot (CMAKE_FIND_ROOT_PATH):
# for AArch64, /usr/aarch64-linux-gnu, where ci/install-deps.sh installs
# Debian's arm64 libunwind repacked as libunwind-dev-arm64-cross. Under
# qemu-aarch64 -L /usr/aarch64-linux-gnu the loader then takes
# libunwind-aarch64.so.8 from the sysroot's lib like libstdc++, so the
# test programs need no rpath or LD_LIBRARY_PATH.
if(NOT TARGET slp::unwind)
  find_path(SLP_UNWIND_INCLUDE_DIR libunwind.h)
  find_library(SLP_UNWIND_LIBRARY NAMES unwind-generic)
  if(SLP_UNWIND_INCLUDE_DIR AND SLP_UNWIND_LIBRARY)
    add_library(slp::unwind INTERFACE IMPORTED)
    set_target_properties(slp::unwind PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${SLP_UNWIND_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "${SLP_UNWIND_LIBRARY}")
  endif()
endif()
