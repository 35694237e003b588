import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { docker, engineAnswers } from "../build/cli.js";
import { registryAvailable, startRegistry, type RegistryServer } from "../helpers/registry.js";

// The fixture every registry test stands on: the real distribution registry, pushed to by the real docker CLI.
const up = engineAnswers() && registryAvailable();

describe.skipIf(!up)("the real registry fixture", () => {
  let registry: RegistryServer;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  test("docker push to a loopback registry lands the tag (docker treats 127.0.0.1 as insecure-allowed)", async () => {
    const ref = `${registry.host}/fixture/busybox:1`;
    expect(docker(["tag", "local/busybox:1", ref]).status).toBe(0);
    const pushed = docker(["push", ref]);
    expect(pushed.status, pushed.stderr).toBe(0);
    docker(["rmi", ref]);
    const tags = (await (await fetch(`http://${registry.host}/v2/fixture/busybox/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toEqual(["1"]);
  });
});
