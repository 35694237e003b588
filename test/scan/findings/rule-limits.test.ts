import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { scanImage } from "../../../src/scan/scan-image.js";
import { buildNeedles, type NeedleTable } from "../../../src/scan/findings/needles.js";
import { RULES_STOPPED_TAG, RuleLimits } from "../../../src/scan/findings/rule-limits.js";
import { applyPolicy, scanExitCode } from "../../../src/config/apply-policy.js";
import { verdictLine } from "../../../src/report/verdict.js";
import { dockerArchive, tarOf } from "../../helpers/archives.js";
import { builtins } from "../../rules/find.js";
import { secret } from "../helpers.js";

// fixed values: a random token could share bytes with the known value or the keywords
const known = "sbtest-rulelimits-Kq7vN2xW9pL4";
const url = (i: number): string => `https://deploy:kLmNoPqRwXyZ${String(i).padStart(4, "0")}@git.acme-corp.io/repo.git\n`;
const urls = (from: number, n: number): string => Array.from({ length: n }, (_, i) => url(from + i)).join("");

const work = mkdtempSync(join(tmpdir(), "sbtest-rule-limits-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Tags a whole-buffer search reports: rule matches as their rule id, the stop mark as "STOP", known values as "known". */
function tagsOf(needles: NeedleTable, hay: string): string[] {
  const out: string[] = [];
  needles.matcher.scan(Buffer.from(hay), (tag) => out.push(tag === RULES_STOPPED_TAG ? "STOP" : (needles.ruleMatch(tag)?.rule.id ?? "known")));
  return out;
}

describe("RuleLimits", () => {
  test("the window budget: exactly the budget is examined; a window past what is left stops the rules for good", () => {
    const limits = new RuleLimits(100, 5);
    expect([limits.take(60), limits.take(40), limits.stopped]).toEqual([true, true, null]);
    expect(limits.take(1)).toBe(false);
    expect(limits.stopped).toBe("more than 100 bytes of text near keywords (limit per scan: 100 bytes; a keyword occurs too often)");
    expect(limits.take(0)).toBe(false);
    const mib = new RuleLimits(2 * 1024 * 1024, 5);
    expect([mib.take(2 * 1024 * 1024 - 10), mib.take(11), mib.take(5)]).toEqual([true, false, false]);
    expect(mib.stopped).toMatch(/^more than 2 MiB of text/);
  });

  test("the window budget grows by a sixteenth of the image's bytes read, and says so when it stops", () => {
    const limits = new RuleLimits(1024 * 1024, 5);
    expect(limits.take(1024 * 1024)).toBe(true);
    limits.read(32 * 1024 * 1024);
    expect(limits.windowBytesLeft).toBe(2 * 1024 * 1024);
    expect(limits.take(2 * 1024 * 1024)).toBe(true);
    expect(limits.take(1)).toBe(false);
    expect(limits.stopped).toBe("more than 3 MiB of text near keywords (limit per scan: 1 MiB and 1/16 of the bytes read; a keyword occurs too often)");
    limits.read(1024 * 1024);
    expect(limits.windowBytesLeft).toBe(0);
  });

  test("the match cap: the cap'th match counts, the next stops the rules and its window budget too", () => {
    const limits = new RuleLimits(1000, 2);
    expect([limits.admit(), limits.admit(), limits.stopped]).toEqual([true, true, null]);
    expect([limits.admit(), limits.stopped]).toEqual([false, "more than 2 matches (limit per scan)"]);
    expect(limits.take(1)).toBe(false);
  });

  test("the stop is marked once, and never when nothing stopped", () => {
    const limits = new RuleLimits(10, 1);
    expect(limits.takeMark()).toBe(false);
    limits.take(11);
    expect([limits.takeMark(), limits.takeMark()]).toEqual([true, false]);
  });
});

describe("the rules stop where a limit is reached; known values are still searched", () => {
  test("a whole buffer: matches up to the cap, the mark once, then known values only", () => {
    const needles = buildNeedles([secret("known", known)], builtins, new RuleLimits(1 << 20, 2));
    expect(tagsOf(needles, urls(0, 2))).toEqual(["url-password", "url-password"]);
    expect(needles.rulesStopped()).toBeNull();
    expect(tagsOf(needles, urls(2, 3))).toEqual(["STOP"]);
    expect(needles.rulesStopped()).toBe("more than 2 matches (limit per scan)");
    expect(tagsOf(needles, `${urls(5, 2)}TOKEN=${known}\n`)).toEqual(["known"]);
  });

  test("a stream: the mark comes in the push that reached the limit, and the known value after it is found", () => {
    const needles = buildNeedles([secret("known", known)], builtins, new RuleLimits(4096, 1000));
    const search = needles.streamSearch();
    const got: string[] = [];
    const onMatch = (tag: number): void => void got.push(tag === RULES_STOPPED_TAG ? "STOP" : (needles.ruleMatch(tag)?.rule.id ?? "known"));
    search.push(Buffer.from(urls(0, 1)), onMatch);
    search.push(Buffer.from("x".repeat(8192)), onMatch);
    expect(got).toEqual(["url-password"]);
    // 40 URLs close together: one merged window over 4 KiB with what was already taken
    search.push(Buffer.from(urls(1, 80)), onMatch);
    search.push(Buffer.from("y".repeat(8192)), onMatch);
    search.push(Buffer.from(`${urls(100, 3)}TOKEN=${known}\n`), onMatch);
    search.end(onMatch);
    expect(got.filter((t) => t === "STOP")).toHaveLength(1);
    expect(got.at(-1)).toBe("known");
    expect(needles.rulesStopped()).toMatch(/^more than 4096 bytes of text near keywords/);
  });

  test("url-password opens no window for a link without user:password@ (a package registry's metadata: a link every line, an e-mail beside it)", () => {
    const packument = Array.from({ length: 400 }, (_, i) => `{"name":"pkg-${i}","homepage":"https://github.com/acme/pkg-${i}#readme","maintainers":[{"email":"dev${i}@acme.example"}],"tarball":"https://registry.npmjs.org/pkg-${i}/-/pkg-${i}-1.0.${i}.tgz"}\n`).join("");
    const needles = buildNeedles([secret("known", known)], builtins, new RuleLimits(8192, 1000));
    const got = tagsOf(needles, `${packument}REDIS_URL=redis://:kLmNoPqRwXyZ0042@cache:6379\n${packument}`);
    expect(needles.rulesStopped()).toBeNull();
    expect(got).toEqual(["url-password"]);
  });

  test("without rules nothing stops", () => {
    expect(buildNeedles([secret("known", known)], [], new RuleLimits(0, 0)).rulesStopped()).toBeNull();
  });
});

describe("a scan the rules' limits stopped", () => {
  async function scanOf(layers: Buffer[], limits: RuleLimits) {
    const file = join(work, `image-${Math.floor(performance.now() * 1000)}.tar`);
    writeFileSync(file, await dockerArchive(layers));
    const needles = buildNeedles([secret("known", known)], builtins, limits);
    return scanImage({ ref: `docker-archive:${file}`, secrets: [secret("known", known)], rules: builtins, needles, env: {}, cwd: work });
  }

  test("reports where the rules stopped as not searched by them, exits 2, and still finds the known value in a later layer", async () => {
    const result = await scanOf([await tarOf([{ name: "etc/clean", data: Buffer.from("nothing here\n") }, { name: "srv/remotes.txt", data: Buffer.from(urls(0, 5)) }]), await tarOf([{ name: "app/.env", data: Buffer.from(`TOKEN=${known}\n${urls(10, 2)}`) }])], new RuleLimits(1 << 20, 3));
    expect(result.findings.filter((f) => f.rule === "url-password").map((f) => [f.path, f.layer?.index])).toEqual([
      ["srv/remotes.txt", 0],
      ["srv/remotes.txt", 0],
      ["srv/remotes.txt", 0],
    ]);
    expect(result.findings.filter((f) => f.secret === "known").map((f) => [f.path, f.layer?.index])).toEqual([["app/.env", 1]]);
    expect(result.notSearched).toEqual([
      {
        path: "srv/remotes.txt",
        layer: expect.objectContaining({ index: 0 }),
        scope: "pattern rules",
        reason: "pattern rules stopped here: more than 3 matches (limit per scan); the rest of this file and everything read after it were searched for known values only",
      },
    ]);
    // no finding failing the run: exit 2 unless the policy accepts it
    const none = applyPolicy([]);
    expect(scanExitCode(none, result.notSearched.length)).toBe(2);
    expect(scanExitCode(none, result.notSearched.length, { failOn: "any", ignore: [], notSearched: "warn" })).toBe(0);
    expect(verdictLine({ secrets: [], rules: builtins.length, toolVersion: "0", result: { ...result, findings: [] } })).toBe(
      "INCOMPLETE: no secret found in what was read, but the pattern rules stopped at a limit (see the report's notSearched)",
    );
  });

  test("a window budget stop inside a gzip file names the file", async () => {
    const { gzipSync } = await import("node:zlib");
    const result = await scanOf([await tarOf([{ name: "var/log/remotes.gz", data: gzipSync(Buffer.from(urls(0, 200))) }])], new RuleLimits(2048, 1000));
    expect(result.notSearched).toEqual([expect.objectContaining({ path: "var/log/remotes.gz", scope: "pattern rules", reason: expect.stringMatching(/^pattern rules stopped here: more than \d+ bytes of text near keywords \(limit per scan: 2048 bytes and 1\/16 of the bytes read;/) })]);
  });

  test("a stop in the image config names the config's place, with no layer", async () => {
    const file = join(work, "config.tar");
    writeFileSync(file, await dockerArchive([await tarOf([{ name: "etc/clean", data: Buffer.from("nothing here\n") }])], { config: { Env: ["PATH=/bin", ...Array.from({ length: 4 }, (_, i) => `REMOTE${i}=${url(i).trim()}`)] } }));
    const result = await scanImage({ ref: `docker-archive:${file}`, secrets: [], rules: builtins, needles: buildNeedles([], builtins, new RuleLimits(1 << 20, 2)), env: {}, cwd: work });
    expect(result.notSearched).toEqual([expect.objectContaining({ layer: null, scope: "pattern rules", path: expect.stringMatching(/^Env/) })]);
  });
});
