# What `cmake --install build --prefix P` lays down (SPEC.md section 1):
#   P/include/tsmem.h, P/lib/libtsmem.so, P/lib/libtsmem.a,
#   P/lib/tsmem/tsmem.so (+ tsmem-pass.so), P/lib/pkgconfig/tsmem.pc,
#   P/lib/cmake/tsmem/ (find_package(tsmem): tsmem::runtime, tsmem_enable_plugin).
include(CMakePackageConfigHelpers)

# SPEC fixes P/lib, whatever the platform's multiarch convention says.
set(TSMEM_INSTALL_LIBDIR lib)
set(TSMEM_INSTALL_CMAKEDIR ${TSMEM_INSTALL_LIBDIR}/cmake/tsmem)

install(FILES include/tsmem.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${TSMEM_GENERATED_INCLUDE_DIR}/tsmem/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tsmem)
install(FILES ${TSMEM_OPS_DIR}/include/tsmem/ops.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tsmem)
# The generated operators' reference: each C signature next to its schema.
install(FILES ${TSMEM_OPS_DIR}/ops.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
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
  COMPATIBILITY SameMinorVersion) # 0.x: a new minor version may break the API
install(FILES ${PROJECT_BINARY_DIR}/tsmemConfig.cmake
  ${PROJECT_BINARY_DIR}/tsmemConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/tsmemEnablePlugin.cmake
  DESTINATION ${TSMEM_INSTALL_CMAKEDIR})

# pkg-config: the static runtime needs libtorch, so Libs.private names it.
get_filename_component(TSMEM_TORCH_LIBDIR ${TSMEM_TORCH_CPU} DIRECTORY)
configure_file(cmake/tsmem.pc.in ${PROJECT_BINARY_DIR}/tsmem.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/tsmem.pc DESTINATION ${TSMEM_INSTALL_LIBDIR}/pkgconfig)

if(TSMEM_BUILD_PLUGIN)
  install(TARGETS tsmem_plugin tsmem_clang LIBRARY DESTINATION ${TSMEM_INSTALL_LIBDIR}/tsmem)
  # The pass-only library for `opt -load-pass-plugin`: tsmem.so loads there
  # too. The build tree's symlink is installed as a symlink, and so is listed
  # in install_manifest.txt like every other file.
  install(FILES ${PROJECT_BINARY_DIR}/lib/tsmem/tsmem-pass.so
    DESTINATION ${TSMEM_INSTALL_LIBDIR}/tsmem)
endif()

# `cmake --build build --target uninstall`: removes what install_manifest.txt
# lists (the last `cmake --install` of this build tree).
if(NOT TARGET uninstall) # a project embedding tsmem may have its own
add_custom_target(uninstall
  COMMAND ${CMAKE_COMMAND} -DMANIFEST=${PROJECT_BINARY_DIR}/install_manifest.txt
          -P ${PROJECT_SOURCE_DIR}/cmake/uninstall.cmake
  COMMENT "Removing the files of the last install of this build")
endif()

# tsmem in your build (README): the clang-tidy module and tsmem-check.
if(TSMEM_BUILD_PLUGIN AND TARGET tsmem_tidy)
  install(TARGETS tsmem_tidy LIBRARY DESTINATION ${TSMEM_INSTALL_LIBDIR}/tsmem)
endif()
install(PROGRAMS tools/tsmem-check tools/tsmem-distcc DESTINATION ${CMAKE_INSTALL_BINDIR})
# <tsmem/dist.h> (issue 13): P/include/tsmem/dist.h, beside tsmem.h's others.
install(FILES include/tsmem/dist.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tsmem)
# <tsmem/data.h> (issue 12): IDX data sets, shuffling, batching.
install(FILES include/tsmem/data.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tsmem)
# <tsmem/nn.h> (issue 12): parameter store, layers, optimizers.
install(FILES include/tsmem/nn.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tsmem)
# <tsmem/checkpoint.h> (issue 12): torch.save and safetensors checkpoints.
install(FILES include/tsmem/checkpoint.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tsmem)
