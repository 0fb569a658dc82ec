# tsmem_enable_plugin() for targets built in the same build as tsmem
# (tsmem's own, or a project that embeds it with add_subdirectory or
# FetchContent). Installed packages get the same function from
# tsmemConfig.cmake.
# Cache variables, so that the embedding project's directories see them.
if(TSMEM_BUILD_PLUGIN)
  set(tsmem_PLUGIN ${PROJECT_BINARY_DIR}/lib/tsmem/tsmem.so CACHE INTERNAL "")
  set(tsmem_PLUGIN_TARGETS tsmem_plugin tsmem_clang CACHE INTERNAL "")
else()
  set(tsmem_PLUGIN "" CACHE INTERNAL "")
  set(tsmem_PLUGIN_TARGETS "" CACHE INTERNAL "")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/tsmemEnablePlugin.cmake)
