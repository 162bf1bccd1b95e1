import { defineConfig } from 'vitest/config';

// Component tests: each screen of the mock build (`npm run build:mock`) in headless Chromium,
// driven by playwright-core, the Tauri IPC mocked by src/mock/install.ts.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // One Chromium at a time: the machine has two cores.
    fileParallelism: false,
  },
});
