// nn_support.cpp - what the training code (runtime/nn/) needs from libtorch
// that the generated operators do not give: the thread's gradient mode.
#include <c10/core/GradMode.h>

#include "tsmem.h"

#define TS_INTERNAL __attribute__((visibility("hidden")))

extern "C" {
bool tsc_grad_enabled(void) TS_INTERNAL;
void tsc_set_grad_enabled(bool on) TS_INTERNAL;

bool tsc_grad_enabled(void) { return c10::GradMode::is_enabled(); }
void tsc_set_grad_enabled(bool on) { c10::GradMode::set_enabled(on); }
}
