# The two commands of the README: `make test` and `make demo`.
# Both install what is missing (Debian 12, apt-get as root), configure, build, run.

BUILD      ?= build
JOBS       ?= 2
CMAKE_ARGS ?=
export CC  := clang-19
export CXX := clang++-19

# Debian packages, with the command each one provides to check for it.
DEPS := clang-19:clang-19 llvm-19-dev:llvm-config-19 libclang-19-dev:/usr/lib/llvm-19/lib/cmake/clang/ClangConfig.cmake \
        llvm-19-tools:FileCheck-19 libclang-rt-19-dev:/usr/lib/llvm-19/lib/clang/19/lib/linux/libclang_rt.asan-x86_64.a \
        libtorch-dev:/usr/include/ATen/ATen.h python3-torch:/usr/lib/python3/dist-packages/torch/__init__.py python3-matplotlib:/usr/lib/python3/dist-packages/matplotlib/__init__.py \
        cmake:cmake pkg-config:pkg-config gcc:gcc g++:g++ ninja-build:ninja file:file dpkg-dev:dpkg-shlibdeps

.PHONY: all deps build test test-packaging demo bench fuzz install clean format

all: build

deps:
	@missing=""; for d in $(DEPS); do pkg=$${d%%:*}; probe=$${d#*:}; \
	  if ! command -v "$$probe" >/dev/null 2>&1 && [ ! -e "$$probe" ]; then missing="$$missing $$pkg"; fi; done; \
	if [ -n "$$missing" ]; then \
	  echo "tsmem: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The ways people build tsmem (GCC and clang-19, Make and Ninja,
# BUILD_TESTING=OFF, FetchContent), each from scratch: slow, so not in `test`.
test-packaging: deps
	sh tests/install/packaging.sh .

# Builds only what the demo needs (runtime, plugin, demo program), not the tests.
demo: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS) --target demo

bench: build
	cmake --build $(BUILD) --target bench

fuzz: build
	cmake --build $(BUILD) --target fuzz

install: build
	cmake --install $(BUILD) --prefix $(or $(PREFIX),/usr/local)

format:
	$$(command -v clang-format-19 || echo clang-format) -i $$(git ls-files '*.c' '*.h' '*.cpp')

clean:
	rm -rf $(BUILD)

# bindings/node's tests (ctest node/*) need Node.js and npm.
DEPS += nodejs:node npm:npm

.PHONY: bench-node grammar-fuzz differential
# The Node.js binding's benchmarks (bench/node; npm installs TensorFlow.js).
bench-node: build
	cmake --build $(BUILD) --target bench-node
# tsmem in your build (README): ccache, clangd/clang-tidy, the SARIF
# validator (npm), distcc; tested by tests/tools.
DEPS += ccache:ccache clangd-19:clangd-19 clang-tidy-19:clang-tidy-19 distcc:distcc
# 100,000 random TS_SCOPE/TS_SCOPED/pragma placements through the plugin
# (tests/grammar-fuzz, tests/README.md); ctest runs a short batch.
grammar-fuzz: build
	cmake --build $(BUILD) --target grammar-fuzz
# <tsmem/dist.h> (issue 13) compiles against c10d's ProcessGroupGloo.hpp,
# which includes the Gloo headers.
DEPS += libgloo-dev:/usr/include/gloo/context.h
# The long differential run of tests/differential (issue 19): 100,000 random
# scope programs, plugin at -O0 and -O2 against gcc references. ctest runs a
# short batch (differential/short). Figures: tests/README.md.
DIFF_PROGRAMS ?= 100000
differential: build
	/usr/bin/python3 tests/differential/run.py --plugin $(CURDIR)/$(BUILD)/lib/tsmem/tsmem.so \
	  --include $(CURDIR)/include --runtime $(CURDIR)/$(BUILD)/runtime \
	  --programs $(DIFF_PROGRAMS) --per-file 500 --jobs $(JOBS)

.PHONY: bench-checkpoint fashion-mnist realcode realcode-lua realistic bench-deps bench-large
# Checkpoints (issue 12): tsmem's save/load of 100 MB against torch.save/torch.load.
bench-checkpoint: build
	cmake --build $(BUILD) --target bench-checkpoint

# <tsmem/data.h> reads gzip'ed IDX files through zlib; examples/fashion_mnist
# trains on Debian's Fashion-MNIST (issue 12).
DEPS += zlib1g-dev:/usr/include/zlib.h dataset-fashion-mnist:/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
# examples/fashion_mnist.c against its PyTorch twin: 2 epochs, 3 runs each,
# one thread each (bench/README.md); about 10 minutes on an idle machine.
fashion-mnist: build
	cmake --build $(BUILD) --target fashion-mnist

# Real code nobody here wrote, with the analysis forced on (TSMEM_ANALYZE_ALL=1)
# and required silent: binutils' zlib, libiberty, bfd, opcodes (realcode) and
# Lua's C sources (realcode-lua); ctest compiles zlib only. tests/corpus/README.md.
realcode: build
	cmake --build $(BUILD) --target realcode
realcode-lua: build
	cmake --build $(BUILD) --target realcode-lua
# tests/realistic: tsmem, gcc -fanalyzer and clang --analyze side by side.
realistic: build
	cmake --build $(BUILD) --target realistic

# Benchmarks' extra prerequisites (bench/README.md, issue 18): OpenBLAS for
# the large MLP step, selected for the benchmark process only
# (LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread). Not in DEPS:
# installing the package also makes it the system's libblas.so.3 through
# update-alternatives (README, "Faster matmuls: OpenBLAS").
BENCH_DEPS := libopenblas0-pthread:/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
bench-deps:
	@$(MAKE) --no-print-directory deps DEPS="$(BENCH_DEPS)"
bench: bench-deps
# The large MLP step, with the reference BLAS and with OpenBLAS.
bench-large: build bench-deps
	cmake --build $(BUILD) --target bench-large

# Issue 18: ts_optim_step against ATen per-parameter and _foreach_ code
# (bench/README.md, "Optimizer steps with `_foreach_`").
.PHONY: bench-optim
bench-optim: build
	cmake --build $(BUILD) --target bench-optim
