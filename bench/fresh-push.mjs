// Pushes the bench image to a registry with blob digests nobody has seen, for the registry bench's
// `docker pull` baseline: dockerd skips every blob whose digest it has pulled before ("Already
// exists"), and skopeo may reuse blobs it pushed in an earlier round, whatever gzip level it is
// asked for; and dockerd pulls nothing at all when it holds an image with the manifest's config
// digest (the bench image itself). Here each gzip layer gets a random MTIME in its header
// (bytes 4-7, which gunzip ignores) and the config a random label: same layer content and
// diff_ids, new blob and image digests, so every pull really downloads.
/* global URL */
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, openSync, readFileSync, readSync, closeSync, statSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { PassThrough } from "node:stream";

/** The image as gzip blobs in skopeo's `dir:` layout (once, not timed). */
export function gzipLayout(tarPath, dir) {
  const made = spawnSync("skopeo", ["copy", "--quiet", "--dest-compress", `docker-archive:${tarPath}`, `dir:${dir}`], { encoding: "utf8" });
  if (made.status !== 0) throw new Error(`skopeo copy to dir: failed: ${made.stderr.trim()}`);
}

function send(url, method, headers, body) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

/** The blob file with a fresh MTIME: its digest, size and a stream of its bytes. */
function freshBlob(path) {
  const size = statSync(path).size;
  const head = Buffer.alloc(Math.min(8, size));
  const fd = openSync(path, "r");
  readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  if (head[0] !== 0x1f || head[1] !== 0x8b || head.length < 8) return { size, head: null };
  randomBytes(4).copy(head, 4);
  const hash = createHash("sha256").update(head);
  const fd2 = openSync(path, "r");
  const buf = Buffer.allocUnsafe(1 << 20);
  for (let at = 8; at < size; ) {
    const n = readSync(fd2, buf, 0, buf.length, at);
    hash.update(buf.subarray(0, n));
    at += n;
  }
  closeSync(fd2);
  return { size, head, digest: `sha256:${hash.digest("hex")}` };
}

async function upload(base, repo, digest, size, body) {
  const started = await send(`${base}/v2/${repo}/blobs/uploads/`, "POST", { "content-length": "0" });
  if (started.status !== 202) throw new Error(`upload of ${digest}: POST answered ${started.status}`);
  const location = new URL(started.headers.location, base);
  location.searchParams.set("digest", digest);
  const put = await send(location, "PUT", { "content-length": String(size), "content-type": "application/octet-stream" }, body);
  if (put.status !== 201) throw new Error(`upload of ${digest}: PUT answered ${put.status} ${put.body}`);
}

/** Pushes `dir` (gzipLayout's) to http://HOST/REPO:TAG with fresh layer digests. Returns the manifest digest. */
export async function pushFresh(dir, host, repo, tag) {
  const base = `http://${host}`;
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  const config = JSON.parse(readFileSync(join(dir, manifest.config.digest.replace(/^sha256:/, "")), "utf8"));
  config.config = { ...config.config, Labels: { ...config.config?.Labels, "safebuild.bench.push": randomBytes(8).toString("hex") } };
  const configBytes = Buffer.from(JSON.stringify(config));
  manifest.config = { ...manifest.config, size: configBytes.length, digest: `sha256:${createHash("sha256").update(configBytes).digest("hex")}` };
  await upload(base, repo, manifest.config.digest, configBytes.length, configBytes);
  for (const layer of manifest.layers) {
    const path = join(dir, layer.digest.replace(/^sha256:/, ""));
    const fresh = freshBlob(path);
    if (fresh.head === null) throw new Error(`${path}: not a gzip blob`);
    const body = new PassThrough();
    body.write(fresh.head);
    createReadStream(path, { start: 8 }).pipe(body);
    await upload(base, repo, fresh.digest, fresh.size, body);
    layer.digest = fresh.digest;
  }
  const bytes = Buffer.from(JSON.stringify(manifest));
  const put = await send(`${base}/v2/${repo}/manifests/${tag}`, "PUT", { "content-type": manifest.mediaType, "content-length": String(bytes.length) }, bytes);
  if (put.status !== 201) throw new Error(`manifest PUT answered ${put.status} ${put.body}`);
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}
