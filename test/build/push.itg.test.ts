import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { registryAvailable, startRegistry, type RegistryServer } from "../helpers/registry.js";
import { DOCKER, engineAnswers, REPO, removeImages, runCli } from "./cli.js";

// `build --push` against the real engine and the real distribution registry: what the registry
// holds afterwards is the proof (its tag list, its Docker-Content-Digest), never safebuild's word.
const up = engineAnswers() && registryAvailable();
const work = mkdtempSync(join(tmpdir(), "sbtest-push-itg-"));
const tags: string[] = [];
const known: string[] = [];
afterAll(() => {
  removeImages(tags);
  rmSync(work, { recursive: true, force: true });
});

const BASE = ["--build-arg", "BASE=local/busybox:1"];
const npmrc = (): string => {
  const value = `sbtok-${randomBytes(24).toString("base64url")}`;
  known.push(value);
  const file = join(work, `npmrc-${randomBytes(4).toString("hex")}`);
  writeFileSync(file, `//npm.acme.example/:_authToken=${value}\n`);
  return file;
};
const repoName = (): string => `sbtest/push-${randomBytes(5).toString("hex")}`;
const cli = (args: readonly string[], cwd?: string) => runCli([...args, "--docker", DOCKER], { secrets: known, ...(cwd === undefined ? {} : { cwd }) });
const lines = (text: string): string[] => text.split("\n").filter((l) => l !== "");

