import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { confineConfig, type Confined } from "../../src/config/confine-config.js";
import { parseGrants } from "../../src/config/entitlements.js";
import { defaultScanPolicy } from "../../src/config/loaded-config.js";
import { parseConfig } from "../../src/config/parse-config.js";

// Real paths: macOS-style /tmp symlinks must not make "inside" look like "outside".
const root = realpathSync(mkdtempSync(join(tmpdir(), "sbtest-confine-")));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const repo = join(root, "repo");
const home = join(root, "home");
const elsewhere = join(root, "elsewhere");
for (const dir of [join(repo, "app/conf"), join(home, ".ssh"), elsewhere, join(root, "repo-sibling")]) mkdirSync(dir, { recursive: true });
writeFileSync(join(home, ".ssh/id_rsa"), "key");
writeFileSync(join(repo, "app/conf/token"), "t");
symlinkSync(join(home, ".ssh/id_rsa"), join(repo, "app/innocent.txt"));
symlinkSync(join(home, ".ssh"), join(repo, "app/dotssh"));
symlinkSync(elsewhere, join(root, "link-to-elsewhere"));

/** A repository config at repo/app/safebuild.yml, confined with these --allow values. */
function confine(yaml: string, allow: string[] = [], over: { overridden?: string[]; usesBuild?: boolean; operator?: boolean } = {}): Confined {
  const config = parseConfig(yaml, join(repo, "app/safebuild.yml"), "app/safebuild.yml");
  return confineConfig(config, {
    trust: over.operator === true ? { kind: "operator" } : { kind: "repository", root: repo },
    grants: parseGrants(allow),
    cwd: repo,
    home,
    overridden: new Set(over.overridden ?? []),
    usesBuildContext: over.usesBuild ?? true,
    usesBuildFile: over.usesBuild ?? true,
  });
}
const kept = (c: Confined): string[] => c.config.secrets.map((s) => s.id);
const deniedLine = (c: Confined): string => c.denied.map((d) => d.message).join("\n");

