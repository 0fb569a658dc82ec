# lit configuration for tsmem's plugin, pass and annotated-program tests.
#
# Substitutions:
#   %clang        clang-19
#   %tsmem        -fplugin=<tsmem.so> -I<include>: compile with the plugin
#   %cflags       -I<include>: compile without it
#   %opt_tsmem    opt-19 -load-pass-plugin=<tsmem.so>
#   %libtsmem     the shared runtime, libtsmem.so
#   %link_tsmem   link flags for the shared runtime (with rpath)
#   %link_san     link flags for the ASan+UBSan runtime (static; the C driver
#                 must be told to link UBSan's C++ half, libtorch needs it)
#   FileCheck     FileCheck-19
import os
import lit.formats

config.name = "tsmem"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".c", ".ll", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tsmem_obj_root, "tests", "lit")

# The generated <tsmem/ops.h> (tools/gen-ops) is in the build tree.
inc = os.path.join(config.tsmem_src_root, "include") + " -I" + os.path.join(config.ops_dir, "include")
rt = config.runtime_dir
config.substitutions.append(("%clang", config.clang))
config.substitutions.append(("%tsmem", "-fplugin=%s -I%s" % (config.plugin, inc)))
config.substitutions.append(("%cflags", "-I%s" % inc))
config.substitutions.append(("%opt_tsmem", "%s -load-pass-plugin=%s" % (config.opt, config.plugin)))
config.substitutions.append(("%libtsmem", os.path.join(rt, "libtsmem.so")))
config.substitutions.append(("%link_tsmem", "-L%s -Wl,-rpath,%s -ltsmem" % (rt, rt)))
config.substitutions.append(("%link_san", "-fsanitize=address,undefined -fsanitize-link-c++-runtime %s/libtsmem_san.a %s -lstdc++ -lm -lpthread -ldl" % (rt, config.torch_libs)))
config.substitutions.append(("FileCheck", config.filecheck))
config.substitutions.append(("%ops_dir", config.ops_dir))
config.substitutions.append(("not ", "not "))

# ASan: report, but libtorch's own allocations at exit are not ours.
config.environment["ASAN_OPTIONS"] = "detect_leaks=1"
config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"

# %plugin_so: the plugin file alone. Feature clang-14: an older clang to load
# it into by mistake (tests/lit/robustness/wrong-clang.c).
import shutil
config.substitutions.append(("%plugin_so", config.plugin))
if shutil.which("clang-14"):
    config.available_features.add("clang-14")

# %gen_big_function SHAPES N: bench/compile/gen-big-function.py, run by the
# interpreter that runs lit (it needs nothing but Python).
import sys
config.substitutions.append(("%gen_big_function", "%s %s" % (sys.executable, os.path.join(config.tsmem_src_root, "bench", "compile", "gen-big-function.py"))))
