import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { resolveSecrets, wipeSecrets } from "../../src/secrets/resolve.js";
import { parseSecretSpecs } from "../../src/spec/parse-secret-spec.js";
import type { Masker } from "../../src/redact/masker-api.js";
import { createMasker } from "../../src/redact/masker.js";
import type { ProviderContext } from "../../src/secrets/provider.js";
import { secretTraces } from "../../src/secrets/child-env.js";
import { isSafebuildError } from "../../src/errors.js";

let dir: string;
let home: string;
// a fixed value: a random one can share an encoding's piece with the text around it (the masker then masks or holds more)
const token = "tok_9c4e1a7b3f0d6e2c8a5b1f4d";

function context(env: NodeJS.ProcessEnv = {}): ProviderContext {
  return { env, cwd: dir, home, masker: createMasker(), memo: new Map(), traces: secretTraces([]) };
}

async function resolveOne(spec: string, env: NodeJS.ProcessEnv = {}): Promise<Buffer> {
  const [secret] = await resolveSecrets(parseSecretSpecs([spec]), context(env));
  if (secret === undefined) throw new Error("nothing resolved");
  const bytes = Buffer.from(secret.value.expose());
  wipeSecrets([secret]);
  expect(secret.value.wiped).toBe(true);
  return bytes;
}

async function failure(spec: string, env: NodeJS.ProcessEnv = {}): Promise<{ message: string; exitCode: number }> {
  try {
    await resolveSecrets(parseSecretSpecs([spec]), context(env));
  } catch (error) {
    if (!isSafebuildError(error)) throw error;
    return { message: error.message, exitCode: error.exitCode };
  }
  throw new Error(`${spec} resolved`);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sbtest-resolve-"));
  home = path.join(dir, "home");
  await mkdir(home);
  await writeFile(path.join(dir, "plain"), `${token}\n`);
  await writeFile(path.join(home, ".npmrc"), `//registry.example/:_authToken=${token}\n`);
  await writeFile(path.join(dir, ".env"), `A=1\nNPM_TOKEN=${token}\nMULTI="line1\nline2"\n`);
  await writeFile(path.join(dir, "empty"), "");
  await writeFile(path.join(dir, "big"), Buffer.alloc(500 * 1024 + 1, 0x61));
  await writeFile(path.join(dir, "limit"), Buffer.alloc(500 * 1024, 0x61));
  await writeFile(path.join(dir, "tok"), "from-file");
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe("sources reach the bytes", () => {
  test.each([
    ["a=plain", `${token}\n`],
    ["a=./plain", `${token}\n`],
    ["a=file:plain", `${token}\n`],
    ["id=a,src=plain", `${token}\n`],
    ["a=~/.npmrc", `//registry.example/:_authToken=${token}\n`],
    ["id=a,src=~/.npmrc", `//registry.example/:_authToken=${token}\n`],
    ["a=env:TOKEN", token],
    ["id=a,env=TOKEN", token],
    ["a=dotenv:#NPM_TOKEN", token],
    ["a=dotenv:.env#MULTI", "line1\nline2"],
    ["id=tok", "from-env"],
  ])("%s", async (spec, expected) => {
    const env = spec === "id=tok" ? { tok: "from-env" } : { TOKEN: token };
    expect((await resolveOne(spec, env)).toString()).toBe(expected);
  });

  test("docker form without src or env falls back to the file ./ID when the variable is unset", async () => {
    expect((await resolveOne("id=tok")).toString()).toBe("from-file");
  });

  test("exactly 500 KiB is accepted", async () => {
    expect((await resolveOne("a=limit")).length).toBe(500 * 1024);
  });
});

describe("bad sources are exit 2 and name the id, not the value", () => {
  test.each([
    ["npm=env:UNSET_VAR", /secret npm: environment variable UNSET_VAR is not set/],
    ["npm=env:EMPTY", /secret npm is empty/],
    ["npm=empty", /secret npm is empty/],
    ["npm=big", /secret npm is over 500 KiB/],
    // a value of spaces and newlines would mask a JSON report's indentation and match everywhere
    ["npm=env:BLANK", /^secret npm is only whitespace \(from env:BLANK\): nothing to mount, search or mask$/],
    ["npm=missing", /secret npm: cannot read .*missing: no such file/],
    ["npm=~/missing", /secret npm: cannot read .*home\/missing: no such file/],
    ["npm=.", /secret npm: cannot read .*: is a directory/],
    ["npm=dotenv:#NOPE", /secret npm: no key NOPE in .env/],
    ["npm=dotenv:nofile#K", /secret npm: cannot read .*nofile: no such file/],
  ])("%s", async (spec, message) => {
    const result = await failure(spec, { EMPTY: "", BLANK: "        \n\t \r\n", TOKEN: token });
    expect(result.exitCode).toBe(2);
    expect(result.message).toMatch(message);
    expect(result.message).not.toContain(token);
  });
});

test("a failure after earlier secrets wipes the ones already resolved", async () => {
  const ctx = context({ TOKEN: token });
  const refs = parseSecretSpecs(["a=env:TOKEN", "b=env:UNSET"]);
  await expect(resolveSecrets(refs, ctx)).rejects.toThrow(/secret b/);
});

test("resolved values are masked from then on", async () => {
  const ctx = context({ TOKEN: token });
  const secrets = await resolveSecrets(parseSecretSpecs(["a=env:TOKEN"]), ctx);
  expect((ctx.masker as Masker).maskString(`x ${token} y`)).toBe("x *** y");
  wipeSecrets(secrets);
});
