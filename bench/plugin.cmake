# The plugin's benchmarks, included at the end of bench/CMakeLists.txt:
#   tsmem_bench_scope_plugin  TS_SCOPE against hand-written ts_scope_begin/end
#                             (scope_plugin.c, built with the plugin)
#   bench-plugin              runs it, then compile/compile-time.py: compile
#                             time with the plugin against without
# Both need clang 19 as CMAKE_C_COMPILER, since the plugin loads into it.
if(NOT TARGET tsmem_plugin OR NOT CMAKE_C_COMPILER_ID STREQUAL "Clang" OR
   NOT CMAKE_C_COMPILER_VERSION VERSION_GREATER_EQUAL 19 OR
   CMAKE_C_COMPILER_VERSION VERSION_GREATER_EQUAL 20)
  return()
endif()

add_executable(tsmem_bench_scope_plugin EXCLUDE_FROM_ALL scope_plugin.c)
target_compile_options(tsmem_bench_scope_plugin PRIVATE -O2
  -fplugin=$<TARGET_FILE:tsmem_plugin>)
target_link_libraries(tsmem_bench_scope_plugin PRIVATE tsmem_static)
set_target_properties(tsmem_bench_scope_plugin PROPERTIES LINKER_LANGUAGE CXX)
# Rebuild when the plugin changes.
add_dependencies(tsmem_bench_scope_plugin tsmem_plugin)
set_source_files_properties(scope_plugin.c PROPERTIES OBJECT_DEPENDS
  ${PROJECT_BINARY_DIR}/lib/tsmem/tsmem.so)

add_custom_target(bench-plugin
  COMMAND tsmem_bench_scope_plugin
  COMMAND ${TSMEM_BENCH_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/compile/compile-time.py
          --clang ${CMAKE_C_COMPILER} --plugin $<TARGET_FILE:tsmem_plugin>
          --include ${PROJECT_SOURCE_DIR}/include
          --work ${CMAKE_CURRENT_BINARY_DIR}/compile-time
  DEPENDS tsmem_bench_scope_plugin tsmem_plugin
  WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}
  USES_TERMINAL
  COMMENT "tsmem plugin benchmarks (see bench/README.md, \"The plugin\")")
add_dependencies(bench bench-plugin)
