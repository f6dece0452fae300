import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Tests import 'rowback' and 'rowback/testing' through the package's own exports map; the
// 'rowback-source' condition points them at src/ so no build is needed.
// Without vite's 'module' condition: it points the AWS SDK at its bundler-only dist-es build (imports
// without file extensions), which Node cannot load.
const conditions = ['rowback-source', ...defaultServerConditions.filter((c) => c !== 'module')];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    // In CI a JSON report lets .ci/run print a plain "N passed, N failed" line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.rowback-tmp/vitest.json' }]]
      : ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: [
            'test/integration/**/*.test.ts',
            'test/reliability/**/*.test.ts',
            'restores/**/*.test.ts',
          ],
          globalSetup: ['test/setup/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        // Real Galera clusters and replica pairs, started by each file itself (rowback/testing):
        // no shared server, and one file at a time, since a 3-node cluster fills a small machine.
        extends: true,
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
