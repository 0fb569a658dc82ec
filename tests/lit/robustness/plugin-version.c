// -fplugin-arg-tsmem-version prints the plugin's version and the clang it
// was built for; the compile goes on.
// RUN: %clang -fsyntax-only %tsmem -fplugin-arg-tsmem-version %s | FileCheck %s
// CHECK: tsmem {{[0-9]+\.[0-9]+\.[0-9]+}} (Clang plugin, built for clang 19.
int x;
