import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { parseInstructions } from "../../src/buildkit/dockerfile-instructions.js";
import { contextCopies } from "../../src/precheck/copy-sources.js";
import { runPrechecks } from "../../src/precheck/run-prechecks.js";
import { checkContext } from "../../src/precheck/context-files.js";
import { secretSearch } from "../../src/precheck/secret-search.js";
import { SecretValue } from "../../src/secrets/secret-value.js";
import { buildNeedles } from "../../src/scan/findings/needles.js";
import { BUILTIN_RULES } from "../../src/rules/builtin-rules.js";
import { compileRules } from "../../src/rules/compile-rules.js";
import type { ResolvedSecret } from "../../src/secrets/secret.js";

const TOKEN = `sbtok-${randomBytes(18).toString("base64url")}`;
const secret = (id: string, value: string): ResolvedSecret => ({ id, kind: "env", value: SecretValue.copyOf(Buffer.from(value)) });
const root = mkdtempSync(join(tmpdir(), "sbtest-precheck-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function context(files: Record<string, string>, dockerfile: string): string {
  const dir = mkdtempSync(join(root, "ctx-"));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  writeFileSync(join(dir, "Dockerfile"), dockerfile);
  return dir;
}

/** The built-in settings rules (env-secret) alone, as a build with rules compiles them for its checks. */
const settingRules = compileRules(BUILTIN_RULES.filter((rule) => rule.settings === true).map((rule) => ({ rule, from: "built-in rules" })), () => true);

async function check(dir: string, dockerfile: string, options: { buildArgs?: Record<string, string>; ignore?: { path: string; reason: string }[]; rules?: boolean } = {}) {
  return runPrechecks({
    settings: options.rules === true ? buildNeedles([], settingRules) : undefined,
    secrets: [secret("tok", TOKEN)],
    buildArgs: new Map(Object.entries(options.buildArgs ?? {})),
    target: undefined,
    dockerfile: { path: join(dir, "Dockerfile"), display: "Dockerfile", text: dockerfile },
    contextDir: dir,
    ignore: (options.ignore ?? []).map((r, i) => ({ ...r, secret: undefined, rule: undefined, where: undefined, line: i + 1 })),
  });
}
const summary = (r: Awaited<ReturnType<typeof check>>) => r.findings.map((f) => `${f.severity} ${f.kind} ${f.path}${f.dockerfile === null ? "" : `@${f.dockerfile.line}`} ${f.secret ?? "-"}`);

describe("build arguments and Dockerfile values", () => {
  test.each([
    ["raw", TOKEN],
    ["inside a longer value", `Bearer ${TOKEN};x`],
    ["base64", Buffer.from(TOKEN).toString("base64")],
    ["hex", Buffer.from(TOKEN).toString("hex")],
    ["url-encoded", encodeURIComponent(`a ${TOKEN}/`)],
  ])("a build argument holding the secret (%s) is an error", async (_name, value) => {
    const df = "FROM a\n";
    const r = await check(context({}, df), df, { buildArgs: { NPM: value } });
    expect(summary(r)).toEqual(["error build-arg NPM tok"]);
    expect(r.findings[0]?.message).not.toContain(TOKEN);
  });

  test("ARG/ENV defaults and LABELs holding it, with their lines; a name-only hint is a note", async () => {
    const df = `FROM a\nARG A=${TOKEN}\nENV B="x${Buffer.from(TOKEN).toString("base64")}"\nLABEL c=${TOKEN}\nARG GITHUB_TOKEN\nRUN true\n`;
    const r = await check(context({}, df), df);
    expect(summary(r)).toEqual(["error dockerfile-value Dockerfile@2 tok", "error dockerfile-value Dockerfile@3 tok", "error dockerfile-value Dockerfile@4 tok", "note arg-name GITHUB_TOKEN@5 -"]);
  });

  test("with rules: a literal ENV, ARG default or LABEL named like a secret is an error at its line, naming a preview only; variables, paths, a given secret's own finding and settings about a secret are not", async () => {
    const password = `Kd83 jf!Lw${randomBytes(4).toString("hex")}`;
    const label = randomBytes(16).toString("base64url");
    // base64url of 18 bytes: variety enough for the rule's entropy floor in every run (hex of 10 bytes fell under it at times)
    const arg = randomBytes(18).toString("base64url");
    const df = [
      "FROM a",
      `ENV DB_PASSWORD="${password}" NODE_ENV=production`,
      `LABEL com.acme.deploy-token=${label}`,
      `ARG API_TOKEN=${arg}`,
      "ENV GITHUB_TOKEN=${GITHUB_TOKEN} POSTGRES_PASSWORD_FILE=/run/secrets/db",
      "ARG NPM_TOKEN",
      `ENV SERVICE_TOKEN=${TOKEN}`,
      `ENV LEGACY_SECRET ${randomBytes(15).toString("base64url")}`,
      // a quoted key (the label's name as docker documents it), and a quoted key that is a setting about the secret
      `LABEL "com.acme.registry-password"="${randomBytes(15).toString("base64url")}" "com.acme.token-url"="https://auth.acme.io/token"`,
      "RUN true",
    ].join("\n");
    const r = await check(context({}, df), df, { rules: true });
    expect(summary(r)).toEqual([
      "error dockerfile-setting Dockerfile@2 -",
      "error dockerfile-setting Dockerfile@3 -",
      "error dockerfile-setting Dockerfile@4 -",
      "note arg-name API_TOKEN@4 -",
      "note arg-name NPM_TOKEN@6 -",
      "error dockerfile-value Dockerfile@7 tok",
      "error dockerfile-setting Dockerfile@8 -",
      "error dockerfile-setting Dockerfile@9 -",
    ]);
    const messages = r.findings.map((f) => f.message).join("\n");
    for (const value of [password, label, arg]) expect(messages).not.toContain(value.slice(2, -2));
    expect(r.findings[0]?.message).toContain("ENV DB_PASSWORD assigns a literal value named like a secret (rule env-secret, Kd…");
    // without rules (--no-rules, or no scan to follow): names alone are notes, as before
    expect(summary(await check(context({}, df), df)).filter((f) => f.includes("dockerfile-setting"))).toEqual([]);
  });

  test("an ignore entry with a reason accepts a finding by its path", async () => {
    const df = "FROM a\n";
    const r = await check(context({}, df), df, { buildArgs: { NPM: TOKEN }, ignore: [{ path: "NPM", reason: "test image" }] });
    expect(r.findings).toEqual([]);
    expect(r.accepted.map((a) => [a.path, a.reason])).toEqual([["NPM", "test image"]]);
  });
});

describe("the build context", () => {
  test("an un-ignored .npmrc with a token and COPY . . is an error on the COPY line; .dockerignore clears it", async () => {
    const df = "FROM a\nWORKDIR /app\nCOPY . .\n";
    const files = { ".npmrc": "//registry.example/:_authToken=abc\n", "src/index.js": "x" };
    expect(summary(await check(context(files, df), df))).toEqual(["error context-file .npmrc@3 -"]);
    const ignored = context({ ...files, ".dockerignore": ".npmrc\n" }, df);
    expect(summary(await check(ignored, df))).toEqual([]);
  });

  test("an .npmrc without a credential is not a secret file", async () => {
    const df = "FROM a\nCOPY . .\n";
    expect(summary(await check(context({ ".npmrc": "registry=https://r.example/\n" }, df), df))).toEqual([]);
  });

  test("content and names holding the value; a file no COPY takes is a warning", async () => {
    const df = "FROM a\nCOPY app/ /app/\n";
    const dir = context({ "app/config.json": `{"t":"${TOKEN}"}`, [`notes/${TOKEN}.txt`]: "x", "id_rsa": "k", "deep/.docker/config.json": "{}" }, df);
    expect(summary(await check(dir, df))).toEqual([
      "error context-file app/config.json@2 tok",
      "warning context-file deep/.docker/config.json -",
      "warning context-file id_rsa -",
      `warning context-file notes/${TOKEN}.txt tok`,
    ]);
  });

  test("BuildKit's .dockerignore: `**`, `!` exceptions, Dockerfile.dockerignore beside the Dockerfile", async () => {
    const df = "FROM a\nCOPY . .\n";
    const files = { "a/b/.env": "K=1", "keep/.env": "K=2", "top/.env.production": "K=3", ".env.example": "K=x" };
    const dir = context({ ...files, ".dockerignore": "**/.env\n!keep/.env\n" }, df);
    expect(summary(await check(dir, df))).toEqual(["error context-file keep/.env@2 -", "error context-file top/.env.production@2 -"]);
    writeFileSync(join(dir, "Dockerfile.dockerignore"), "**/.env*\n");
    expect(summary(await check(dir, df))).toEqual([]);
  });

  test("COPY sources: globs within one element, directories recursively, --from ignored, unused stages ignored", () => {
    const df = "FROM a AS unused\nCOPY secrets/ /s\nFROM a\nCOPY --from=local/busybox:1 /x /x\nCOPY *.json conf/ /app/\nADD [\"lib\", \"/lib\"]\n";
    const copies = contextCopies(parseInstructions(df), "\\", new Map(), undefined);
    const takers = (p: string) => copies.filter((c) => c.takes(p)).map((c) => c.line);
    expect(takers("package.json")).toEqual([5]);
    expect(takers("sub/package.json")).toEqual([]);
    expect(takers("conf/a/b")).toEqual([5]);
    expect(takers("lib/x.js")).toEqual([6]);
    expect(takers("secrets/x")).toEqual([]);
    expect(takers("x")).toEqual([]);
  });

  test("hostile context: a symlink out of the context is not followed, a FIFO is skipped, a big file is checked by name only", async () => {
    const outside = join(root, "outside-secret");
    writeFileSync(outside, TOKEN);
    const df = "FROM a\nCOPY . .\n";
    const dir = context({}, df);
    symlinkSync(outside, join(dir, "link"));
    execFileSync("mkfifo", [join(dir, "fifo")]);
    writeFileSync(join(dir, "big"), `${"x".repeat(64)}${TOKEN}`);
    const r = await checkContext({ dir, dockerfile: join(dir, "Dockerfile"), dockerfileDisplay: "Dockerfile", copies: [], search: secretSearch([secret("tok", TOKEN)]), maxFileBytes: 64 });
    expect(r.findings).toEqual([]);
    expect(r.skipped).toEqual([{ path: "big", bytes: 64 + TOKEN.length }]);
    expect(r.files).toBe(2);
  });
});
