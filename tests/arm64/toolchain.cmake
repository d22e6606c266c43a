# CMake toolchain for arm64 (aarch64-linux-gnu): Debian's cross compiler
# (g++-aarch64-linux-gnu) against an arm64 sysroot of Debian 12 packages
# (tests/arm64/sysroot.sh makes one), and QEMU's user mode emulator to run
# what the build made, so that ctest runs the arm64 tests on an x86-64 host:
#   cmake -S . -B build/arm64 -DCMAKE_TOOLCHAIN_FILE=tests/arm64/toolchain.cmake \
#         -DOOM_ARM64_SYSROOT=$(tests/arm64/sysroot.sh)
# tests/arm64/run.sh does that, builds, and runs the tests.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# The sysroot: -DOOM_ARM64_SYSROOT or $OOM_ARM64_SYSROOT. CMake reads this file
# again for each try_compile, where only the listed variables are passed on.
if(NOT OOM_ARM64_SYSROOT)
  set(OOM_ARM64_SYSROOT "$ENV{OOM_ARM64_SYSROOT}")
endif()
if(NOT IS_DIRECTORY "${OOM_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu")
  message(FATAL_ERROR "OOM_ARM64_SYSROOT (\"${OOM_ARM64_SYSROOT}\") is not an "
                      "arm64 sysroot: make one with tests/arm64/sysroot.sh")
endif()
set(OOM_ARM64_SYSROOT "${OOM_ARM64_SYSROOT}" CACHE PATH "The arm64 sysroot")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES OOM_ARM64_SYSROOT)
set(CMAKE_SYSROOT "${OOM_ARM64_SYSROOT}")

# Libraries, headers and CMake packages from the sysroot only; programs
# (git, promtool) from the host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# ctest runs every test binary as `qemu-aarch64-static -L SYSROOT TEST`.
# A program the tests start themselves (the exporter) goes through
# binfmt_misc (tests/support/binfmt-arm64.sh) and finds its libraries through
# QEMU_LD_PREFIX, which tests/arm64/run.sh sets to the sysroot.
find_program(OOM_QEMU_AARCH64 qemu-aarch64-static REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR "${OOM_QEMU_AARCH64};-L;${OOM_ARM64_SYSROOT}")
