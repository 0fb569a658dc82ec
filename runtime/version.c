/* ts_version: the library's own version, fixed when it was built. */
#include "tsmem.h"

#include <tsmem/version.h>

const char *ts_version(void) { return TSMEM_VERSION_STRING; }