describe("confineConfig: a repository config's secret sources", () => {
  test("cmd: denied with FILE:LINE, the id, what it does and the exact --allow; allowed with --allow cmd", () => {
    const yaml = "secrets:\n  ok: conf/token\n  marker: cmd:touch /tmp/pwned\n";
    const denied = confine(yaml);
    expect(kept(denied)).toEqual(["ok"]);
    expect(denied.denied.map((d) => d.id)).toEqual(["marker"]);
    expect(deniedLine(denied)).toBe(
      `app/safebuild.yml:3: secret marker runs a command on this host (cmd:); a config inside the repository being built (${repo}) may do that only with --allow cmd`,
    );
    expect(deniedLine(denied)).not.toContain("touch");
    expect(kept(confine(yaml, ["cmd"]))).toEqual(["ok", "marker"]);
  });

  test.each([
    ["no grant", [], false],
    ["env=VAR names exactly that variable", ["env=NPM_RC"], true],
    ["a longer name is another variable", ["env=NPM"], false],
    ["names are case-sensitive", ["env=npm_rc"], false],
    ["env grants every variable", ["env"], true],
  ])("env:NPM_RC, %s", (_name, allow, allowed) => {
    const c = confine("secrets:\n  npmrc: env:NPM_RC\n", allow);
    expect(kept(c)).toEqual(allowed ? ["npmrc"] : []);
    if (!allowed) expect(deniedLine(c)).toMatch(/^app\/safebuild\.yml:2: secret npmrc reads the environment variable NPM_RC; .* only with --allow env=NPM_RC$/);
  });

  test("the docker form ({env: VAR}) is an env source too", () => {
    expect(deniedLine(confine("secrets:\n  t:\n    env: HOME_TOKEN\n"))).toMatch(/secret t reads the environment variable HOME_TOKEN; .*--allow env=HOME_TOKEN$/);
  });

  test.each([
    ["no grant", "secret/ci/npm", [], false],
    ["vault grants every path", "secret/ci/npm", ["vault"], true],
    ["the prefix itself", "secret/ci", ["vault=secret/ci"], true],
    ["below the prefix", "secret/ci/npm", ["vault=secret/ci/"], true],
    ["leading slashes do not matter", "/secret/ci/npm", ["vault=/secret/ci"], true],
    ["a sibling sharing the prefix's letters", "secret/ci-prod/npm", ["vault=secret/ci"], false],
    [".. climbing out of the prefix", "secret/ci/../prod/db", ["vault=secret/ci"], false],
    ["an empty segment", "secret/ci//x", ["vault=secret/ci"], false],
  ])("vault: %s", (_name, vaultPath, allow, allowed) => {
    const c = confine(`secrets:\n  v: vault:${vaultPath}#token\n`, allow);
    expect(kept(c)).toEqual(allowed ? ["v"] : []);
    if (!allowed) expect(deniedLine(c)).toMatch(/^app\/safebuild\.yml:2: secret v reads the Vault path .* only with --allow vault/);
  });

  test("a denied Vault path names the --allow vault=PATH to add", () => {
    expect(deniedLine(confine("secrets:\n  v: vault:secret/ci/npm#token@2\n"))).toMatch(/reads the Vault path secret\/ci\/npm; .*--allow vault=secret\/ci\/npm$/);
  });

  test("a file in the config's folder needs nothing, and is read by its real path", () => {
    const c = confine("secrets:\n  t: conf/token\n  d: dotenv:conf/.env#KEY\n");
    expect(c.denied).toEqual([]);
    expect(c.config.secrets.map((s) => s.target)).toEqual([join(repo, "app/conf/token"), `${join(repo, "app/conf/.env")}#KEY`]);
  });

  test.each([
    ["~ (the home folder)", "~/.ssh/id_rsa", join(home, ".ssh/id_rsa"), ""],
    ["an absolute path", join(home, ".ssh/id_rsa"), join(home, ".ssh/id_rsa"), ""],
    [".. out of the folder", "../../home/.ssh/id_rsa", join(home, ".ssh/id_rsa"), ""],
    [".. into the repository but out of the folder", "../secrets.txt", join(repo, "secrets.txt"), ""],
    ["a symlink in the folder pointing out", "innocent.txt", join(home, ".ssh/id_rsa"), ` (through ${join(repo, "app/innocent.txt")})`],
    ["a file under a symlinked folder", "dotssh/id_rsa", join(home, ".ssh/id_rsa"), ` (through ${join(repo, "app/dotssh/id_rsa")})`],
    ["a dotenv file out of the folder", "dotenv:~/.ssh/env#K", join(home, ".ssh/env"), ""],
  ])("a file source via %s: denied, naming the real path and the fs.read to add", (_name, source, real, through) => {
    const c = confine(`secrets:\n  k: ${source}\n`);
    expect(kept(c)).toEqual([]);
    expect(deniedLine(c)).toBe(
      `app/safebuild.yml:2: secret k reads ${real}${through}, outside the config's folder; a config inside the repository being built (${repo}) may do that only with --allow fs.read=${real}`,
    );
  });

  test.each([
    ["the exact file", [`fs.read=${join(home, ".ssh/id_rsa")}`], true],
    ["its folder, with ~", ["fs.read=~/.ssh"], true],
    ["~ itself", ["fs.read=~"], true],
    ["a folder whose name only starts the same", [`fs.read=${join(home, ".ss")}`], false],
    ["another folder", [`fs.read=${elsewhere}`], false],
    ["cmd and env are not fs.read", ["cmd", "env"], false],
  ])("fs.read granting %s", (_name, allow, allowed) => {
    for (const source of ["~/.ssh/id_rsa", "innocent.txt"]) {
      const c = confine(`secrets:\n  k: ${source}\n`, allow);
      expect(kept(c)).toEqual(allowed ? ["k"] : []);
      if (allowed) expect(c.config.secrets[0]?.target).toBe(join(home, ".ssh/id_rsa"));
    }
  });

  test("a checkout's .git in the config's folder is not the folder's to read (the CI checkout token is in .git/config), directly or through a symlink", () => {
    mkdirSync(join(repo, "app/.git"), { recursive: true });
    writeFileSync(join(repo, "app/.git/config"), "[http]\n\textraheader = AUTHORIZATION: basic x\n");
    symlinkSync(join(repo, "app/.git/config"), join(repo, "app/gitconfig"));
    const c = confine("secrets:\n  a: ./.git/config\n  b: gitconfig\n  ok: conf/token\n");
    expect(kept(c)).toEqual(["ok"]);
    expect(c.denied.map((d) => d.id)).toEqual(["a", "b"]);
    expect(deniedLine(c)).toContain(`--allow fs.read=${join(repo, "app/.git/config")}`);
    // granted by name, it is read
    expect(kept(confine("secrets:\n  a: ./.git/config\n", [`fs.read=${join(repo, "app/.git")}`]))).toEqual(["a"]);
  });

  test("a FIFO or a device named by a repository config is denied without opening it (it would block, or never end), granted or not", () => {
    execFileSync("mkfifo", [join(repo, "app/pipe")]);
    symlinkSync("/dev/zero", join(repo, "app/zero"));
    for (const allow of [[], [`fs.read=${repo}`]]) {
      const c = confine("secrets:\n  p: pipe\n  z: zero\n  ok: conf/token\n", allow);
      expect(kept(c)).toEqual(["ok"]);
      expect(deniedLine(c)).toContain(`reads ${join(repo, "app/pipe")}, a FIFO: a config inside the repository being built (${repo}) may name regular files only`);
      expect(deniedLine(c)).toContain("reads /dev/zero, a device");
    }
  });

  test("fs.read through a symlinked folder grants its real folder", () => {
    const c = confine(`secrets:\n  k: ${join(elsewhere, "x")}\n`, [`fs.read=${join(root, "link-to-elsewhere")}`]);
    expect(kept(c)).toEqual(["k"]);
  });

  test("an entry a --secret flag replaces is not judged (it is not used)", () => {
    expect(confine("secrets:\n  marker: cmd:touch x\n", [], { overridden: ["marker"] }).denied).toEqual([]);
  });

  test("every denial is listed, not only the first", () => {
    const c = confine("secrets:\n  a: cmd:true\n  b: env:B\n  c: ~/.ssh/id_rsa\n  d: vault:secret/x#y\n");
    expect(c.denied.map((d) => d.id)).toEqual(["a", "b", "c", "d"]);
  });

  test("an operator config is taken as it is", () => {
    const yaml = "secrets:\n  a: cmd:true\n  b: ~/.ssh/id_rsa\nscan:\n  failOn: none\n";
    const c = confine(yaml, [], { operator: true });
    expect(c.denied).toEqual([]);
    expect(kept(c)).toEqual(["a", "b"]);
    expect(c.config.scan.failOn).toBe("none");
    expect(c.policyWarning).toBeUndefined();
  });
});

