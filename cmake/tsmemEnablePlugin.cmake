# tsmem_enable_plugin(<target>): compile <target>'s C sources with the tsmem
# Clang plugin. Shared by the installed package (tsmemConfig.cmake) and by
# builds that embed tsmem with add_subdirectory or FetchContent
# (tsmemPlugin.cmake); both set, before including this file:
#   tsmem_PLUGIN          the plugin file (lib/tsmem/tsmem.so), "" if absent
#   tsmem_PLUGIN_TARGETS  targets that build it (empty when installed)
#
# Only the C sources get -fplugin: the plugin's checks and TS_SCOPE lowering
# are for C, and a C++ source of a mixed target keeps compiling as before
# (with g++ too). Every C source depends on the plugin file, so a new plugin
# recompiles them.

function(tsmem_enable_plugin target)
  if(NOT tsmem_PLUGIN)
    message(FATAL_ERROR "tsmem_enable_plugin(${target}): this tsmem has no Clang plugin "
      "(it was built or installed with TSMEM_BUILD_PLUGIN=OFF); rebuild tsmem with clang 19 "
      "as its C compiler")
  endif()
  if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang" OR NOT CMAKE_C_COMPILER_VERSION MATCHES "^19\\.")
    message(FATAL_ERROR "tsmem_enable_plugin(${target}): the tsmem plugin loads only into clang 19, "
      "but CMAKE_C_COMPILER is ${CMAKE_C_COMPILER_ID} ${CMAKE_C_COMPILER_VERSION}; configure "
      "with -DCMAKE_C_COMPILER=clang-19")
  endif()
  target_compile_options(${target} PRIVATE
    "$<$<COMPILE_LANGUAGE:C>:-fplugin=${tsmem_PLUGIN}>")
  if(tsmem_PLUGIN_TARGETS)
    add_dependencies(${target} ${tsmem_PLUGIN_TARGETS})
  endif()
  get_target_property(sources ${target} SOURCES)
  get_target_property(source_dir ${target} SOURCE_DIR)
  foreach(source IN LISTS sources)
    if(source MATCHES "\\.c$")
      if(NOT IS_ABSOLUTE "${source}")
        set(source "${source_dir}/${source}")
      endif()
      set_property(SOURCE "${source}" TARGET_DIRECTORY ${target} APPEND PROPERTY
        OBJECT_DEPENDS "${tsmem_PLUGIN}")
    endif()
  endforeach()
endfunction()
