# node/setup (CMakeLists.txt): copy the package from SRC to DST and install
# its dependencies there with `npm ci`, unless package-lock.json is the one
# already installed. Install scripts are not run: koffi's native code comes
# prebuilt in its platform package (@koromix/koffi-<os>-<arch>).
file(MAKE_DIRECTORY ${DST})
foreach(old src test)
  file(REMOVE_RECURSE ${DST}/${old})
endforeach()
file(COPY ${SRC}/src ${SRC}/test DESTINATION ${DST})
file(COPY ${SRC}/package.json ${SRC}/package-lock.json ${SRC}/index.d.ts
  ${SRC}/tsconfig.json ${SRC}/tsconfig.tests.json DESTINATION ${DST})

file(SHA256 ${SRC}/package-lock.json want)
set(stamp ${DST}/node_modules/.tsmem-lock-sha256)
if(EXISTS ${stamp})
  file(READ ${stamp} have)
  if(have STREQUAL want)
    message(STATUS "node_modules is up to date with package-lock.json")
    return()
  endif()
endif()
execute_process(COMMAND ${NPM} ci --ignore-scripts --no-audit --no-fund
  WORKING_DIRECTORY ${DST} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm ci failed in ${DST} (exit ${rc}); it needs the npm registry or a filled npm cache")
endif()
file(WRITE ${stamp} ${want})