describe("confineConfig: a repository config's build paths", () => {
  test.each([
    ["context", "build:\n  context: ../../elsewhere\n", elsewhere],
    ["file", `build:\n  file: ${join(home, ".ssh/id_rsa")}\n`, join(home, ".ssh/id_rsa")],
    ["file via a symlink", "build:\n  file: dotssh/id_rsa\n", join(home, ".ssh/id_rsa")],
  ])("build.%s outside the folder: exit 2 naming the fs.read; fine when a flag overrides it", (key, yaml, real) => {
    expect(() => confine(yaml)).toThrow(new RegExp(`^app/safebuild\\.yml:2: build\\.${key.split(" ")[0]} reads ${real}( \\(through [^)]*\\))?, outside the config's folder; `));
    expect(() => confine(yaml)).toThrow(`--allow fs.read=${real}`);
    expect(() => confine(yaml, [`fs.read=${real}`])).not.toThrow();
    expect(() => confine(yaml, [], { usesBuild: false })).not.toThrow();
  });

  test("inside the folder: used by its real path", () => {
    expect(confine("build:\n  context: conf\n  file: conf/Dockerfile\n").config.build).toMatchObject({
      context: join(repo, "app/conf"),
      file: join(repo, "app/conf/Dockerfile"),
    });
  });
});

