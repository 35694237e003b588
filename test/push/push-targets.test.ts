import { describe, expect, test } from "vitest";
import { isLoopbackRegistry, pushTargets, registryHostOf } from "../../src/push/push-targets.js";
import { skopeoCopyArgs } from "../../src/push/oci-push.js";

describe("which tags --push publishes", () => {
  test.each([
    ["127.0.0.1:5000/app:1", "127.0.0.1:5000"],
    ["registry.example.com/team/app", "registry.example.com"],
    ["localhost/app:1", "localhost"],
    ["docker.io/user/app:1", "docker.io"],
    ["[::1]:5000/app", "[::1]:5000"],
    ["user/app:1", undefined],
    ["app:1", undefined],
    ["app", undefined],
    ["/app", undefined],
  ])("%s names the registry %s (docker's rule: a . or : or localhost before the first /)", (tag, host) => {
    expect(registryHostOf(tag)).toBe(host);
  });

  test("tags without a registry stay local; the others are pushed", () => {
    expect(pushTargets(["app:dev", "reg.example.com/app:1", "localhost:5000/app:1"])).toEqual({
      pushed: ["reg.example.com/app:1", "localhost:5000/app:1"],
      local: ["app:dev"],
    });
  });

  test.each([
    [[], /^--push: no -t tag is given; tag the image HOST\[:PORT\]\/REPO\[:TAG\]/],
    [["app:1", "user/app"], /^--push: no -t tag names a registry \(app:1, user\/app\); .*docker\.io\/USER\/APP for Docker Hub/],
  ])("%j: exit 2 with one line", (tags, message) => {
    let caught: unknown;
    try {
      pushTargets(tags);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ exitCode: 2, message: expect.stringMatching(message) });
    expect((caught as Error).message).not.toContain("\n");
  });

  test.each([
    ["127.0.0.1:5000", true],
    ["127.9.8.7", true],
    ["localhost:5000", true],
    ["[::1]:5000", true],
    ["registry.example.com", false],
    ["128.0.0.1:5000", false],
    ["127.0.0.1.example.com", false],
  ])("%s is loopback: %s (plain HTTP as docker allows it, nothing else)", (host, loopback) => {
    expect(isLoopbackRegistry(host)).toBe(loopback);
  });

  test("skopeo uploads every platform with digests kept, TLS off only for loopback", () => {
    expect(skopeoCopyArgs("/p/layout", "127.0.0.1:5000/app:1", "/p/d")).toEqual([
      "copy", "--all", "--preserve-digests", "--dest-tls-verify=false", "--digestfile", "/p/d", "oci:/p/layout", "docker://127.0.0.1:5000/app:1",
    ]);
    expect(skopeoCopyArgs("/p/layout", "reg.example.com/app:1", "/p/d")).not.toContain("--dest-tls-verify=false");
  });
});
