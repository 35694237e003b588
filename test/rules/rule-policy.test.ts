import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { applyPolicy, failsUnder } from "../../src/config/apply-policy.js";
import { confineConfig } from "../../src/config/confine-config.js";
import { parseGrants } from "../../src/config/entitlements.js";
import { defaultScanPolicy } from "../../src/config/loaded-config.js";
import { parseConfig } from "../../src/config/parse-config.js";
import { loadRules } from "../../src/rules/load-rules.js";
import type { Finding } from "../../src/scan/findings/finding.js";

const root = realpathSync(mkdtempSync(join(tmpdir(), "sbtest-rule-policy-")));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const repo = join(root, "repo");
mkdirSync(join(repo, "app"), { recursive: true });
writeFileSync(join(root, "outside.toml"), "");
writeFileSync(join(repo, "app/rules.toml"), `[[rules]]\nid = "team"\nregex = '''tm_([a-z]{20})'''\nkeywords = ["tm_"]\n[rules.allowlist]\nregexes = ['''^a+$''']\n`);

const base: Finding = { secret: null, rule: "jwt", where: "file", layer: null, path: "app/x", encoding: "raw", deleted: false, severity: "medium", fingerprint: "jwt:0123456789abcdef" };
const known: Finding = { ...base, secret: "npmrc", rule: null, severity: undefined as never, fingerprint: undefined as never };

describe("failOn with severities", () => {
  test.each([
    ["any", base, true],
    ["none", base, false],
    ["medium", base, true],
    ["high", base, false],
    ["critical", known, true],
    [["file"], base, true],
    [["env"], base, false],
    [["file", "high"], base, false],
    [["file", "medium"], base, true],
    [["critical"], known, true],
  ] as const)("failOn %j", (failOn, finding, fails) => {
    expect(failsUnder(failOn as never, finding)).toBe(fails);
  });

  test("an ignore entry naming a fingerprint takes that finding only", () => {
    const other = { ...base, fingerprint: "jwt:fedcba9876543210" };
    const outcome = applyPolicy([base, other], { ...defaultScanPolicy, ignore: [{ secret: undefined, rule: undefined, path: undefined, where: undefined, fingerprint: "jwt:0123456789abcdef", reason: "r", line: 1 }] });
    expect(outcome.ignored.map((f) => f.fingerprint)).toEqual(["jwt:0123456789abcdef"]);
    expect(outcome.fails).toBe(true);
  });
});

describe("rules from a repository's own config", () => {
  const confine = (yaml: string, allow: string[] = []) =>
    confineConfig(parseConfig(yaml, join(repo, "app/safebuild.yml"), "app/safebuild.yml"), {
      trust: { kind: "repository", root: repo },
      grants: parseGrants(allow),
      cwd: repo,
      home: root,
      overridden: new Set(),
      usesBuildContext: false,
      usesBuildFile: false,
    }).config;
  const yaml = ["scan:", "  rules:", "    - id: mine", "      regex: 'mk_([a-z]{20})'", "      keywords: [mk_]", "      allow: ['.*']", "    - id: private-key", "      regex: 'never(x)'", "      keywords: [never]", "  rulesFile: rules.toml", ""].join("\n");
  const load = (config: ReturnType<typeof confine>) =>
    loadRules({ enabled: true, files: config.rules.file ? [{ path: config.rules.file, display: "rules.toml" }] : [], config: config.rules.specs, configDisplay: config.display, mayLoosen: config.rules.mayLoosen });

  test("run, with their allow lists dropped and no built-in replaced, one note each", () => {
    const loaded = load(confine(yaml));
    const ids = loaded.rules.map((r) => r.id);
    expect(ids).toContain("mine");
    expect(ids).toContain("team");
    // the built-in private-key rule is still the built-in one
    expect(loaded.rules.find((r) => r.id === "private-key")?.from).toBe("built-in rules");
    expect(loaded.notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/rule mine: its allow lists are not applied/),
        expect.stringMatching(/rule team: its allow lists are not applied/),
        expect.stringMatching(/rule private-key not applied: a config inside the repository being built cannot replace a built-in rule/),
      ]),
    );
  });

  test("with --allow policy, as written", () => {
    const loaded = load(confine(yaml, ["policy"]));
    expect(loaded.rules.find((r) => r.id === "private-key")?.from).toBe("app/safebuild.yml");
    expect(loaded.notes).toEqual([]);
  });

  test("a rulesFile outside its folder is exit 2, like any file it names", () => {
    expect(() => confine("scan:\n  rulesFile: ../../outside.toml\n")).toThrow(/scan.rulesFile reads .*outside.toml.*--allow fs.read=/);
  });
});
