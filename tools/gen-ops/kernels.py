"""kernels.py - the C++ function each generated body calls (gen_ops.py).

ATen's dispatcher entry for every op, except the ones tsmem runs through
kernels of its own (runtime/torch/gemm.hpp).
"""

# The functional matrix products whose float32 CPU cases runtime/torch/gemm.cpp
# runs through oneDNN's sgemm (gemm.hpp: the same arguments as the ATen call,
# which it makes for every other case).
GEMM_KERNELS = {"addmm": "tsk::addmm", "mm": "tsk::mm", "matmul": "tsk::matmul",
                "linear": "tsk::linear"}


def call_expr(opname, args):
    """The C++ call an op's body makes: ATen's, or gemm.hpp's for GEMM_KERNELS."""
    return "%s(%s)" % (GEMM_KERNELS.get(opname, "at::_ops::%s::call" % opname), args)
