import { describe, expect, test } from "vitest";
import { buildCommandSpec } from "../../src/buildkit/backends.js";
import type { Builder, BuildRequest } from "../../src/buildkit/builder.js";

const minimal: BuildRequest = {
  context: ".",
  dockerfile: undefined,
  tags: [],
  buildArgs: [],
  labels: [],
  target: undefined,
  platform: undefined,
  noCache: false,
  pull: false,
  secrets: [],
  iidfile: "/shm/d/iid",
  passthrough: [],
};
const full: BuildRequest = {
  context: "ctx",
  dockerfile: "ctx/Dockerfile.prod",
  tags: ["app:1", "app:latest"],
  buildArgs: ["BASE=local/busybox:1"],
  labels: ["team=x"],
  target: "runtime",
  platform: "linux/amd64",
  noCache: true,
  pull: true,
  secrets: [
    { id: "npmrc", path: "/dev/shm/safebuild-1-abcdef/0" },
    { id: "odd", path: "/run/user/1/a,b/1" },
  ],
  iidfile: "/shm/d/iid",
  passthrough: ["--network", "none"],
};
const classic: Builder = { kind: "classic-buildkit", docker: "/usr/bin/docker", clientVersion: "20.10.24", load: false };
const buildx = (load: boolean): Builder => ({ kind: "buildx", docker: "/usr/local/bin/docker", clientVersion: "28.2.2", load });

describe("backend command data", () => {
  test.each([
    ["classic, minimal", classic, minimal, ["build", "--progress=plain", "--iidfile", "/shm/d/iid", "."], { DOCKER_BUILDKIT: "1" }],
    ["buildx + docker driver, minimal", buildx(false), minimal, ["buildx", "build", "--progress=plain", "--iidfile", "/shm/d/iid", "."], {}],
    ["buildx + container driver, minimal", buildx(true), minimal, ["buildx", "build", "--progress=plain", "--iidfile", "/shm/d/iid", "--load", "."], {}],
    [
      "classic, every option",
      classic,
      full,
      [
        "build", "--progress=plain", "--iidfile", "/shm/d/iid", "--file", "ctx/Dockerfile.prod",
        "--tag", "app:1", "--tag", "app:latest", "--build-arg", "BASE=local/busybox:1", "--label", "team=x",
        "--target", "runtime", "--platform", "linux/amd64", "--no-cache", "--pull",
        "--secret", "id=npmrc,src=/dev/shm/safebuild-1-abcdef/0", "--secret", 'id=odd,"src=/run/user/1/a,b/1"',
        "--network", "none", "ctx",
      ],
      { DOCKER_BUILDKIT: "1" },
    ],
  ])("%s", (_name, builder, req, args, env) => {
    const spec = buildCommandSpec(builder, req);
    expect(spec.command).toBe(builder.docker);
    expect(spec.args).toEqual(args);
    expect(spec.env).toEqual(env);
  });
});

describe("--push with a buildx driver that is not docker: an OCI layout, never --load", () => {
  test("every platform of a list goes to the layout directory, quoted for buildx's CSV when it must be", () => {
    const spec = buildCommandSpec(buildx(true), { ...minimal, platform: "linux/amd64,linux/arm64", ociLayout: "/tmp/safebuild-push-x/layout" });
    expect(spec.args).toEqual([
      "buildx", "build", "--progress=plain", "--iidfile", "/shm/d/iid", "--platform", "linux/amd64,linux/arm64",
      "--output", "type=oci,dest=/tmp/safebuild-push-x/layout,tar=false", ".",
    ]);
    expect(buildCommandSpec(buildx(true), { ...minimal, ociLayout: "/tmp/a,b/layout" }).args).toContain('type=oci,"dest=/tmp/a,b/layout",tar=false');
  });
});
