import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/**/*.itg.test.ts"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "itg",
          include: ["test/**/*.itg.test.ts"],
          // One engine, one worker: builds and saves must not race each other.
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
