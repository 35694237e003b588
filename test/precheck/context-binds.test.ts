import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { runPrechecks } from "../../src/precheck/run-prechecks.js";
import { SecretValue } from "../../src/secrets/secret-value.js";

// RUN --mount=type=bind without from= mounts the build context into the step (BuildKit's
// dispatchRunMounts: the context at `source`, default its root). A secret-holding file there is a
// warning on the RUN line; a COPY of it stays the error (docs/dockerfile-checks.md).
const TOKEN = `sbtok-${randomBytes(18).toString("base64url")}`;
const root = mkdtempSync(join(tmpdir(), "sbtest-binds-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let messages: string[] = [];
async function findings(dockerfile: string, buildArgs: Record<string, string> = {}) {
  const dir = mkdtempSync(join(root, "ctx-"));
  for (const name of ["conf/.env", "other/.env", "conf.d/x.env"]) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), `K=${TOKEN}\n`);
  }
  writeFileSync(join(dir, "Dockerfile"), dockerfile);
  const r = await runPrechecks({
    secrets: [{ id: "tok", kind: "env", value: SecretValue.copyOf(Buffer.from(TOKEN)) }],
    buildArgs: new Map(Object.entries(buildArgs)),
    target: undefined,
    dockerfile: { path: join(dir, "Dockerfile"), display: "Dockerfile", text: dockerfile },
    contextDir: dir,
    ignore: [],
  });
  messages = r.findings.map((f) => f.message);
  return r.findings.filter((f) => f.kind === "context-file").map((f) => `${f.severity} ${f.path}${f.dockerfile === null ? "" : `@${f.dockerfile.line}`}`);
}

describe("bind mounts of the build context", () => {
  test("no source: the whole context is mounted; each secret file is a warning on the RUN line", async () => {
    expect(await findings("FROM a\nRUN --mount=type=bind,target=/src make -C /src\n")).toEqual(["warning conf.d/x.env@2", "warning conf/.env@2", "warning other/.env@2"]);
  });

  test("source=conf: that directory only (a plain path, not conf.d), dst and src aliases, ARG-expanded", async () => {
    const only = ["warning conf.d/x.env", "warning conf/.env@3", "warning other/.env"];
    expect(await findings("FROM a\nARG D=conf\nRUN --mount=type=bind,src=${D},dst=/c true\n")).toEqual(only);
    expect(await findings("FROM a\nARG D\nRUN --mount=type=bind,source=./${D}/,target=/c true\n", { D: "conf" })).toEqual(only);
    expect(await findings("FROM a\nRUN true\nRUN --mount=type=bind,source=conf/.env,target=/e true\n")).toEqual(only);
  });

  test("from= another stage or image, cache and tmpfs mounts: not the context", async () => {
    const none = ["warning conf.d/x.env", "warning conf/.env", "warning other/.env"];
    expect(await findings("FROM a AS b\nFROM a\nRUN --mount=type=bind,from=b,target=/b --mount=type=cache,target=/c --mount=type=tmpfs,target=/t true\n")).toEqual(none);
  });

  test("a stage the build does not run mounts nothing", async () => {
    expect(await findings("FROM a AS unused\nRUN --mount=type=bind,target=/src true\nFROM a\nRUN true\n")).toEqual(["warning conf.d/x.env", "warning conf/.env", "warning other/.env"]);
  });

  test("COPY and a bind mount of the same file: the COPY's error, and the message names both lines", async () => {
    const dir = "FROM a\nRUN --mount=type=bind,target=/src true\nCOPY conf /conf\n";
    expect(await findings(dir)).toEqual(["warning conf.d/x.env@2", "error conf/.env@3", "warning other/.env@2"]);
    expect(messages[1]).toBe('build context: conf/.env holds secret "tok" (raw): taken into the image by COPY at Dockerfile:3; bind-mounted into RUN --mount=type=bind at Dockerfile:2, where the step can read it (add it to .dockerignore)');
    expect(messages[0]).toContain("bind-mounted into RUN --mount=type=bind at Dockerfile:2: the step can read it and write it into the image");
  });
});