describe("confineConfig: a repository config's scan policy", () => {
  test.each([
    ["failOn: none", "scan:\n  failOn: none\n", "failOn: none"],
    ["failOn a list", "scan:\n  failOn: [env]\n", "failOn: [env]"],
    ["ignore rules", "scan:\n  ignore:\n    - secret: '*'\n      reason: r\n    - path: x\n      reason: r\n", "2 ignore rules"],
    ["both", "scan:\n  failOn: none\n  ignore:\n    - secret: '*'\n      reason: r\n", "failOn: none, 1 ignore rule"],
    ["content not searched accepted", "scan:\n  notSearched: warn\n", "notSearched: warn"],
  ])("%s: not applied (the strict default stays), one warning; applied with --allow policy", (_name, yaml, what) => {
    const c = confine(yaml);
    expect(c.config.scan).toEqual(defaultScanPolicy);
    expect(c.policyWarning).toBe(
      `app/safebuild.yml:1: the scan policy of a config inside the repository being built (${what}) is not applied: every finding fails the run; add --allow policy to apply it`,
    );
    const allowed = confine(yaml, ["policy"]);
    expect(allowed.config.scan).not.toEqual(defaultScanPolicy);
    expect(allowed.policyWarning).toBeUndefined();
  });

  test("the strict policy written out: no warning", () => {
    expect(confine("scan:\n  failOn: any\n  notSearched: fail\n").policyWarning).toBeUndefined();
  });
});

describe("confineConfig: build.push", () => {
  test("a repository config's push: true is dropped with one warning line naming --allow push", () => {
    const c = confine("build:\n  tags: r.example/app:1\n  push: true\n");
    expect(c.config.build.push).toBe(false);
    expect(c.pushWarning).toBe("app/safebuild.yml:3: push: true of a config inside the repository being built is not applied (nothing is pushed); add --allow push to apply it, or give --push");
  });

  test("applied with --allow push, and from an operator config without one", () => {
    const yaml = "build:\n  push: true\n";
    expect(confine(yaml, ["push"])).toMatchObject({ config: { build: { push: true } }, pushWarning: undefined });
    expect(confine(yaml, [], { operator: true }).config.build.push).toBe(true);
  });

  test("push: false or absent needs nothing", () => {
    expect(confine("build:\n  push: false\n").pushWarning).toBeUndefined();
    expect(confine("version: 1\n")).toMatchObject({ config: { build: { push: false } }, pushWarning: undefined });
  });

  test("push: yes is not a boolean: exit 2 naming the line", () => {
    expect(() => confine("build:\n  push: maybe\n")).toThrow(/app\/safebuild\.yml:2: build\.push: expected true or false/);
  });
});

describe("parseGrants", () => {
  test("every entitlement", () => {
    expect(parseGrants(["cmd", "env=A", "env=B", "vault=/secret/ci/", "fs.read=~/x", "policy", "push"])).toEqual({
      cmd: true,
      env: new Set(["A", "B"]),
      vault: ["secret/ci"],
      fsRead: ["~/x"],
      policy: true,
      push: true,
    });
    expect(parseGrants(["env=A", "env", "vault=x", "vault"])).toMatchObject({ env: true, vault: true });
  });

  test.each([
    ["fs.read", /--allow fs\.read: expected fs\.read=PATH/],
    ["fs.read=", /expected fs\.read=PATH/],
    ["env=", /expected env=VAR/],
    ["env=A B", /expected env=VAR/],
    ["vault=secret/../sys", /expected vault=PATH, a Vault path without empty, \. or \.\. segments/],
    ["vault=", /expected vault=PATH/],
    ["cmd=ls", /unknown entitlement \(known: cmd, env, env=VAR, vault, vault=PATH, fs\.read=PATH, policy, push\)/],
    ["push=yes", /unknown entitlement/],
    ["fs.write=/", /unknown entitlement/],
    ["network", /unknown entitlement/],
  ])("--allow %s: exit 2", (value, message) => {
    expect(() => parseGrants([value])).toThrow(message);
  });
});
