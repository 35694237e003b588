import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { DOCKER, engineAnswers, removeImages, runCli } from "./cli.js";

// A cache that follows the secrets (issue 15): BuildKit does not key its cache on secret
// values, so safebuild remembers a keyed fingerprint per builder, Dockerfile and target and
// makes the secret steps run again when one changed. The RUN prints the sha256 of the
// secret it mounted: a step that ran shows the current value's hash, a cached one none.
const hasEngine = engineAnswers();
const work = mkdtempSync(join(tmpdir(), "sbtest-secret-cache-"));
const tags: string[] = [];
afterAll(() => {
  removeImages(tags);
  rmSync(work, { recursive: true, force: true });
});

const sha = (value: string): string => createHash("sha256").update(value).digest("hex");
const known: string[] = [];
const token = (): string => {
  const value = `sbtok-${randomBytes(24).toString("base64url")}`;
  known.push(value);
  return value;
};

describe.runIf(hasEngine)(`build twice with a secret (${DOCKER})`, () => {
  const context = mkdtempSync(join(work, "ctx-"));
  // a nonce step: no other test's cache can answer for this Dockerfile
  writeFileSync(
    join(context, "Dockerfile"),
    ["FROM local/busybox:1", `RUN echo ${randomBytes(8).toString("hex")} > /nonce`, "RUN --mount=type=secret,id=tok,required=true sha256sum /run/secrets/tok", ""].join("\n"),
  );
  const cacheDir = join(work, "cache");
  const image = `sbtest-secret-cache-${randomBytes(5).toString("hex")}`;
  tags.push(image);
  const build = (value: string, ...extra: string[]) => {
    const file = join(work, `tok-${randomBytes(4).toString("hex")}`);
    writeFileSync(file, value);
    return runCli(["build", "--secret", `tok=${file}`, "-t", image, "--docker", DOCKER, ...extra, context], {
      env: { SAFEBUILD_CACHE_DIR: cacheDir },
      secrets: known,
    });
  };

  test("a changed secret re-runs its step, an unchanged one keeps the cache, --cache-secrets keeps it with the warning", async () => {
    const first = token();
    const one = await build(first);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toMatch(/secret tok not seen in an earlier build with this builder, Dockerfile and target: building with --no-cache \(docker 20\.10[^)]*has no --no-cache-filter\)/);
    expect(one.stderr).toContain(sha(first));
    expect(statSync(join(cacheDir, "fingerprint.key")).mode & 0o777).toBe(0o600);

    const same = await build(first);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).not.toContain(sha(first));
    expect(same.stderr).not.toMatch(/not seen|changed since|came from the build cache/);

    const second = token();
    const changed = await build(second, "--format", "json");
    expect(changed.code, changed.stderr).toBe(0);
    const line = /secret tok changed since the last build with this builder, Dockerfile and target: building with --no-cache[^\n]*/.exec(changed.stderr)?.[0];
    expect(line, changed.stderr).toBeDefined();
    expect(changed.stderr).toContain(sha(second));
    // the note is in the JSON report's warnings too
    const report = JSON.parse(changed.stdout) as { warnings: string[] };
    expect(report.warnings).toContainEqual(line?.replace(/^safebuild: warning: /, ""));

    const third = token();
    const kept = await build(third, "--cache-secrets");
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stderr).not.toContain(sha(third));
    expect(kept.stderr).toMatch(/\(RUN with a secret mount\) came from the build cache/);

    // --cache-secrets recorded nothing: the value the cache was built with is still `second`
    const after = await build(third);
    expect(after.stderr).toMatch(/secret tok changed since the last build/);
    expect(after.stderr).toContain(sha(third));
  }, 180_000);
});