describe.runIf(up)("safebuild build --push (real engine, real registry)", () => {
  let registry: RegistryServer;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  const tagsList = async (repo: string): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`http://${registry.host}/v2/${repo}/tags/list`);
    return { status: res.status, body: await res.json() };
  };
  /** What the registry itself says the tag's manifest digest is. */
  const registryDigest = async (repo: string, tag: string): Promise<string | null> => {
    const res = await fetch(`http://${registry.host}/v2/${repo}/manifests/${tag}`, {
      method: "HEAD",
      headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json" },
    });
    return res.headers.get("docker-content-digest");
  };
  const image = (repo: string, tag: string): string => {
    const ref = `${registry.host}/${repo}:${tag}`;
    tags.push(ref);
    return ref;
  };

  test("a leaky image is not pushed: exit 1, the registry has no such repository, no metadata file", async () => {
    const repo = repoName();
    const meta = join(work, "leaky-meta.json");
    const run = await cli(["build", "--secret", `npmrc=${npmrc()}`, ...BASE, "-t", image(repo, "1"), "--no-cache", "--push", "--metadata-file", meta, "examples/leaky"]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/LEAK: 1 finding of npmrc/);
    expect(run.stderr).toContain("safebuild: nothing pushed: the audit did not pass");
    expect(run.stderr).not.toContain("The push refers to repository");
    expect(await tagsList(repo)).toMatchObject({ status: 404, body: { errors: [{ code: "NAME_UNKNOWN" }] } });
    expect(existsSync(meta)).toBe(false);
  });

  test("a clean image is pushed to every registry tag; --metadata-file's digest is the registry's Docker-Content-Digest", async () => {
    const repo = repoName();
    const meta = join(work, "clean-meta.json");
    const local = `sbtest-push-local-${randomBytes(4).toString("hex")}`;
    tags.push(local);
    const run = await cli([
      "build", "--secret", `npmrc=${npmrc()}`, ...BASE, "-t", image(repo, "1"), "-t", image(repo, "stable"), "-t", local,
      "--push", "--metadata-file", meta, "--format", "json", "--iidfile", join(work, "iid"), "examples/private-npm",
    ]);
    expect(run.code, run.stderr).toBe(0);
    // stdout is the report alone: the push log goes to stderr, masked like the build's
    expect(JSON.parse(run.stdout)).toMatchObject({ findings: [] });
    expect(run.stderr).toContain(`safebuild: not pushed (no registry in the name): ${local}`);
    const metadata = JSON.parse(readFileSync(meta, "utf8")) as Record<string, unknown>;
    expect(statSync(meta).mode & 0o777).toBe(0o644);
    const held = await registryDigest(repo, "1");
    expect(held).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await registryDigest(repo, "stable")).toBe(held);
    expect(metadata).toEqual({
      "containerimage.config.digest": readFileSync(join(work, "iid"), "utf8").trim(),
      "containerimage.descriptor": { mediaType: "application/vnd.docker.distribution.manifest.v2+json", digest: held, size: expect.any(Number) },
      "containerimage.digest": held,
      "image.name": `${registry.host}/${repo}:1,${registry.host}/${repo}:stable`,
    });
    expect(run.stderr).toContain(`safebuild: pushed ${registry.host}/${repo}:1@${held}`);
    expect(((await tagsList(repo)).body as { tags: string[] }).tags.sort()).toEqual(["1", "stable"]);
  });

  test("push: true in the operator's safebuild.yml pushes as --push does", async () => {
    const repo = repoName();
    const cwd = mkdtempSync(join(work, "operator-"));
    writeFileSync(join(cwd, "safebuild.yml"), `build:\n  tags: ${image(repo, "cfg")}\n  push: true\n`);
    const run = await cli(["build", "-q", "--secret", `npmrc=${npmrc()}`, ...BASE, join(REPO, "examples/private-npm")], cwd);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain("The push refers to repository");
    expect(await registryDigest(repo, "cfg")).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test("a digest the registry does not hold after docker push reported it: exit 4, no 'pushed' line, no metadata file", async () => {
    const repo = repoName();
    const ref = image(repo, "1");
    // the real docker, except that right after its push the manifest is deleted from the real
    // registry (as a registry that lost it, or a push tool whose word was wrong)
    const wrapper = join(work, "docker-losing-manifest");
    const deleteUrl = `http://${registry.host}/v2/${repo}/manifests/`;
    writeFileSync(
      wrapper,
      `#!/bin/bash\nif [ "$1" != push ]; then exec ${DOCKER} "$@"; fi\nout=$(${DOCKER} "$@") || { printf '%s\\n' "$out"; exit 1; }\nprintf '%s\\n' "$out"\n` +
        `digest=$(printf '%s' "$out" | sed -n 's/.*: digest: \\(sha256:[0-9a-f]*\\) size: .*/\\1/p')\ncurl -sf -X DELETE "${deleteUrl}$digest" >&2 || exit 9\n`,
    );
    chmodSync(wrapper, 0o755);
    const meta = join(work, "lost-meta.json");
    const run = await runCli(["build", "-q", "--secret", `npmrc=${npmrc()}`, ...BASE, "-t", ref, "--push", "--metadata-file", meta, "examples/private-npm", "--docker", wrapper], { secrets: known });
    expect(run.code, run.stderr).toBe(4);
    expect(lines(run.stderr)).toContainEqual(expect.stringMatching(new RegExp(`^safebuild: the push of ${ref.replace(/[.]/g, "\\.")} reported sha256:[0-9a-f]{64}, but the registry has no such manifest \\(HEAD answered 404\\)$`)));
    expect(run.stderr).not.toContain("safebuild: pushed ");
    expect(existsSync(meta)).toBe(false);
  });

  test("a registry that is down: exit 4, one safebuild line after docker's own message, no metadata file", async () => {
    const down = await startRegistry();
    const ref = `${down.host}/${repoName()}:1`;
    tags.push(ref);
    await down.stop();
    const meta = join(work, "down-meta.json");
    // -q holds the logs back; a failed push still shows docker's own message
    const run = await cli(["build", "-q", "--secret", `npmrc=${npmrc()}`, ...BASE, "-t", ref, "--push", "--metadata-file", meta, "examples/private-npm"]);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/connection refused/);
    const own = lines(run.stderr).filter((l) => l.startsWith("safebuild: the push"));
    expect(own).toEqual([`safebuild: the push of ${ref} failed: docker push exited with status 1 (see its message above)`]);
    expect(lines(run.stderr).at(-1)).toBe(own[0]);
    expect(existsSync(meta)).toBe(false);
  });
});
