// RUN: python3 %S/../../corpus/compare.py --tools tsmem --tsmem-flags "%tsmem" --min-precision 0.97 --min-recall 0.95 -v
// The tsmem side of tests/corpus: precision and recall must not regress.
// The full comparison with GCC's and Clang's analyzers, with compile times,
// is in tests/corpus/README.md.
