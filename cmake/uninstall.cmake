# cmake -DMANIFEST=<build>/install_manifest.txt -P uninstall.cmake
# Removes every file (and symlink) an install of this build laid down, then
# the directories it leaves empty under lib/tsmem, include/tsmem and
# lib/cmake/tsmem.
if(NOT EXISTS "${MANIFEST}")
  message(FATAL_ERROR "uninstall: ${MANIFEST} not found: nothing was installed from this "
    "build tree (run `cmake --install` first)")
endif()
file(STRINGS "${MANIFEST}" files)
set(dirs "")
foreach(file IN LISTS files)
  if(EXISTS "${file}" OR IS_SYMLINK "${file}")
    message(STATUS "Uninstalling ${file}")
    file(REMOVE "${file}")
    get_filename_component(dir "${file}" DIRECTORY)
    list(APPEND dirs "${dir}")
  else()
    message(STATUS "Already gone: ${file}")
  endif()
endforeach()
list(REMOVE_DUPLICATES dirs)
foreach(dir IN LISTS dirs)
  if(dir MATCHES "/(lib/tsmem|include/tsmem|lib/cmake/tsmem)$")
    file(GLOB left "${dir}/*")
    if(NOT left)
      file(REMOVE_RECURSE "${dir}")
    endif()
  endif()
endforeach()
