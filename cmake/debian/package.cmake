# SPDX-License-Identifier: MIT
# The Debian package of slp, libslp-dev, built by CPack from slp's install
# rules (`cpack -G DEB` in a build tree configured with
# -DCMAKE_INSTALL_PREFIX=/usr), and the documents every install carries for
# it: the copyright file and the changelogs, where Debian looks for them.
# ci/test.sh deb builds the package, checks it with lintian, compares its
# files with what `cmake --install` installs, installs it and builds against
# it.

set(SLP_DEB_PACKAGE_NAME libslp-dev)
# The project has no public address yet: the default is a placeholder, to be
# set (-DSLP_DEB_MAINTAINER=...) for a package that leaves the building.
set(SLP_DEB_MAINTAINER "slp developers <slp@example.org>" CACHE STRING
    "Maintainer of slp's Debian package and of its changelog entry: \"Name <address>\"")
# Debian packages this one needs beyond itself: libslp.a is compiled C++ that
# calls into the C++ runtime of the compiler that built it. A library slp comes
# to depend on adds its -dev package here (and to slp.pc's SLP_PC_REQUIRES).
set(SLP_DEB_DEPENDS "libc6-dev")
if(SLP_WITH_UNWIND)
  list(APPEND SLP_DEB_DEPENDS "libunwind-dev")
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  string(REGEX MATCH "^[0-9]+" slp_gcc_major "${CMAKE_CXX_COMPILER_VERSION}")
  list(APPEND SLP_DEB_DEPENDS "libstdc++-${slp_gcc_major}-dev | libstdc++-dev")
else()
  list(APPEND SLP_DEB_DEPENDS "libstdc++-dev")
endif()
set(SLP_DEB_REVISION 1)

# --- documents, in Debian's place: share/doc/<package> -----------------------
# changelog.gz is CHANGELOG.md; changelog.Debian.gz has one entry for this
# version's package. Both compressed with gzip -n, so they carry no time
# stamp; the date of the Debian entry follows SOURCE_DATE_EPOCH when set.
set(slp_doc_dir ${CMAKE_INSTALL_DATAROOTDIR}/doc/${SLP_DEB_PACKAGE_NAME})
set(slp_doc_build ${PROJECT_BINARY_DIR}/doc)
file(MAKE_DIRECTORY ${slp_doc_build})
string(TIMESTAMP SLP_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${CMAKE_CURRENT_LIST_DIR}/changelog.Debian.in ${slp_doc_build}/changelog.Debian @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/CHANGELOG.md ${slp_doc_build}/changelog COPYONLY)
find_program(SLP_GZIP gzip REQUIRED)
foreach(doc changelog changelog.Debian)
  execute_process(COMMAND ${SLP_GZIP} -9nf ${slp_doc_build}/${doc} RESULT_VARIABLE slp_gzip_result)
  if(NOT slp_gzip_result EQUAL 0)
    message(FATAL_ERROR "slp: gzip -9n ${slp_doc_build}/${doc} failed: ${slp_gzip_result}")
  endif()
endforeach()
install(FILES
  ${CMAKE_CURRENT_LIST_DIR}/copyright
  ${slp_doc_build}/changelog.gz
  ${slp_doc_build}/changelog.Debian.gz
  DESTINATION ${slp_doc_dir})

# --- the package --------------------------------------------------------------
# Only when slp is the top-level project: a parent project packages itself.
if(NOT SLP_TOP_LEVEL)
  return()
endif()

string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" slp_deb_processor)
if(slp_deb_processor MATCHES "^(x86_64|amd64)$")
  set(slp_deb_architecture amd64)
else()
  set(slp_deb_architecture arm64)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ${SLP_DEB_PACKAGE_NAME})
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${SLP_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Stackless-style tasklets and channels for C++ (development files)")
# The long description; CPack puts the summary above it and turns the empty
# line into Debian's " ." paragraph break.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "\
slp brings Stackless Python's tasklets, channels and scheduler to C++17.
Tasklets are switched by hand-written assembly in the hard-switch style:
each runs on one of a few shared execution stacks, and the used slice of a
stack is copied to the heap and back when another tasklet needs it.

This package holds the headers, the static library libslp.a, the CMake
package (find_package(slp)) and the pkg-config file (slp.pc).")
set(CPACK_DEBIAN_PACKAGE_SOURCE slp)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${SLP_DEB_REVISION})
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${slp_deb_architecture})
list(JOIN SLP_DEB_DEPENDS ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/package)
include(CPack)
