import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { repoRoot } from "../helpers/cli.js";

// `npm run lint` runs scripts/check-imports.mjs: it must fail on a cycle, between files or folders.
const dir = mkdtempSync(join(tmpdir(), "sbtest-imports-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(dir, "src-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, ".."), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}
const check = (root: string) => spawnSync(process.execPath, [join(repoRoot, "scripts/check-imports.mjs"), root], { encoding: "utf8" });

test.each([
  ["two files", { "a/x.ts": 'import { y } from "./y.js";\n', "a/y.ts": 'import type { x } from "./x.js";\n' }, /file cycle: a\/x\.ts ↔ a\/y\.ts/],
  ["two folders", { "scan/x.ts": 'import { y } from "../buildkit/y.js";\n', "buildkit/y.ts": 'import { z } from "../scan/z.js";\n', "scan/z.ts": "" }, /folder cycle: buildkit ↔ scan/],
])("a cycle between %s fails", (_name, files, message) => {
  const run = check(tree(files));
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(message);
});

test("this repository's src/ has none", () => {
  const run = check(join(repoRoot, "src"));
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
});
