import { mkdtempSync, readFileSync, rmSync, symlinkSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export interface FakeDocker {
  /** A directory holding `docker` (put it first on PATH). */
  readonly bin: string;
  readonly path: string;
  readonly logFile: string;
  calls(): { argv: string[]; env: Record<string, string>; secrets?: Record<string, string>; files?: Record<string, string> }[];
  cleanup(): void;
}

export function makeFakeDocker(): FakeDocker {
  const bin = mkdtempSync(join(tmpdir(), "sbtest-buildkit-fake-"));
  const path = join(bin, "docker");
  symlinkSync(resolve(import.meta.dirname, "fixtures/fake-docker.mjs"), path);
  const logFile = join(bin, "calls.jsonl");
  return {
    bin,
    path,
    logFile,
    calls: () =>
      existsSync(logFile)
        ? readFileSync(logFile, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as ReturnType<FakeDocker["calls"]>[number])
        : [],
    cleanup: () => rmSync(bin, { recursive: true, force: true }),
  };
}
