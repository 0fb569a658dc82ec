# `cpack` in the build tree (or `make package`): a .deb and a .tar.gz of what
# `cmake --install` lays down (SPEC.md section 1), version from project().
# The .deb installs under /usr; the tarball is relocatable (tsmem.pc and the
# CMake package find their files relative to themselves).
set(CPACK_PACKAGE_NAME tsmem)
set(CPACK_PACKAGE_VENDOR "tsmem")
set(CPACK_PACKAGE_CONTACT "tsmem developers <tsmem@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Automatic memory management for tensor code in C: runtime, Clang plugin, headers")
set(CPACK_PACKAGE_DESCRIPTION
  "tsmem gives C programs on libtorch scopes that free their tensors, a tensor\n pool, accounting and leak reports (libtsmem), and a Clang 19 plugin that\n lowers TS_SCOPE and reports memory bugs at build time.")
set(CPACK_GENERATOR DEB TGZ)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
# What the runtime and the plugin link against, by Debian package: the
# runtime needs libtorch, the plugin LLVM 19 (and loads into clang-19).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libstdc++6, libgcc-s1, libtorch1.13")
if(TSMEM_BUILD_PLUGIN)
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libllvm19")
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "clang-19, libtorch-dev, pkg-config")
else()
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libtorch-dev, pkg-config")
endif()
set(CPACK_ARCHIVE_FILE_NAME ${CPACK_PACKAGE_NAME}-${PROJECT_VERSION}-Linux)
set(CPACK_SOURCE_IGNORE_FILES "/build/;/\\\\.git/")
include(CPack)
