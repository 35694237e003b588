import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { dockerArchive, tarOf } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";
import { alnum, checksummed, pem, token } from "./tokens.js";

/**
 * Leaks an adversarial sweep found slipping past the built-in rules (scan with no --secret),
 * and the clean look-alikes beside them that must stay quiet, through the real CLI on image
 * tarballs written here.
 */
const work = mkdtempSync(join(tmpdir(), "sbtest-sweep-"));
const utf16 = (text: string): Buffer => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace(/\n/g, "\r\n"), "utf16le")]);
const key = pem("PRIVATE KEY").trimEnd();
const values = {
  inName: token.github("p"),
  inLink: token.github("o"),
  inXattr: token.github("s"),
  docGithub: checksummed("ghp_"),
  docNpm: checksummed("npm_"),
  utf16Github: token.github("p"),
  utf16Key: pem("RSA PRIVATE KEY"),
  jwt: token.jwtSpaced(),
};
const lookalikes = { doc: token.github("p"), inName: alnum(36) };
const planted = [...Object.values(values), key, ...Object.values(lookalikes)];

interface Report {
  findings: { rule: string | null; where: string; path: string; preview?: string }[];
}

async function scan(name: string, entries: Parameters<typeof tarOf>[0]): Promise<{ code: number | null; found: string[] }> {
  const file = join(work, `${name}.tar`);
  writeFileSync(file, await dockerArchive([await tarOf(entries)]));
  const cli = await runCli(["scan", file, "--format", "json"], { cwd: work, secrets: planted });
  for (const value of planted) expect(cli.output).not.toContain(value);
  const report = JSON.parse(cli.stdout.toString()) as Report;
  return { code: cli.code, found: report.findings.map((f) => `${f.rule} ${f.where} ${f.path}`).sort() };
}

describe("the sweep's leaks, through the CLI on an image tarball", () => {
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("each is found, with its place (the path censored where the token is the name), and no look-alike beside them", async () => {
    const { code, found } = await scan("sweep", [
      { name: `app/tok_${values.inName}`, data: Buffer.from("x") },
      { name: "app/current", type: "symlink", linkname: `/run/secrets/tok_${values.inLink}` },
      { name: "app/tagged", data: Buffer.from("x"), pax: { "SCHILY.xattr.user.token": values.inXattr } },
      { name: "usr/share/doc/x/README", data: Buffer.from(`t=${values.docGithub}\n`) },
      { name: "opt/app/usr/share/doc/npmrc", data: Buffer.from(`//registry.npmjs.org/:_authToken=${values.docNpm}\n`) },
      { name: "app/c.xml", data: Buffer.from(`<config><key>${key.replace(/\n/g, "&#10;")}</key></config>\n`) },
      { name: "app/c.json", data: Buffer.from(JSON.stringify({ v: JSON.stringify({ private_key: `${key}\n` }) })) },
      { name: "app/k.pem", data: utf16(values.utf16Key) },
      { name: "app/cfg.txt", data: utf16(`[github]\nGH=${values.utf16Github}\n`) },
      { name: "app/session.txt", data: Buffer.from(`t=${values.jwt}\n`) },
      // the look-alikes: a token-shaped example in package documentation (no checksum), the
      // prefix inside a word, a public key and a key cut short under the same escapes, base64 of
      // pretty-printed JSON that is no token
      { name: "usr/share/doc/y/README", data: Buffer.from(`t=${lookalikes.doc}\n`) },
      { name: `app/notghp_${lookalikes.inName}`, data: Buffer.from("x") },
      { name: "app/public.xml", data: Buffer.from(`<key>-----BEGIN PUBLIC KEY-----&#10;${token.pemBody(270).replace(/\n/g, "&#10;")}&#10;-----END PUBLIC KEY-----</key>\n`) },
      { name: "app/doc.json", data: Buffer.from(JSON.stringify({ v: JSON.stringify({ private_key: "-----BEGIN PRIVATE KEY-----\nMIIEv...\n-----END PRIVATE KEY-----\n" }) })) },
      { name: "app/readme.txt", data: utf16(`GH=ghp_${alnum(20)}\n-----BEGIN PUBLIC KEY-----\n${token.pemBody(270)}\n-----END PUBLIC KEY-----\n`) },
      { name: "app/blob.txt", data: Buffer.from(`data=${Buffer.from(JSON.stringify({ name: alnum(12), version: "1.0.0" }, null, 2)).toString("base64")}\n`) },
    ]);
    expect(code).toBe(1);
    expect(found).toEqual(
      [
        "github-token path app/tok_***",
        "github-token linkname app/current",
        "github-token path app/tagged",
        "github-token file usr/share/doc/x/README",
        "npm-token file opt/app/usr/share/doc/npmrc",
        "private-key file app/c.xml",
        "private-key file app/c.json",
        "private-key file app/k.pem",
        "github-token file app/cfg.txt",
        "jwt file app/session.txt",
      ].sort(),
    );
  });

});
