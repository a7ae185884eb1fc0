import { defineConfig } from 'vitest/config';

/**
 * Tiers that talk to RabbitMQ and PostgreSQL get one broker and one database server per run
 * (see test/support/rabbit-global-setup.ts and postgres-global-setup.ts).
 */
const globalSetup = ['./test/support/rabbit-global-setup.ts', './test/support/postgres-global-setup.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Property tests run many cases; on two busy cores 5 s is not always enough.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Two cores and one shared broker: timing-sensitive suites run one file at a time.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
