import { defineConfig } from 'vitest/config';

/** Browser tests (`npm run test:e2e`): Debian's Chromium against the local runtime on DynamoDB Local. */
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.test.ts'],
    globalSetup: ['tests/globalSetup.ts'],
    setupFiles: ['bin/local/localEnv.ts'],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    pool: 'forks',
    allowOnly: false,
  },
});
