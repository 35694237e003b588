import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { dockerArchive, tarOf } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";
import { MAX_RULE_MATCHES, RULE_WINDOW_BUDGET } from "../../src/scan/findings/needles.js";

// Hand-made images that really reach the rules' limits (no test-only setting exists for them):
// past 10,000 URL passwords, and a few MiB where every rule's keyword is on every line.
const work = mkdtempSync(join(tmpdir(), "sbtest-rule-limits-cli-"));
const known = "sbtest-rulelimits-cli-Vb3nQ8zR1tY6";
// i in letters: a run of ascending digits (`…01234`) would read as a placeholder
const letters = (i: number): string => (i < 26 ? "" : letters(Math.floor(i / 26))) + String.fromCharCode(97 + (i % 26));
const password = (i: number): string => `kLmNoPqRwXyZ${letters(i).padStart(4, "a")}`;
const urls = (n: number): string => Array.from({ length: n }, (_, i) => `https://deploy:${password(i)}@git.acme-corp.io/r.git\n`).join("");
// a keyword of each built-in rule on every line: every rule's windows cover the whole file
const dense = "PRIVATE KEY PuTTY-User-Key-File- eyJhbGci private_key_id aws_secret_access_key pypi-AgEIcHlwaS5vcmc ghp_ github_pat_ glpat- _authToken dckr_pat_ xox hooks.slack.com/services/ sk_live_ AIza ://\n";
const planted = [password(0), password(MAX_RULE_MATCHES), known];
const secretFile = join(work, "known");
const capImage = join(work, "cap.tar");
const budgetImage = join(work, "budget.tar");

interface Report {
  findings: { secret: string | null; rule: string | null; path: string; layer: { index: number } | null }[];
  notSearched: { path: string; scope?: string; reason: string; layer: { index: number } | null }[];
}

beforeAll(async () => {
  writeFileSync(secretFile, known);
  const later = await tarOf([{ name: "app/.env", data: Buffer.from(`TOKEN=${known}\n`) }]);
  writeFileSync(capImage, await dockerArchive([await tarOf([{ name: "srv/remotes.txt", data: Buffer.from(urls(MAX_RULE_MATCHES + 5)) }]), later]));
  // the built-in rules examine up to 10 times the bytes of such a file but windows are cut at chunk ends: 6.7 times in a layer (measured), so 13 MiB is well past the budget
  const lines = Math.ceil((RULE_WINDOW_BUDGET / 5) / dense.length);
  writeFileSync(budgetImage, await dockerArchive([await tarOf([{ name: "srv/keywords.txt", data: Buffer.from(dense.repeat(lines)) }]), later]));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const policy = (body: string): string => {
  const file = join(work, `policy-${body.length}.yml`);
  writeFileSync(file, `scan:\n${body}`);
  return file;
};

describe("the pattern rules' limits, through the CLI", () => {
  test(`past ${MAX_RULE_MATCHES} matches: not searched by the rules from there (exit 2 unless the policy accepts it), the known value in a later layer still found`, async () => {
    const cli = await runCli(["scan", `docker-archive:${capImage}`, "--secret", `known=${secretFile}`, "--format", "json"], { cwd: work, secrets: planted });
    const report = JSON.parse(cli.stdout.toString()) as Report;
    expect(report.findings.filter((f) => f.rule === "url-password")).toHaveLength(MAX_RULE_MATCHES);
    expect(report.findings.filter((f) => f.secret === "known").map((f) => [f.path, f.layer?.index])).toEqual([["app/.env", 1]]);
    expect(report.notSearched).toEqual([
      {
        path: "srv/remotes.txt",
        layer: expect.objectContaining({ index: 0 }),
        scope: "pattern rules",
        reason: `pattern rules stopped here: more than ${MAX_RULE_MATCHES} matches (limit per scan); the rest of this file and everything read after it were searched for known values only`,
      },
    ]);
    expect(cli.code).toBe(1);

    // findings that do not fail the run (url-password is high): the stop alone is exit 2, the verdict says why
    const failOnCritical = await runCli(["scan", `docker-archive:${capImage}`, "--allow", "policy", "--config", policy("  failOn: critical\n")], { cwd: work, secrets: planted });
    expect(failOnCritical.code).toBe(2);
    expect(failOnCritical.stderr.toString()).toContain("RULES STOPPED srv/remotes.txt: pattern rules stopped here: more than 10000 matches");
    const accepted = await runCli(["scan", `docker-archive:${capImage}`, "--allow", "policy", "--config", policy("  failOn: critical\n  notSearched: warn\n")], { cwd: work, secrets: planted });
    expect(accepted.code).toBe(0);
  });

  test(`past ${RULE_WINDOW_BUDGET / 1024 / 1024} MiB of text near keywords: the same, named with that limit; SARIF and text say it too`, async () => {
    const cli = await runCli(["scan", `docker-archive:${budgetImage}`, "--secret", `known=${secretFile}`, "--format", "json"], { cwd: work, secrets: planted });
    const report = JSON.parse(cli.stdout.toString()) as Report;
    expect(report.findings.map((f) => [f.secret, f.path, f.layer?.index])).toEqual([["known", "app/.env", 1]]);
    expect(report.notSearched).toEqual([
      {
        path: "srv/keywords.txt",
        layer: expect.objectContaining({ index: 0 }),
        scope: "pattern rules",
        reason: expect.stringMatching(
          new RegExp(
            `^pattern rules stopped here: more than \\d+ MiB of text near keywords \\(limit per scan: ${RULE_WINDOW_BUDGET / 1024 / 1024} MiB and 1/16 of the bytes read; a keyword occurs too often\\); the rest of this file and everything read after it were searched for known values only$`,
          ),
        ) as unknown,
      },
    ]);
    expect(cli.code).toBe(1);

    // rules alone, nothing found: exit 2; the verdict (stderr, every format) and SARIF say why
    const sarif = await runCli(["scan", `docker-archive:${budgetImage}`, "--format", "sarif"], { cwd: work, secrets: planted });
    expect(sarif.code).toBe(2);
    expect(sarif.stderr.toString()).toMatch(/INCOMPLETE: no secret found in what was read, but the pattern rules stopped at a limit/);
    expect(sarif.stdout.toString()).toContain("Not searched by pattern rules: srv/keywords.txt in layer 0");
  });
});
