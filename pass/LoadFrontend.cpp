//===- LoadFrontend.cpp - Bring the Clang half of tsmem.so into clang -----===//
//
// tsmem.so must load into both clang (-fplugin) and opt (-load-pass-plugin).
// The Clang frontend plugin needs libclang-cpp's symbols, and Debian's
// libclang-cpp cannot be loaded into opt (it registers LLVM command-line
// options opt already has, and LLVM aborts). So tsmem.so carries only the
// pass, and when it finds itself inside clang it loads tsmem-clang.so, the
// frontend plugin, from its own directory.
//
//===----------------------------------------------------------------------===//
#include <dlfcn.h>

#include <cstdio>
#include <string>

namespace {

// Present exactly when libclang-cpp is in the process: clang's plugin list.
constexpr const char FrontendRegistryHead[] =
    "_ZN4llvm8RegistryIN5clang15PluginASTActionEE4HeadE";

__attribute__((constructor)) void loadFrontendWhenInClang() {
  if (!dlsym(RTLD_DEFAULT, FrontendRegistryHead))
    return;
  Dl_info Self;
  if (!dladdr(reinterpret_cast<void *>(&loadFrontendWhenInClang), &Self) ||
      !Self.dli_fname)
    return;
  std::string Path = Self.dli_fname;
  Path.erase(Path.find_last_of('/') + 1);
  Path += "tsmem-clang.so";
  if (!dlopen(Path.c_str(), RTLD_NOW | RTLD_GLOBAL))
    std::fprintf(stderr,
                 "error: tsmem plugin: cannot load its Clang half %s (%s); "
                 "reinstall tsmem so that tsmem-clang.so sits next to "
                 "tsmem.so\n",
                 Path.c_str(), dlerror());
}

} // namespace
