import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createMasker } from "../../src/redact/masker.js";
import { cmdProvider } from "../../src/secrets/cmd.js";
import type { ProviderContext } from "../../src/secrets/provider.js";
import { secretTraces } from "../../src/secrets/child-env.js";

/**
 * `cmd:pass show …` against a real password store (apt package `pass`, installed by
 * scripts/ci-deps.sh), with a throwaway GPG key made here in a private GNUPGHOME.
 */
const hasPass = (() => {
  try {
    execFileSync("pass", ["version"], { stdio: "ignore" });
    execFileSync("gpg", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!hasPass && process.env["CI"] === "true") throw new Error("pass and gpg are required under CI=true: run scripts/ci-deps.sh");

describe.skipIf(!hasPass)("cmd: pass as a real password store", () => {
  const root = mkdtempSync(join(tmpdir(), "sbtest-pass-"));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"],
    HOME: root,
    GNUPGHOME: join(root, "gnupg"),
    PASSWORD_STORE_DIR: join(root, "store"),
  };
  const uid = `sbtest-${randomBytes(4).toString("hex")}@example.invalid`;
  const oneLine = randomBytes(24).toString("base64url");
  const multiLine = `-----BEGIN KEY-----\n${randomBytes(30).toString("base64")}\n-----END KEY-----`;
  const sh = (command: string, input?: string): void => {
    execFileSync("/bin/sh", ["-c", command], { env, input: input ?? "", stdio: ["pipe", "ignore", "pipe"] });
  };

  beforeAll(() => {
    execFileSync("mkdir", ["-m", "700", join(root, "gnupg")]);
    sh(`gpg --batch --passphrase '' --quick-gen-key '${uid}' default default never`);
    sh(`pass init '${uid}'`);
    sh("pass insert -m ci/npm-token", `${oneLine}\n`);
    sh("pass insert -m ci/deploy-key", `${multiLine}\n`);
  }, 60_000);

  afterAll(() => {
    try {
      sh("gpgconf --kill gpg-agent");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  const ctx = (): ProviderContext & { stderr: PassThrough } => ({
    env,
    cwd: root,
    home: root,
    masker: createMasker(),
    memo: new Map(),
    traces: secretTraces([]),
    stderr: new PassThrough(),
  });

  test.each([
    ["a one-line password", "pass show ci/npm-token", () => oneLine],
    ["a multi-line entry", "pass show ci/deploy-key", () => multiLine],
    ["the first line only", "pass show ci/deploy-key | head -n 1", () => "-----BEGIN KEY-----"],
  ])("%s", async (_name, command, expected) => {
    const bytes = await cmdProvider({ id: "tok", kind: "cmd", target: command, spec: `tok=cmd:${command}` }, ctx());
    expect(bytes.toString("utf8")).toBe(expected());
  });

  test("a missing entry is an error naming the id and pass's exit status", async () => {
    const c = ctx();
    const chunks: Buffer[] = [];
    c.stderr.on("data", (b: Buffer) => chunks.push(b));
    const error: unknown = await cmdProvider({ id: "npm", kind: "cmd", target: "pass show ci/nope", spec: "npm=cmd:pass show ci/nope" }, c).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toBe("secret npm: cmd: pass show ci/nope: exited with status 1");
    expect(Buffer.concat(chunks).toString()).toContain("not in the password store");
  });
});
