import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { Builder } from "../../src/buildkit/builder.js";
import { cacheBust } from "../../src/buildkit/cache-bust.js";
import { takesNoCacheFilter } from "../../src/buildkit/detect.js";
import { KEY_FILE } from "../../src/buildkit/fingerprint-key.js";
import { compareFingerprints, FINGERPRINTS_FILE, type FingerprintScope, type SecretChange } from "../../src/buildkit/secret-fingerprints.js";
import { secretMountsOf } from "../../src/buildkit/secret-mounts.js";
import type { ResolvedSecret } from "../../src/secrets/secret.js";
import { SecretValue } from "../../src/secrets/secret-value.js";

const work = mkdtempSync(join(tmpdir(), "sbtest-fingerprints-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(work, `cache-${n++}`, "nested");

const classic: Builder = { kind: "classic-buildkit", docker: "/usr/bin/docker", clientVersion: "20.10.24", load: false };
const buildx: Builder = { kind: "buildx", docker: "/usr/local/bin/docker", clientVersion: "28.2.2", load: true, noCacheFilter: true };
const scope = (over: Partial<FingerprintScope> = {}): FingerprintScope => ({ builder: classic, dockerfile: "/src/app/Dockerfile", target: undefined, env: {}, ...over });
const secret = (id: string, value: string): ResolvedSecret => ({ id, kind: "file", value: SecretValue.copyOf(Buffer.from(value)) });
const changesOf = (dir: string, secrets: ResolvedSecret[], s = scope()) => Object.fromEntries(compareFingerprints(dir, s, secrets).changes);
const build = (dir: string, secrets: ResolvedSecret[], s = scope()) => compareFingerprints(dir, s, secrets).record();

describe("the secret fingerprint store", () => {
  test("a missing cache dir is made private; the key is 0600 and 32 random bytes", () => {
    const dir = freshDir();
    expect(changesOf(dir, [secret("tok", "value-1")])).toEqual({ tok: "new" });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, KEY_FILE))).toHaveLength(32);
  });

  test("unchanged keeps, changed and new are told apart, other ids are remembered as they were", () => {
    const dir = freshDir();
    build(dir, [secret("a", "one"), secret("b", "two")]);
    expect(changesOf(dir, [secret("a", "one"), secret("b", "two")])).toEqual({});
    expect(changesOf(dir, [secret("a", "ONE"), secret("c", "x")])).toEqual({ a: "changed", c: "new" });
    build(dir, [secret("a", "ONE")]);
    expect(changesOf(dir, [secret("a", "ONE"), secret("b", "two")])).toEqual({});
    expect(statSync(join(dir, FINGERPRINTS_FILE)).mode & 0o777).toBe(0o600);
  });

  test("each builder, Dockerfile, target and engine has its own record", () => {
    const dir = freshDir();
    build(dir, [secret("a", "one")]);
    for (const other of [scope({ builder: buildx }), scope({ dockerfile: "/src/other/Dockerfile" }), scope({ target: "deps" }), scope({ env: { DOCKER_HOST: "tcp://x:2376" } })]) {
      expect(changesOf(dir, [secret("a", "one")], other)).toEqual({ a: "new" });
    }
  });

  test("the store holds neither the value nor its plain sha256", () => {
    const dir = freshDir();
    const value = "sbtok-plain-value-0123456789";
    build(dir, [secret("a", value)]);
    const stored = readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString("latin1")).join("\n");
    expect(stored).not.toContain(value);
    expect(stored).not.toContain(createHash("sha256").update(value).digest("hex").slice(0, 12));
    expect(stored).not.toContain(Buffer.from(value).toString("base64"));
  });

  test("a corrupt store reads as empty (every secret new) and the next record repairs it", () => {
    const dir = freshDir();
    build(dir, [secret("a", "one")]);
    for (const junk of ["{not json", "[]", "null", JSON.stringify({ k: { at: "x", ids: {} } })]) {
      writeFileSync(join(dir, FINGERPRINTS_FILE), junk);
      expect(changesOf(dir, [secret("a", "one")])).toEqual({ a: "new" });
    }
    build(dir, [secret("a", "one")]);
    expect(changesOf(dir, [secret("a", "one")])).toEqual({});
  });

  test("a key others can read, or of the wrong size, is replaced: old fingerprints then count as changed", () => {
    for (const spoil of [(key: string) => chmodSync(key, 0o644), (key: string) => writeFileSync(key, "short")]) {
      const dir = freshDir();
      build(dir, [secret("a", "one")]);
      const key = join(dir, KEY_FILE);
      const before = readFileSync(key);
      spoil(key);
      expect(changesOf(dir, [secret("a", "one")])).toEqual({ a: "changed" });
      expect(statSync(key).mode & 0o777).toBe(0o600);
      expect(readFileSync(key).equals(before)).toBe(false);
    }
  });

  test("a cache dir that cannot hold the key throws (the command falls back to reporting cached steps)", () => {
    const file = join(work, "not-a-dir");
    writeFileSync(file, "");
    expect(() => compareFingerprints(join(file, "sub"), scope(), [secret("a", "one")])).toThrow(/ENOTDIR/);
    const keyDir = freshDir();
    build(keyDir, [secret("a", "one")]);
    rmSync(join(keyDir, KEY_FILE));
    mkdirSync(join(keyDir, KEY_FILE));
    expect(() => compareFingerprints(keyDir, scope(), [secret("a", "one")])).toThrow();
  });
});

