import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import { runCli } from "../helpers/cli.js";
import { sha256Digest } from "../helpers/archives.js";
import { expectOneLineError, serving, standIn, standInsPerTest, tinyImage, type TinyImage } from "./stand-in-registry.js";

const work = mkdtempSync(join(tmpdir(), "sbtest-hostile-registry-"));
const value = `sbreg-${randomBytes(16).toString("base64url")}`;
const password = `sbregpw-${randomBytes(12).toString("hex")}`;
writeFileSync(join(work, "secret"), value);
// no credential unless a test writes one
const env = { DOCKER_CONFIG: join(work, "docker"), REGISTRY_AUTH_FILE: join(work, "none.json"), XDG_RUNTIME_DIR: "", SAFEBUILD_REGISTRY_TIMEOUT: "2" };
const up = standInsPerTest();
afterAll(() => rmSync(work, { recursive: true, force: true }));

const scan = (ref: string, extra: Record<string, string> = {}) =>
  runCli(["scan", "--secret", `tok=${join(work, "secret")}`, "--format", "json", `registry:${ref}`], { env: { ...env, ...extra }, secrets: [value, password], timeoutMs: 60_000 });

describe("a registry that misbehaves: one line, its exit code, bounded time", () => {
  test("a well-behaved stand-in is scanned (the baseline the others break)", async () => {
    const server = await up(serving(await tinyImage(value)));
    const run = await scan(`${server.host}/t/app:1`);
    expect(run.code, run.output).toBe(1);
    expect(JSON.parse(run.stdout.toString()).findings).toMatchObject([{ where: "file", path: "leak.txt" }]);
    // a blob the registry serves itself is asked for once (read into reused buffers, raw-get.ts)
    const blobs = server.seen.filter((s) => s.path.includes("/blobs/")).map((s) => s.path);
    expect(blobs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(blobs).size).toBe(blobs.length);
  });

  test("401 with a garbage challenge", async () => {
    const server = await up((req, res) => void res.writeHead(req.url === "/v2/" ? 200 : 401, { "www-authenticate": "{garbage" }).end());
    expectOneLineError(await scan(`${server.host}/t/app:1`), 4, /401 without a usable WWW-Authenticate challenge/);
  });

  test("a registry that accepts and never answers (SAFEBUILD_REGISTRY_TIMEOUT bounds it)", async () => {
    const server = await up(() => undefined);
    expectOneLineError(await scan(`${server.host}/t/app:1`, { SAFEBUILD_REGISTRY_TIMEOUT: "1" }), 4, /did not answer within 1 s/);
  });

  test("a layer that stalls mid-body", async () => {
    const image = await tinyImage(value);
    const layer = [...image.blobs.keys()][1]!;
    const server = await up(serving(image, (req, res) => (req.url?.endsWith(layer) ? (res.writeHead(200, { "content-length": "10000" }).write(Buffer.alloc(512)), true) : false)));
    expectOneLineError(await scan(`${server.host}/t/app:1`, { SAFEBUILD_REGISTRY_TIMEOUT: "1" }), 4, /did not answer within 1 s/);
  });

  test("429 is retried (Retry-After honoured), then succeeds", async () => {
    let refused = 0;
    const server = await up(serving(await tinyImage(value), (_req, res) => (refused++ < 2 ? (res.writeHead(429, { "retry-after": "0" }).end(), true) : false)));
    const run = await scan(`${server.host}/t/app:1`);
    expect(run.code, run.output).toBe(1);
  });

  test("429 for good: exit 4 after the retries", async () => {
    const server = await up((_req, res) => void res.writeHead(429, { "retry-after": "0" }).end());
    expectOneLineError(await scan(`${server.host}/t/app:1`), 4, /answered 429 \(rate limited\) 5 times/);
    expect(server.seen.length).toBeLessThanOrEqual(6);
  });

  test("a manifest over 4 MiB", async () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    const server = await up((req, res) => void res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" }).end(req.url === "/v2/" ? "{}" : big));
    expectOneLineError(await scan(`${server.host}/t/app:1`), 2, /larger than 4194304 bytes/);
  });

  test("a config blob that does not match its digest", async () => {
    const image = await tinyImage(value);
    const config = [...image.blobs.keys()][0]!;
    const server = await up(serving(image, (req, res) => (req.url?.endsWith(config) ? (res.writeHead(200).end('{"rootfs":{}}'), true) : false)));
    expectOneLineError(await scan(`${server.host}/t/app:1`), 4, /the registry served sha256:[0-9a-f]{64} for sha256:/);
  });

  test("a layer that does not match its digest (checked as it streams, refused before any report)", async () => {
    const image = await tinyImage(value);
    const layer = [...image.blobs.keys()][1]!;
    const other = (await tinyImage(`${value}-other`)).blobs;
    const server = await up(serving(image, (req, res) => (req.url?.endsWith(layer) ? (res.writeHead(200).end([...other.values()][1]), true) : false)));
    expectOneLineError(await scan(`${server.host}/t/app:1`), 4, /the registry served bytes that are not the image it named/);
  });

  /** The tiny image with its layer stored as gzip (the registry's usual form): its blob, and its gzip bytes. */
  async function gzipImage(content: string): Promise<{ image: TinyImage; layer: string; gz: Buffer }> {
    const tiny = await tinyImage(content);
    const [config, tar] = [...tiny.blobs.values()] as [Buffer, Buffer];
    const gz = gzipSync(tar);
    const layer = sha256Digest(gz);
    const parsed = JSON.parse(tiny.manifest.toString("utf8")) as { layers: { mediaType: string; digest: string; size: number }[] };
    parsed.layers = [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layer, size: gz.length }];
    const manifest = Buffer.from(JSON.stringify(parsed));
    return { image: { manifest, manifestDigest: sha256Digest(manifest), blobs: new Map([[sha256Digest(config), config], [layer, gz]]) }, layer, gz };
  }

  test("a gzip layer is scanned (the baseline of the three below)", async () => {
    const { image } = await gzipImage(value);
    const server = await up(serving(image));
    const run = await scan(`${server.host}/t/app:1`);
    expect(run.code, run.output).toBe(1);
    expect(JSON.parse(run.stdout.toString()).findings).toMatchObject([{ where: "file", path: "leak.txt" }]);
  });

  test("a gzip layer cut short (the connection ends before its length)", async () => {
    const { image, layer, gz } = await gzipImage(value);
    const server = await up(serving(image, (req, res) => (req.url?.endsWith(layer) ? (res.writeHead(200, { "content-length": String(gz.length) }).write(gz.subarray(0, 20)), res.destroy(), true) : false)));
    expectOneLineError(await scan(`${server.host}/t/app:1`), 4, /^safebuild: registry 127\.0\.0\.1:\d+ is unreachable \(ECONNRESET\)$/);
  });

  test("a gzip layer whose deflate data is corrupt (served as its digest says)", async () => {
    const { image, layer, gz } = await gzipImage(value);
    const bad = Buffer.from(gz);
    bad.fill(0xff, 12, bad.length - 8);
    const lying = new Map(image.blobs);
    lying.set(layer, bad);
    const server = await up(serving({ ...image, blobs: lying }));
    expectOneLineError(await scan(`${server.host}/t/app:1`), 2, /layer sha256:[0-9a-f]{64} is unreadable \(.+\)$/);
  });

  test("a gzip layer whose bytes are not its digest's (hashed as they stream)", async () => {
    const { image, layer } = await gzipImage(value);
    const other = (await gzipImage(`${value}-other`)).gz;
    const server = await up(serving(image, (req, res) => (req.url?.endsWith(layer) ? (res.writeHead(200).end(other), true) : false)));
    expectOneLineError(await scan(`${server.host}/t/app:1`), 4, /the registry served bytes that are not the image it named/);
  });

  test("a manifest by digest whose bytes are another's", async () => {
    const image = await tinyImage(value);
    const server = await up(serving(image));
    const wrong = sha256Digest(Buffer.from("something else"));
    const run = await scan(`${server.host}/t/app@${wrong}`);
    expectOneLineError(run, 2, /no such repository or tag/);
    const lying = await up(serving(image, (req, res) => (req.url?.endsWith(wrong) ? (res.writeHead(200).end(image.manifest), true) : false)));
    expectOneLineError(await scan(`${lying.host}/t/app@${wrong}`), 4, /the registry served sha256:[0-9a-f]{64} for sha256:/);
  });

  test("an index that lists itself (by its tag's bytes): refused, not followed round", async () => {
    const image = await tinyImage(value);
    // the index can only name itself by a digest its bytes do not have; the registry serves it anyway
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [{ mediaType: "application/vnd.oci.image.index.v1+json", digest: sha256Digest(Buffer.from("x")), size: 1 }] }));
    const server = await up(serving(image, (req, res) => (/manifests/.test(req.url ?? "") ? (res.writeHead(200, { "content-type": "application/vnd.oci.image.index.v1+json" }).end(index), true) : false)));
    expectOneLineError(await scan(`${server.host}/t/app:1`), 4, /the registry served sha256:[0-9a-f]{64} for sha256:/);
    expect(server.seen.filter((s) => /manifests/.test(s.path)).length).toBe(2);
  });

  test("an unreachable registry", async () => {
    const server = await standIn(() => undefined);
    const host = server.host;
    await server.close();
    expectOneLineError(await scan(`${host}/t/app:1`), 4, /is unreachable \(ECONNREFUSED\)/);
  });

  test("a malformed reference is a usage error before any request", async () => {
    expectOneLineError(await scan("127.0.0.1:1/Bad/App:1"), 2, /not an image reference \(repository names are lowercase/);
  });

  test("Basic credentials go to the registry only: a redirect to blob storage gets no Authorization", async () => {
    const image = await tinyImage(value);
    const layer = [...image.blobs.keys()][1]!;
    const storage = await up((_req, res) => void res.writeHead(200).end(image.blobs.get(layer)));
    const registry = await up((req, res) => {
      if (req.url !== "/v2/" && req.headers.authorization === undefined) return void res.writeHead(401, { "www-authenticate": 'Basic realm="r"' }).end();
      if (req.url?.endsWith(layer)) return void res.writeHead(307, { location: `http://${storage.host}/storage/layer` }).end();
      serving(image)(req, res);
    });
    mkdirSync(join(work, "docker"), { recursive: true });
    writeFileSync(join(work, "docker", "config.json"), JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`u:${password}`).toString("base64") } } }));
    try {
      const run = await scan(`${registry.host}/t/app:1`);
      expect(run.code, run.output).toBe(1);
      const basic = `Basic ${Buffer.from(`u:${password}`).toString("base64")}`;
      expect(registry.seen.filter((s) => s.authorization === basic).length).toBeGreaterThanOrEqual(3);
      expect(storage.seen).toEqual([{ path: "/storage/layer", authorization: undefined, method: "GET" }]);
    } finally {
      rmSync(join(work, "docker"), { recursive: true, force: true });
    }
  });

  test("a 401 that no credential answers names the sources tried, never a value", async () => {
    const server = await up((req, res) => void res.writeHead(req.url === "/v2/" ? 200 : 401, { "www-authenticate": 'Basic realm="r"' }).end());
    mkdirSync(join(work, "docker"), { recursive: true });
    writeFileSync(join(work, "docker", "config.json"), JSON.stringify({ auths: { [server.host]: { auth: Buffer.from(`u:${password}`).toString("base64") } } }));
    try {
      const run = await scan(`${server.host}/t/app:1`);
      expectOneLineError(run, 2, /needs credentials \(401\); refused the credential from .*config\.json auths/);
      expect(run.output).not.toContain(password);
    } finally {
      rmSync(join(work, "docker"), { recursive: true, force: true });
    }
    const bare = await scan(`${server.host}/t/app:1`);
    expectOneLineError(bare, 2, /needs credentials \(401\); found none/);
  });
});
