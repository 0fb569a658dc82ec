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
#include <link.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// The libclang-cpp.so.N already in the process, which names the clang that
// loaded us; "" when clang links its libraries statically.
std::string loadedClangLibrary() {
  std::string Found;
  dl_iterate_phdr(
      [](dl_phdr_info *Info, size_t, void *Out) {
        const char *Name = Info->dlpi_name;
        if (Name && std::strstr(Name, "libclang-cpp.so")) {
          *static_cast<std::string *>(Out) = Name;
          return 1;
        }
        return 0;
      },
      &Found);
  return Found;
}

// What to tell a user whose clang cannot load the Clang half.
void reportLoadFailure(const std::string &Path, const char *Why) {
  std::string Clang = loadedClangLibrary();
  std::string::size_type Version = Clang.rfind(".so.");
  if (Version != std::string::npos &&
      Clang.compare(Version + 4, 2, "19") != 0) {
    std::fprintf(stderr,
                 "error: tsmem plugin: this tsmem.so is built for clang 19, "
                 "but the compiler that loaded it is clang %s (%s); compile "
                 "with clang-19 (for example CC=clang-19)\n",
                 Clang.c_str() + Version + 4, Clang.c_str());
    // Going on would compile without the checks the user asked for.
    std::_Exit(1);
  }
  std::fprintf(stderr,
               "error: tsmem plugin: cannot load its Clang half %s (%s); "
               "tsmem.so needs clang 19 and tsmem-clang.so beside it: use "
               "clang-19, or reinstall tsmem\n",
               Path.c_str(), Why);
}

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
    reportLoadFailure(Path, dlerror());
}

} // namespace
