import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { loadPeerCases, peerSuitesRun, type PeerPlace as Place } from "../helpers/peer-cases.js";
import { assertBuilt, peerImages, runCli } from "./scan-cli-run.js";

interface JsonFinding {
  readonly secret: string | null;
  readonly where: string;
  readonly layer: { readonly index: number } | null;
  readonly path: string;
  readonly deleted: boolean;
  readonly image?: { readonly index?: number; readonly platform?: string };
}

const runs = peerSuitesRun("scan-peer (CLI)");
const cases = runs ? loadPeerCases() : [];
const images = cases.filter((c) => c.expect === undefined);
const broken = cases.filter((c) => c.expect !== undefined);

beforeAll(assertBuilt);

test.skipIf(!runs)("the peer image set is present", () => {
  expect(cases.length).toBeGreaterThan(10);
});

/** One run per file with every needle as its own secret (`n0`, `n1`, … from env vars). */
function secretArgs(values: readonly string[]): { args: string[]; env: NodeJS.ProcessEnv } {
  const args: string[] = [];
  const env: NodeJS.ProcessEnv = {};
  values.forEach((value, i) => {
    args.push("--secret", `n${i}=env:SB_PEER_${i}`);
    env[`SB_PEER_${i}`] = value;
  });
  return { args, env };
}

const matches = (f: JsonFinding, id: string, p: Place, multiImage: boolean): boolean =>
  f.secret === id &&
  f.where === p.where &&
  f.path === p.path &&
  (p.layerIndex === null ? f.layer === null : f.layer?.index === p.layerIndex) &&
  (p.deleted === undefined || f.deleted === p.deleted) &&
  // Occurrence lists name image 0 even in single-image files, where findings carry no image.
  (!multiImage || p.image === undefined || f.image?.index === p.image);

describe.each(images)("peer image $file", (c) => {
  const target = path.join(peerImages, c.file);
  // A multi-platform index: every platform, so every needle is reachable.
  const platform = c.multiImage === true ? ["--platform", "all"] : [];

  test("every needle is found where an independent reader found it", async () => {
    const needles = c.needles ?? [];
    const { args, env } = secretArgs(needles.map((n) => n.value));
    // File contents are never printed, so those needles join the suite's output audit; history
    // needles are image metadata that other runs print legitimately.
    const audited = needles.filter((n) => n.where === "file").map((n) => n.value);
    const run = await runCli(["scan", target, ...args, ...platform, "--format", "json"], { env, secrets: audited });
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(1);
    const findings = (JSON.parse(run.stdout) as { findings: JsonFinding[] }).findings;
    needles.forEach((needle, i) => {
      for (const place of needle.occurrences ?? [needle]) {
        const found = findings.some((f) => matches(f, `n${i}`, place, c.multiImage === true));
        expect(found, `n${i} at ${JSON.stringify(place)}`).toBe(true);
      }
    });
    for (const needle of needles) expect(run.stdout + run.stderr).not.toContain(needle.value);
  });

  test("clean values are not found", async () => {
    const { args, env } = secretArgs(c.clean ?? []);
    const run = await runCli(["scan", target, ...args, ...platform, "--format", "json"], { env, secrets: c.clean ?? [] });
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { findings: unknown[] }).findings).toEqual([]);
  });
});

describe.each(broken)("not an image: $file", (c) => {
  test("exit 2, one line, no stack", async () => {
    const { args, env } = secretArgs(["safebuild-peer-never-there-1234"]);
    const run = await runCli(["scan", path.join(peerImages, c.file), ...args], { env });
    expect(run.code).toBe(c.expect?.exitCode);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });
});
