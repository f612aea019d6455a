import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The browser tests need Chromium: they run once, on their own, with npm run test:e2e.
    exclude: ['tests/e2e/**', 'node_modules/**'],
    // One DynamoDB Local for the whole run; each integration file uses its own table prefix.
    globalSetup: ['tests/globalSetup.ts'],
    setupFiles: ['bin/local/localEnv.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    allowOnly: false,
  },
});
