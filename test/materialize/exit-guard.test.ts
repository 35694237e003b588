import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, test } from "vitest";

// The last-resort path: a process that dies of an uncaught error (or calls process.exit)
// while its secret directory exists still removes it. Runs the built modules in a child.
const dist = resolve(import.meta.dirname, "../../dist");
const root = mkdtempSync(join(tmpdir(), "sbtest-materialize-exit-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const script = (ending: string): string => `
  const { materializeSecrets } = await import(${JSON.stringify(`${dist}/materialize/secret-dir.js`)});
  const { SecretValue } = await import(${JSON.stringify(`${dist}/secrets/secret-value.js`)});
  const dir = materializeSecrets(${JSON.stringify(root)}, [{ id: "x", kind: "env", value: SecretValue.copyOf(Buffer.from("sbtest-exit-guard-value")) }]);
  process.stdout.write(dir.path);
  ${ending}
`;

describe.runIf(existsSync(join(dist, "materialize/secret-dir.js")))("exit guard", () => {
  test.each([
    ["an uncaught error", "throw new Error('boom');"],
    ["process.exit", "process.exit(3);"],
  ])("%s removes the directory", (_name, ending) => {
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script(ending)], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/safebuild-\d+-/);
    expect(existsSync(r.stdout)).toBe(false);
    expect(readdirSync(root)).toEqual([]);
  });
});
