import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { runCli } from "../helpers/cli.js";
import { expectOneLineError, serving, standInsPerTest, tinyImage, type StandIn } from "./stand-in-registry.js";

// Referrer lookups against a registry that misbehaves where the real one cannot be made to:
// refusing a cosign tag, failing the referrers API, paging without end, lying about a digest.
const work = mkdtempSync(join(tmpdir(), "sbtest-hostile-referrers-"));
const value = `sbref-${randomBytes(16).toString("base64url")}`;
writeFileSync(join(work, "secret"), value);
const env = { DOCKER_CONFIG: join(work, "docker"), REGISTRY_AUTH_FILE: join(work, "none.json"), XDG_RUNTIME_DIR: "", SAFEBUILD_REGISTRY_TIMEOUT: "2" };
const started = standInsPerTest();
afterAll(() => rmSync(work, { recursive: true, force: true }));

const INDEX = "application/vnd.oci.image.index.v1+json";
const scan = (host: string) => runCli(["scan", "--secret", `tok=${join(work, "secret")}`, "--format", "json", `registry:${host}/t/app:1`], { env, secrets: [value], timeoutMs: 60_000 });

/** A well-behaved stand-in serving one clean image, but for what `override` answers. */
async function up(override: (url: string, res: ServerResponse, digest: string) => boolean): Promise<StandIn> {
  const image = await tinyImage("clean");
  return started(serving(image, (req, res) => override(req.url ?? "", res, image.manifestDigest)));
}

describe("referrer lookups at a registry that misbehaves", () => {
  test("a cosign tag the registry refuses (403): the registry's one-line error, exit 2, as for the image", async () => {
    const server = await up((url, res) => (url.endsWith(".att") ? (res.writeHead(403).end(), true) : false));
    expectOneLineError(await scan(server.host), 2, /registry:.*t\/app:1: the registry denied access \(403\)/);
  });

  test("tags are probed with HEAD (Docker Hub counts manifest GETs against its rate limit); a GET only for one that exists", async () => {
    const att = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.empty.v1+json", digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", size: 2 }, layers: [] });
    const server = await up((url, res) => (url.endsWith(".att") ? (res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" }).end(att), true) : false));
    const run = await scan(server.host);
    expect(run.code, run.output).toBe(0);
    const tagged = (suffix: string) => server.seen.filter((s) => s.path.endsWith(suffix)).map((s) => s.method);
    expect(tagged(".att")).toEqual(["HEAD", "GET"]);
    expect(tagged(".sig")).toEqual(["HEAD"]);
    expect(tagged(".sbom")).toEqual(["HEAD"]);
  });

  test("a referrers API that fails (500): exit 4, one line", async () => {
    const server = await up((url, res) => (url.includes("/referrers/") ? (res.writeHead(500).end(), true) : false));
    expectOneLineError(await scan(server.host), 4, /the registry answered 500/);
  });

  test("a referrer manifest whose bytes are not its digest's: exit 4, as for the image's own", async () => {
    const wrong = `sha256:${"d".repeat(64)}`;
    const server = await up((url, res, digest) => {
      if (url.endsWith(`/manifests/${digest.replace(":", "-")}`)) {
        return void res.writeHead(200, { "content-type": INDEX }).end(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: wrong, size: 2 }] })), true;
      }
      if (url.endsWith(`/manifests/${wrong}`)) return void res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" }).end("{}"), true;
      return false;
    });
    expectOneLineError(await scan(server.host), 4, new RegExp(`the registry served sha256:[0-9a-f]{64} for ${wrong}`));
  });

  test("a referrers API that pages without end: 8 pages read, the rest notSearched (exit 2, never a clean 0)", async () => {
    let pages = 0;
    const server = await up((url, res) => {
      if (!url.includes("/referrers/")) return false;
      pages++;
      const path = url.split("?")[0] ?? "";
      res.writeHead(200, { "content-type": INDEX, link: `<${path}?page=${pages}>; rel="next"` }).end(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [] }));
      return true;
    });
    const run = await scan(server.host);
    expect(run.code, run.output).toBe(2);
    expect(pages).toBe(8);
    expect(JSON.parse(run.stdout.toString()).notSearched).toEqual([expect.objectContaining({ reason: expect.stringMatching(/more pages of referrers than are read/) })]);
  });
});
