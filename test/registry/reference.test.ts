import { describe, expect, test } from "vitest";
import { parseRegistryRef } from "../../src/registry/reference.js";

describe("registry references, normalised as the docker CLI does", () => {
  test.each([
    ["alpine", "registry-1.docker.io", "library/alpine", "latest"],
    ["alpine:3.19", "registry-1.docker.io", "library/alpine", "3.19"],
    ["docker.io/alpine", "registry-1.docker.io", "library/alpine", "latest"],
    ["index.docker.io/library/alpine:1", "registry-1.docker.io", "library/alpine", "1"],
    ["user/app", "registry-1.docker.io", "user/app", "latest"],
    ["ghcr.io/o/r/app:v1.2", "ghcr.io", "o/r/app", "v1.2"],
    ["localhost/app", "localhost", "app", "latest"],
    ["localhost:5000/app:x", "localhost:5000", "app", "x"],
    ["127.0.0.1:5000/a/b", "127.0.0.1:5000", "a/b", "latest"],
    ["[::1]:5000/a", "[::1]:5000", "a", "latest"],
    ["reg.example:443/a.b_c__d-e/f--g", "reg.example:443", "a.b_c__d-e/f--g", "latest"],
  ])("%s", (text, registry, repository, reference) => {
    const ref = parseRegistryRef(text);
    expect([ref.registry, ref.repository, ref.reference]).toEqual([registry, repository, reference]);
  });

  test("a digest is what is asked for, with or without a tag beside it", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    expect(parseRegistryRef(`r.io/a@${digest}`)).toMatchObject({ reference: digest, tag: undefined, digest });
    expect(parseRegistryRef(`r.io/a:1@${digest}`)).toMatchObject({ reference: digest, tag: "1", digest });
  });

  test("Docker Hub's credentials are looked up under every name docker uses for it", () => {
    expect(parseRegistryRef("alpine").authKeys).toContain("https://index.docker.io/v1/");
    expect(parseRegistryRef("r.io:5000/a").authKeys).toEqual(["r.io:5000"]);
  });

  test.each([
    ["", "empty"],
    ["Upper/app", "lowercase"],
    ["r.io/a:bad tag", "malformed tag"],
    ["r.io/a@sha256:abc", "64 lowercase hex"],
    ["r.io/a@nothex", "malformed digest"],
    ["r.io//a", "malformed repository"],
    ["r.io/a/", "malformed repository"],
    ["-bad.io/a", "malformed registry host"],
    [`r.io/${"a".repeat(256)}`, "longer than 255"],
  ])("%j is refused as a usage error (exit 2) saying why", (text, why) => {
    let error: unknown;
    try {
      parseRegistryRef(text);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ exitCode: 2 });
    expect(String((error as Error).message)).toContain(why);
  });
});
