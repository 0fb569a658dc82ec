// Preloaded by `npm test` (node --import ./test/setup.mjs): without
// TSMEM_LIB, the tests use the repository's build tree (build/), as ctest
// does explicitly.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

if (!process.env.TSMEM_LIB) {
  const built = fileURLToPath(new URL('../../../build/runtime/libtsmem.so', import.meta.url));
  if (existsSync(built)) process.env.TSMEM_LIB = built;
}
