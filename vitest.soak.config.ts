import { defineConfig } from 'vitest/config'

// Long runs outside CI (`npm run soak:malformed`): the same global setup (a real broker to record
// from), files under test/soak only, no test timeout of its own (each soak bounds itself).
export default defineConfig({
  test: {
    include: ['test/soak/**/*.soak.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 0,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
})
