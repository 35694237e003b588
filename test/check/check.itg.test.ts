import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cliPath, runCli } from "../helpers/cli.js";
import { startVaultStandIn, type StandIn } from "../secrets/vault-stand-in.js";

/** `safebuild check` through the built CLI, with Vault played by the stand-in server. */
const CLI = cliPath;
const rand = (): string => randomBytes(18).toString("base64url");
const TOKEN = `hvs.${rand()}`;
const API_TOKEN = rand();
const DB_PASSWORD = rand();
const CMD_VALUE = rand();
const FILE_VALUE = rand();
const VALUES = [TOKEN, API_TOKEN, DB_PASSWORD, CMD_VALUE, FILE_VALUE];

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

// Asynchronous on purpose: the stand-in server lives in this process and must keep answering.
async function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  const run = await runCli(args, { cwd, env: { HOME: cwd, ...env }, cleanEnv: true, secrets: VALUES });
  return { code: run.code ?? -1, stdout: run.stdout.toString(), stderr: run.stderr.toString() };
}

const noValues = (run: Run): void => {
  for (const v of VALUES) {
    expect(run.stdout).not.toContain(v);
    expect(run.stderr).not.toContain(v);
  }
};

describe("safebuild check", () => {
  let vault: StandIn;
  const dir = mkdtempSync(join(tmpdir(), "sbtest-check-"));
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error("dist/cli.js is missing: run `npm run build` first");
    vault = await startVaultStandIn({
      token: TOKEN,
      mounts: { "secret/": 2, "kv/": 1 },
      v2: { "secret/app": [{ token: API_TOKEN }] },
      v1: { "kv/db": { password: DB_PASSWORD } },
    });
    env = { VAULT_ADDR: vault.addr, VAULT_TOKEN: TOKEN };
    writeFileSync(
      join(dir, "Dockerfile"),
      "FROM local/busybox:1\nRUN --mount=type=secret,id=x true\nRUN --mount=type=secret,id=db,required=true true\nRUN --mount=type=secret,id=local true\n",
    );
    writeFileSync(join(dir, "local.txt"), `${FILE_VALUE}\n`);
  });
  afterAll(async () => {
    await vault.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("--secret x=vault:secret/app#token on a KV v2 mount", async () => {
    const run = await cli(["check", "--secret", "x=vault:secret/app#token", "--secret", "db=vault:kv/db#password", "--secret", "local=local.txt"], dir, env);
    expect(run.stderr).toContain("3 secrets ready");
    expect(run.code).toBe(0);
    const [table = "", search = ""] = run.stdout.split("\n\n");
    const rows = table.trim().split("\n").map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(["ID", "SOURCE", "BYTES", "FINGERPRINT", "MOUNTED BY"]);
    expect(rows.slice(1).map((r) => [r[0], r[1], r[2], r[4]])).toEqual([
      ["x", "vault", String(API_TOKEN.length), "./Dockerfile:2"],
      ["db", "vault", String(DB_PASSWORD.length), "./Dockerfile:3"],
      ["local", "file", String(FILE_VALUE.length + 1), "./Dockerfile:4"],
    ]);
    expect(rows.slice(1).every((r) => /^[0-9a-f]{12}$/.test(r[3] ?? ""))).toBe(true);
    expect(search).toContain("  local: single value; searched: whole value\n");
    noValues(run);
  });

  test("secrets from safebuild.yml, a flag overriding one, a cmd: echoing its value on stderr", async () => {
    const sub = mkdtempSync(join(dir, "cfg-"));
    writeFileSync(join(sub, "Dockerfile"), "FROM local/busybox:1\nRUN --mount=type=secret,id=x --mount=type=secret,id=db true\n");
    writeFileSync(
      join(sub, "safebuild.yml"),
      `secrets:\n  x: vault:secret/app#token\n  db: cmd:printf '%s' "$SBTEST_CMD"; echo "fetched $SBTEST_CMD" >&2\n`,
    );
    // The file is in the build context (the current directory): its cmd: needs the operator's --allow.
    const run = await cli(["check", "--allow", "cmd", "--secret", "x=vault:kv/db#password"], sub, { ...env, SBTEST_CMD: CMD_VALUE });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^db\\s+cmd\\s+${CMD_VALUE.length}\\s`, "m"));
    expect(run.stdout).toMatch(new RegExp(`^x\\s+vault\\s+${DB_PASSWORD.length}\\s`, "m"));
    expect(run.stderr).toContain("fetched ***");
    noValues(run);
  });

  test("what the scan searches: an .npmrc's token and its line, not its registry line", async () => {
    const npmrc = join(dir, "npmrc");
    writeFileSync(npmrc, `@acme:registry=https://npm.acme.example/\n//npm.acme.example/:_authToken=${FILE_VALUE}\nalways-auth=true\n`);
    const run = await cli(["check", "--secret", `npmrc=${npmrc}`, "--secret", "local=local.txt", "--secret", "x=vault:secret/app#token", "--secret", "db=vault:kv/db#password"], dir, env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "\nwhat the scan searches:\n  npmrc: npmrc; searched: whole value, 1 credential (_authToken line 2); not searched alone: registry line 1 (registry URL); always-auth line 3 (flag or number)\n",
    );
    noValues(run);
  });

  test("a config in the build context: without --allow every entry needing one is listed (exit 2), none of them runs or is read", async () => {
    const sub = mkdtempSync(join(dir, "deny-"));
    const marker = join(sub, "marker");
    writeFileSync(join(sub, "Dockerfile"), "FROM local/busybox:1\nRUN --mount=type=secret,id=x --mount=type=secret,id=db true\n");
    writeFileSync(join(sub, "safebuild.yml"), `secrets:\n  x: vault:secret/app#token\n  db: cmd:touch ${marker}; echo v\n  ok: ./local.txt\n`);
    writeFileSync(join(sub, "local.txt"), FILE_VALUE);
    const seen = vault.seen.length;
    const run = await cli(["check"], sub, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^safebuild: safebuild\.yml:2: secret x reads the Vault path secret\/app; .* only with --allow vault=secret\/app$/m);
    expect(run.stderr).toMatch(/^safebuild: safebuild\.yml:3: secret db runs a command on this host \(cmd:\); .* only with --allow cmd$/m);
    expect(run.stderr).toContain("2 of 3 secrets could not be resolved: x, db (config safebuild.yml)");
    expect(run.stdout).toMatch(/^ok\s+file\s+\d+\s+[0-9a-f]{12}\s/m);
    expect(existsSync(marker)).toBe(false);
    expect(vault.seen.length).toBe(seen);
    noValues(run);

    const allowed = await cli(["check", "--allow", "cmd", "--allow", "vault=secret/app"], sub, env);
    expect(allowed.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });

  test("a wrong token: exit 2, the id, path and status named, the token not", async () => {
    const run = await cli(["check", "--secret", "x=vault:secret/app#token", "--secret", "db=vault:kv/db#password"], dir, { ...env, VAULT_TOKEN: `hvs.${rand()}` });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/secret x: vault:secret\/app#token: .*HTTP 403/);
    expect(run.stderr).toMatch(/secret db: vault:kv\/db#password: .*HTTP 403/);
    expect(run.stderr).toContain("2 of 2 secrets could not be resolved: x, db");
    noValues(run);
  });

  test("a required mount with no secret: exit 2 before anything is resolved", async () => {
    const run = await cli(["check", "--secret", "x=vault:secret/app#token"], dir, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('secret "db" is required by RUN --mount at ./Dockerfile:3');
    expect(vault.seen.length).toBeGreaterThan(0);
  });

  test("a bad safebuild.yml: exit 2 with FILE:LINE: key", async () => {
    const sub = mkdtempSync(join(dir, "bad-"));
    writeFileSync(join(sub, "safebuild.yml"), "secrets:\n  a: env:A\nscan:\n  ignore:\n    - secret: a\n");
    const run = await cli(["check"], sub, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("safebuild: safebuild.yml:5: scan.ignore.0.reason: expected a reason");
  });

  test("a missing --config: exit 2", async () => {
    const run = await cli(["check", "--config", "nope.yml"], dir, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--config nope.yml: no such file");
  });
});
