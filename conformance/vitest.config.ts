import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: [`${here}tests/**/*.test.ts`],
    globalSetup: [`${here}harness/global-setup.ts`],
    // Containers share one --root, cgroup parent and a 2-core machine: run files one at a time,
    // tests inside a file are sequential anyway.
    fileParallelism: false,
    // A CLI call is bounded by CONFORMANCE_CLI_TIMEOUT_MS; a test makes a handful of them.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
