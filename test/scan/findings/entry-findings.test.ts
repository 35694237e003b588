import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import { scanImage } from "../../../src/scan/scan-image.js";
import { dockerArchive, tarOf } from "../../helpers/archives.js";
import { secret } from "../helpers.js";

const dir = mkdtempSync(path.join(tmpdir(), "sbtest-parts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a copied .npmrc is one raw finding, not also one per line and per token; a lone line elsewhere is still its own", async () => {
  const token = randomBytes(18).toString("base64url");
  const npmrc = Buffer.from(`@acme:registry=https://npm.acme.example/\n//npm.acme.example/:_authToken=${token}\n`);
  const layer = await tarOf([
    { name: "app/.npmrc", data: npmrc },
    { name: "app/token.txt", data: Buffer.from(`token: ${token}\n`) },
  ]);
  const file = path.join(dir, "image.tar");
  writeFileSync(file, await dockerArchive([layer]));
  const result = await scanImage({ ref: file, secrets: [secret("npmrc", npmrc.toString())], env: {}, cwd: dir });
  const byPath = (p: string): string[] => result.findings.filter((f) => f.path === p).map((f) => f.encoding);
  expect(byPath("app/.npmrc")).toEqual(["raw"]);
  expect(byPath("app/token.txt")).toEqual(["field"]);
});

test("a value in a tar header's owner name is found, reported against that entry", async () => {
  const token = randomBytes(12).toString("base64url");
  const layer = await tarOf([{ name: "etc/motd", data: Buffer.from("hello\n"), uname: token }]);
  const file = path.join(dir, "owner.tar");
  writeFileSync(file, await dockerArchive([layer]));
  const result = await scanImage({ ref: file, secrets: [secret("owner", token)], env: {}, cwd: dir });
  expect(result.findings).toEqual([expect.objectContaining({ secret: "owner", where: "path", path: "etc/motd", encoding: "raw" })]);
});

test("a path written twice in one layer: the first copy's value is deleted unless the last copy has it too", async () => {
  const token = randomBytes(18).toString("base64url");
  const layer = await tarOf([
    { name: "app/config", data: Buffer.from(`token=${token}\n`) },
    { name: "app/kept", data: Buffer.from(`token=${token}\n`) },
    { name: "app/link", type: "symlink", linkname: `/run/${token}` },
    { name: "app/config", data: Buffer.from("token=redacted\n") },
    { name: "app/kept", data: Buffer.from(`again ${token}\n`) },
    { name: "app/link", type: "symlink", linkname: "/run/nothing" },
  ]);
  const file = path.join(dir, "twice.tar");
  writeFileSync(file, await dockerArchive([layer]));
  const result = await scanImage({ ref: file, secrets: [secret("tok", token)], env: {}, cwd: dir });
  const found = result.findings.map((f) => [f.path, f.where, f.deleted]).sort();
  expect(found).toEqual([
    ["app/config", "file", true],
    ["app/kept", "file", false],
    ["app/link", "linkname", true],
  ]);
});
