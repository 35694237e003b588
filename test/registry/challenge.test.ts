import { describe, expect, test } from "vitest";
import { parseChallenges } from "../../src/registry/challenge.js";

describe("WWW-Authenticate challenges", () => {
  test.each([
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      [{ scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/alpine:pull" } }],
    ],
    ['Basic realm="Registry Realm"', [{ scheme: "basic", params: { realm: "Registry Realm" } }]],
    ['basic realm=x, Bearer realm="r", service=s', [{ scheme: "basic", params: { realm: "x" } }, { scheme: "bearer", params: { realm: "r", service: "s" } }]],
    ['Bearer realm="a\\"b"', [{ scheme: "bearer", params: { realm: 'a"b' } }]],
    ["Bearer", [{ scheme: "bearer", params: {} }]],
  ])("%s", (header, expected) => {
    expect(parseChallenges(header)).toEqual(expected);
  });

  test.each(["", "   ", '"quoted"', 'Bearer realm="unterminated', "Bearer realm=", "{json:1}"])("garbage %j is no challenge", (header) => {
    expect(parseChallenges(header)).toBeUndefined();
  });
});
