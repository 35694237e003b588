import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { assertBuilt, root, runCli } from "./scan-cli-run.js";

/**
 * The scan fixtures of scripts/make-fixtures.sh, through the CLI and the report writers.
 * Expectations come from that script's Dockerfile, not from the scanner's output.
 */
const fixtures = path.join(root, "test/fixtures/images");
const formats = ["docker.tar", "docker.tar.gz", "docker25.tar", "oci", "oci.tar", "oci-gzip.tar", "oci-zstd.tar"];
const token = readFileSync(path.join(fixtures, "TOKEN"), "utf8").trim();
/** The clean image holds this prefix of the token: a near miss that must not be reported. */
const near = readFileSync(path.join(fixtures, "NEAR"), "utf8").trim();
const secrets = ["--secret", `token=${path.join(fixtures, "TOKEN")}`];

interface JsonFinding {
  readonly secret: string | null;
  readonly where: string;
  readonly layer: { readonly index: number; readonly digest: string; readonly createdBy: string | null } | null;
  readonly path: string;
  readonly encoding: string;
  readonly deleted: boolean;
  readonly container?: string;
}

beforeAll(assertBuilt);

/** What the leaky Dockerfile plants, one entry per place (`path` as a prefix where the name holds the token). */
const planted: readonly { where: string; path: string; encoding?: string; deleted?: boolean; createdBy?: string; container?: string }[] = [
  { where: "file", path: "app/secret.txt", deleted: false, createdBy: "COPY secret.txt /app/secret.txt" },
  { where: "file", path: "app/deleted.txt", deleted: true, createdBy: "COPY deleted.txt" },
  { where: "file", path: "app/b64.txt", encoding: "base64" },
  { where: "path", path: "app/name-" },
  { where: "linkname", path: "app/link" },
  { where: "file", path: "app/straddle.bin" },
  { where: "file", path: "app/notrail.txt" },
  { where: "file", path: "app/nested.gz", container: "gzip" },
  { where: "env", path: "Env[" },
  { where: "label", path: "Labels.fixture.token" },
  { where: "history", path: "history[" },
];

describe.each(formats)("leaky.%s", (format) => {
  test("exit 1; every planted copy reported with its layer; the token never printed", async () => {
    const run = await runCli(["scan", path.join(fixtures, `leaky.${format}`), ...secrets, "--format", "json"], { secrets: [token] });
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).not.toContain(token);
    const report = JSON.parse(run.stdout) as { findings: JsonFinding[]; secrets: unknown };
    expect(report.secrets).toEqual([{ id: "token", source: "file" }]);
    const { findings } = report;
    for (const p of planted) {
      const hit = findings.find((f) => f.where === p.where && f.path.startsWith(p.path));
      expect(hit, `${p.where} ${p.path}`).toBeDefined();
      if (hit === undefined) continue;
      expect(hit.secret).toBe("token");
      expect(hit.layer === null).toBe(["env", "label", "history", "config"].includes(p.where));
      if (p.encoding !== undefined) expect(hit.encoding).toBe(p.encoding);
      if (p.deleted !== undefined) expect(hit.deleted).toBe(p.deleted);
      if (p.createdBy !== undefined) expect(hit.layer?.createdBy).toContain(p.createdBy);
      if (p.container !== undefined) expect(hit.container).toBe(p.container);
    }
  });
});

describe.each(formats)("clean.%s", (format) => {
  test("exit 0, no findings: a prefix of the token in the image is not the token", async () => {
    const run = await runCli(["scan", path.join(fixtures, `clean.${format}`), ...secrets, "--format", "json"], { secrets: [token] });
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { findings: unknown[] }).findings).toEqual([]);
    expect(near.length).toBeGreaterThan(8);
    expect(token.startsWith(near)).toBe(true);
  });
});

describe("leaky.docker.tar in the other formats", () => {
  const image = path.join(fixtures, "leaky.docker.tar");

  test("text: one line per finding and its layer, the verdict, the fixes; value masked", async () => {
    const run = await runCli(["scan", image, ...secrets], { secrets: [token] });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).not.toContain(token);
    expect(run.stderr).toMatch(/^Scanned .*leaky\.docker\.tar \(sha256:[0-9a-f]{12}\): 1 secret and \d+ pattern rules checked, \d+ layers/);
    expect(run.stderr).toMatch(/LEAK token \[raw\] in file contents: app\/deleted\.txt \(deleted in a later layer, still shipped\)\n {6}layer \d+ sha256:[0-9a-f]{12} {2}COPY deleted\.txt/);
    expect(run.stderr).toContain("app/name-***");
    expect(run.stderr).toMatch(/\nLEAK: \d+ findings of token \(config Env\[1\], [^\n]*, …\)\n$/);
    expect(run.stderr).toContain("ARG/--build-arg");
  });

  test("sarif: one result per json finding, stable fingerprints across runs", async () => {
    const [a, b, json] = await Promise.all([
      runCli(["scan", image, ...secrets, "--format", "sarif"], { secrets: [token] }),
      runCli(["scan", image, ...secrets, "--format", "sarif"], { secrets: [token] }),
      runCli(["scan", image, ...secrets, "--format", "json"], { secrets: [token] }),
    ]);
    type Sarif = { runs: { results: { ruleId: string; partialFingerprints: Record<string, string> }[] }[] };
    const resultsOf = (text: string): Sarif["runs"][number]["results"] => (JSON.parse(text) as Sarif).runs[0]?.results ?? [];
    expect(a.code).toBe(1);
    expect(a.stdout).not.toContain(token);
    const findings = (JSON.parse(json.stdout) as { findings: JsonFinding[] }).findings;
    expect(resultsOf(a.stdout).map((r) => r.ruleId)).toEqual(findings.map((f) => `secret-in-${f.where}`));
    expect(resultsOf(a.stdout).map((r) => r.partialFingerprints)).toEqual(resultsOf(b.stdout).map((r) => r.partialFingerprints));
  });
});
