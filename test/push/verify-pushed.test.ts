import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { verifyPushed } from "../../src/push/verify-pushed.js";
import { serving, standIn, tinyImage, type StandIn } from "../registry/stand-in-registry.js";

// The HEAD after a push, against a stand-in registry (the real one is driven through the CLI in
// test/build/push.itg.test.ts): what counts as "the registry holds it".
const work = mkdtempSync(join(tmpdir(), "sbtest-verify-pushed-"));
const env = { DOCKER_CONFIG: join(work, "docker"), REGISTRY_AUTH_FILE: join(work, "none.json"), XDG_RUNTIME_DIR: "", SAFEBUILD_REGISTRY_TIMEOUT: "2" };
const servers: StandIn[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const options = { insecure: [], env, helperEnv: {}, sensitive: () => undefined };
const pushedAs = (host: string, digest: string) => [{ tag: `${host}/t/app:1`, descriptor: { mediaType: "application/vnd.oci.image.manifest.v1+json", digest, size: 1 } }];
const methods = (server: StandIn, seen: string[]) => server.seen.filter((s) => s.path.includes("/manifests/")).map((s, i) => `${seen[i]} ${s.path}`);

describe("verifyPushed: a HEAD of each pushed manifest by digest", () => {
  test("present: passes, with one HEAD by digest (never the tag, never a GET)", async () => {
    const image = await tinyImage("x");
    const verbs: string[] = [];
    const server = await standIn((req, res) => {
      if (req.url?.includes("/manifests/")) verbs.push(req.method ?? "");
      if (req.method === "HEAD" && req.url === `/v2/t/app/manifests/${image.manifestDigest}`) return void res.writeHead(200, { "docker-content-digest": image.manifestDigest }).end();
      serving(image)(req, res);
    });
    servers.push(server);
    await expect(verifyPushed(pushedAs(server.host, image.manifestDigest), options)).resolves.toBeUndefined();
    expect(methods(server, verbs)).toEqual([`HEAD /v2/t/app/manifests/${image.manifestDigest}`]);
  });

  test("absent (404): exit 4 naming the tag and the digest", async () => {
    const image = await tinyImage("x");
    const server = await standIn(serving(image));
    servers.push(server);
    const missing = `sha256:${"ab".repeat(32)}`;
    await expect(verifyPushed(pushedAs(server.host, missing), options)).rejects.toMatchObject({
      exitCode: 4,
      message: `the push of ${server.host}/t/app:1 reported ${missing}, but the registry has no such manifest (HEAD answered 404)`,
    });
  });

  test("a registry that names another digest for it: exit 4", async () => {
    const asked = `sha256:${"cd".repeat(32)}`;
    const other = `sha256:${"ef".repeat(32)}`;
    const server = await standIn((req, res) => void res.writeHead(200, req.url === "/v2/" ? {} : { "docker-content-digest": other }).end());
    servers.push(server);
    await expect(verifyPushed(pushedAs(server.host, asked), options)).rejects.toMatchObject({ exitCode: 4, message: expect.stringContaining(`names ${other} for manifest ${asked}`) });
  });

  test("a registry that wants credentials gets the docker config's, and the HEAD is repeated with them", async () => {
    const image = await tinyImage("x");
    const auth = `Basic ${Buffer.from("ci:pw-0123456789").toString("base64")}`;
    const server = await standIn((req, res) => {
      if (req.url === "/v2/") return void res.writeHead(200).end();
      if (req.headers.authorization !== auth) return void res.writeHead(401, { "www-authenticate": 'Basic realm="r"' }).end();
      res.writeHead(200, { "docker-content-digest": image.manifestDigest }).end();
    });
    servers.push(server);
    mkdirSync(env.DOCKER_CONFIG, { recursive: true });
    writeFileSync(join(env.DOCKER_CONFIG, "config.json"), JSON.stringify({ auths: { [server.host]: { auth: Buffer.from("ci:pw-0123456789").toString("base64") } } }));
    try {
      await expect(verifyPushed(pushedAs(server.host, image.manifestDigest), options)).resolves.toBeUndefined();
      expect(server.seen.filter((s) => s.path.includes("/manifests/")).map((s) => s.authorization)).toEqual([undefined, auth]);
    } finally {
      rmSync(env.DOCKER_CONFIG, { recursive: true, force: true });
    }
  });

  test("a registry that is down: exit 4", async () => {
    const server = await standIn(() => undefined);
    const host = server.host;
    await server.close();
    await expect(verifyPushed(pushedAs(host, `sha256:${"ab".repeat(32)}`), options)).rejects.toMatchObject({ exitCode: 4 });
  });
});
