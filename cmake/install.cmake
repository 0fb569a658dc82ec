# What `cmake --install build --prefix P` lays down (SPEC.md section 1):
#   P/include/tsmem.h, P/lib/libtsmem.so, P/lib/libtsmem.a,
#   P/lib/tsmem/tsmem.so (+ tsmem-pass.so), P/lib/pkgconfig/tsmem.pc,
#   P/lib/cmake/tsmem/ (find_package(tsmem): tsmem::runtime, tsmem_enable_plugin).
include(CMakePackageConfigHelpers)

# SPEC fixes P/lib, whatever the platform's multiarch convention says.
set(TSMEM_INSTALL_LIBDIR lib)
set(TSMEM_INSTALL_CMAKEDIR ${TSMEM_INSTALL_LIBDIR}/cmake/tsmem)

install(FILES include/tsmem.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set_target_properties(tsmem PROPERTIES EXPORT_NAME runtime)
set_target_properties(tsmem_static PROPERTIES EXPORT_NAME runtime_static)
install(TARGETS tsmem tsmem_static EXPORT tsmemTargets
  LIBRARY DESTINATION ${TSMEM_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${TSMEM_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT tsmemTargets NAMESPACE tsmem:: DESTINATION ${TSMEM_INSTALL_CMAKEDIR})

configure_package_config_file(cmake/tsmemConfig.cmake.in
  ${PROJECT_BINARY_DIR}/tsmemConfig.cmake
  INSTALL_DESTINATION ${TSMEM_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR) # @PACKAGE_CMAKE_INSTALL_INCLUDEDIR@
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tsmemConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tsmemConfig.cmake
  ${PROJECT_BINARY_DIR}/tsmemConfigVersion.cmake
  DESTINATION ${TSMEM_INSTALL_CMAKEDIR})

# pkg-config: the static runtime needs libtorch, so Libs.private names it.
get_filename_component(TSMEM_TORCH_LIBDIR ${TSMEM_TORCH_CPU} DIRECTORY)
configure_file(cmake/tsmem.pc.in ${PROJECT_BINARY_DIR}/tsmem.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/tsmem.pc DESTINATION ${TSMEM_INSTALL_LIBDIR}/pkgconfig)

if(TSMEM_BUILD_PLUGIN)
  install(TARGETS tsmem_plugin tsmem_clang LIBRARY DESTINATION ${TSMEM_INSTALL_LIBDIR}/tsmem)
  # The pass-only library for `opt -load-pass-plugin`: tsmem.so loads there too.
  install(CODE "execute_process(COMMAND \${CMAKE_COMMAND} -E create_symlink tsmem.so
    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${TSMEM_INSTALL_LIBDIR}/tsmem/tsmem-pass.so\")")
endif()

# <tsmem/dist.h> (issue 13): P/include/tsmem/dist.h, beside tsmem.h's others.
install(FILES include/tsmem/dist.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tsmem)
