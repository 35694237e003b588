import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { capYoungGeneration, GROWTH_FLAG } from "../../src/process/young-generation.js";

describe("capYoungGeneration", () => {
  test("sets the growth flag unless the user chose a young generation size of their own", () => {
    const set: string[] = [];
    const record = (flags: string): void => void set.push(flags);
    expect(capYoungGeneration({}, [], record)).toBe(true);
    expect(capYoungGeneration({ NODE_OPTIONS: "--max-old-space-size=512" }, ["--enable-source-maps"], record)).toBe(true);
    expect(set).toEqual([GROWTH_FLAG, GROWTH_FLAG]);

    set.length = 0;
    expect(capYoungGeneration({}, ["--max-semi-space-size=8"], record)).toBe(false);
    expect(capYoungGeneration({}, ["--max_semi_space_size", "8"], record)).toBe(false);
    expect(capYoungGeneration({ NODE_OPTIONS: "--trace-gc  --semi-space-growth-factor=3" }, [], record)).toBe(false);
    // a V8 nobody checked may not know the flag (it would print an error on every run)
    expect(capYoungGeneration({}, [], record, "15.1.20-node.3")).toBe(false);
    expect(capYoungGeneration({}, [], record, "10.2.154")).toBe(false);
    expect(set).toEqual([]);
    expect(capYoungGeneration({}, [], record, "14.6.202.34-node.40")).toBe(true);
  });
});

// The flag's effect on the node that runs the tests: objects that survive scavenges, as a scan's
// buffers and path index do, grow the young generation unless the flag holds it at its first size.
describe("the young generation of a process that set the flag", () => {
  const churn = (cap: boolean, worker: "none" | "kept" | "plain" = "none"): number => {
    const module = join(import.meta.dirname, "../../dist/process/young-generation.js");
    const script = `
      const { capYoungGeneration, keepYoungGenerationCapped } = await import(${JSON.stringify(module)});
      const { Worker } = await import("node:worker_threads");
      if (${cap}) capYoungGeneration({}, []);
      if (${JSON.stringify(worker)} !== "none") {
        const started = new Worker("setTimeout(() => {}, 20)", { eval: true });
        if (${JSON.stringify(worker)} === "kept") keepYoungGenerationCapped(started);
        await new Promise((resolve) => started.on("exit", resolve));
      }
      const v8 = await import("node:v8");
      const kept = [];
      for (let i = 0; i < 3e6; i++) {
        const o = { i, s: "x" + i, a: new Array(8) };
        if (i % 50 === 0) kept.push(o);
        if (kept.length > 20000) kept.splice(0, 10000);
      }
      process.stdout.write(String(v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size));`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", env: { PATH: process.env["PATH"] } });
    expect(run.stderr).toBe("");
    return Number(run.stdout);
  };

  test("stays at its initial 2 MiB with the flag, and grows past it without", () => {
    expect(churn(true)).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(churn(false)).toBeGreaterThan(4 * 1024 * 1024);
  });

  test("a worker thread's start would undo it: its starter sets it again", () => {
    expect(churn(true, "kept")).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(churn(true, "plain")).toBeGreaterThan(4 * 1024 * 1024);
  });
});