const DOCKERFILE = [
  "FROM base AS deps",
  "RUN --mount=type=secret,id=npmrc npm ci",
  "FROM base",
  "RUN --mount=type=secret,id=tok true",
  "FROM base AS unused",
  "RUN --mount=type=secret,id=other true",
  "FROM deps AS final",
  "COPY --from=1 / /",
  "",
].join("\n");
const changes = (entries: Record<string, SecretChange>): Map<string, SecretChange> => new Map(Object.entries(entries));

describe("which cache a changed secret drops", () => {
  const mounts = secretMountsOf(DOCKERFILE);

  test("nothing changed, or --no-cache already: the cache stays", () => {
    expect(cacheBust(mounts, changes({}), buildx, false)).toEqual({ flags: [], message: undefined });
    expect(cacheBust(mounts, changes({ npmrc: "changed" }), buildx, true).flags).toEqual([]);
  });

  test("a secret mounted only in a stage that is not built changes nothing", () => {
    expect(cacheBust(mounts, changes({ other: "changed" }), buildx, false).flags).toEqual([]);
  });

  test("buildx 0.8+ and a named stage: --no-cache-filter for that stage only", () => {
    const bust = cacheBust(mounts, changes({ npmrc: "changed" }), buildx, false);
    expect(bust.flags).toEqual(["--no-cache-filter", "deps"]);
    expect(bust.message).toBe("secret npmrc changed since the last build with this builder, Dockerfile and target: stage deps runs again (--no-cache-filter)");
  });

  test("an unnamed stage, or a builder without the filter: --no-cache, and why", () => {
    expect(cacheBust(mounts, changes({ tok: "new" }), buildx, false)).toEqual({
      flags: ["--no-cache"],
      message: "secret tok not seen in an earlier build with this builder, Dockerfile and target: building with --no-cache (a stage that mounts it has no name for --no-cache-filter)",
    });
    expect(cacheBust(mounts, changes({ npmrc: "changed", tok: "new" }), classic, false).message).toBe(
      "secret npmrc changed since the last build with this builder, Dockerfile and target; secret tok not seen in an earlier build with this builder, Dockerfile and target: building with --no-cache (docker 20.10.24's builder has no --no-cache-filter)",
    );
  });

  test("a mount whose id is a variable counts any changed secret", () => {
    // a variable the Dockerfile never declares (the base image's ENV, say): known only to the build
    const dynamic = secretMountsOf("FROM base AS s\nRUN --mount=type=secret,id=$FROM_BASE_ENV true\n");
    expect(dynamic.map((m) => m.dynamic)).toEqual([true]);
    expect(cacheBust(dynamic, changes({ anything: "changed" }), buildx, false).flags).toEqual(["--no-cache-filter", "s"]);
  });

  test.each([
    ["github.com/docker/buildx v0.10.4 c513d34", true],
    ["github.com/docker/buildx 0.8.0+unknown", true],
    ["github.com/docker/buildx v0.7.1 05846896", false],
    ["github.com/docker/buildx v1.0.0 abc", true],
    ["", false],
  ])("buildx version %j takes --no-cache-filter: %s", (text, expected) => {
    expect(takesNoCacheFilter(text)).toBe(expected);
  });
});
