import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { sniffFormat } from "../../../src/scan/content/format.js";
import { ContentBudget } from "../../../src/scan/content/limits.js";
import { buildNeedles } from "../../../src/scan/findings/needles.js";
import { contentHits, scanLayerInChunks, secret, tarOf } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "sbtest-p12-"));
const run = (cmd: string, args: string[]): void => void execFileSync(cmd, args, { cwd: dir, stdio: "ignore" });
run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "1", "-subj", "/CN=app"]);
run("openssl", ["rsa", "-in", "key.pem", "-traditional", "-out", "key-pkcs1.pem"]);
/** `openssl pkcs12 -export` with `options`, the keystore's bytes */
const p12 = (name: string, ...options: string[]): Buffer => {
  run("openssl", ["pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem", "-out", name, ...options]);
  return readFileSync(join(dir, name));
};
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("PKCS#12 keystores: a key under a stock password is as good as in the clear", () => {
  const stores: Array<[string, () => Buffer]> = [
    ["openssl 3's default (PBES2, AES-256, PBKDF2), password changeit", () => p12("a.p12", "-passout", "pass:changeit")],
    ["PKCS#12 PBE with 3DES, password changeit", () => p12("b.p12", "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-passout", "pass:changeit")],
    ["no password", () => p12("c.p12", "-passout", "pass:")],
    ["the key not encrypted at all (-keypbe NONE)", () => p12("d.p12", "-keypbe", "NONE", "-certpbe", "NONE", "-passout", "pass:x")],
    [
      "written by Java's keytool (a Spring Boot server.ssl.key-store), password changeit",
      () => {
        p12("src.p12", "-passout", "pass:changeit");
        run("keytool", ["-importkeystore", "-srckeystore", "src.p12", "-srcstoretype", "pkcs12", "-srcstorepass", "changeit", "-destkeystore", "java.p12", "-deststoretype", "pkcs12", "-deststorepass", "changeit", "-noprompt"]);
        return readFileSync(join(dir, "java.p12"));
      },
    ],
  ];

  test.each(stores)("%s: the given key (PKCS#8, and as PKCS#1) found inside, by magic", async (_name, make) => {
    const store = make();
    expect(sniffFormat(store.subarray(0, 265))).toBe("pkcs12");
    for (const file of ["key.pem", "key-pkcs1.pem"]) {
      const needles = buildNeedles([secret("tls", readFileSync(join(dir, file)))]);
      const result = await scanLayerInChunks(needles, await tarOf([["app/config/keystore.bin", store]]));
      // the key's DER and its numbers: one place (a key in the clear is found in the file's bytes too)
      expect(contentHits(result).filter((h) => h.startsWith("pkcs12:")), file).not.toEqual([]);
      expect(new Set(contentHits(result).filter((h) => h.startsWith("pkcs12:")))).toEqual(new Set(["pkcs12:app/config/keystore.bin!/key-1"]));
      expect(result.notSearched).toEqual([]);
    }
  });

  test("hostile bytes (changed anywhere, cut anywhere) never throw: read as far as they go", async () => {
    const store = p12("g.p12", "-passout", "pass:changeit");
    const needles = buildNeedles([secret("tls", readFileSync(join(dir, "key.pem")))]);
    const entries: Array<[string, Buffer]> = [];
    for (let round = 0; round < 200; round++) {
      const damaged = Buffer.from(round % 4 === 0 ? store.subarray(0, (round * 37) % store.length) : store);
      for (let i = 0; i < 1 + (round % 9); i++) {
        const at = (round * 7919 + i * 104729) % damaged.length;
        damaged[at] = damaged[at]! ^ (1 << (i % 8));
      }
      entries.push([`d/${round}.p12`, damaged]);
    }
    const result = await scanLayerInChunks(needles, await tarOf(entries));
    expect(result.notSearched).toEqual([]);
  });

  test("the scan's allowance for opening keystores bounds a layer of many: what it could not try is not searched, with the limit", async () => {
    const needles = buildNeedles([secret("tls", readFileSync(join(dir, "key.pem")))]);
    // 2,048 rounds a try (openssl's default): the empty password opens the first, the second needs two tries
    const budget = new ContentBudget(undefined, 3000);
    const layer = await tarOf([["a/first.p12", p12("h.p12", "-passout", "pass:")], ["b/second.p12", p12("i.p12", "-passout", "pass:changeit")]]);
    const result = await scanLayerInChunks(needles, layer, 64 * 1024, budget);
    expect(new Set(contentHits(result).filter((h) => h.startsWith("pkcs12:")))).toEqual(new Set(["pkcs12:a/first.p12!/key-1"]));
    expect(result.notSearched).toEqual([expect.objectContaining({ path: "b/second.p12", reason: expect.stringMatching(/^pkcs12: keys not tried under the stock passwords: the scan's allowance for opening keystores \(50,000,000 PBKDF2 rounds, limit per scan\) is spent$/) })]);
  });

  test("a keystore under a password of its own: the key not opened, nothing reported (as an encrypted PEM key)", async () => {
    const store = p12("e.p12", "-passout", "pass:a-real-Passw0rd-9f3");
    const needles = buildNeedles([secret("tls", readFileSync(join(dir, "key.pem")))]);
    const result = await scanLayerInChunks(needles, await tarOf([["app/keystore.p12", store]]));
    expect(contentHits(result)).toEqual([]);
    expect(result.notSearched).toEqual([]);
    expect(result.unreadable).toEqual([]);
  });

  test("another key's keystore (the clean look-alike) and a damaged one: no finding, no fault", async () => {
    const needles = buildNeedles([secret("tls", readFileSync(join(dir, "key.pem")))]);
    run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.pem", "-out", "other.crt", "-days", "1", "-subj", "/CN=other"]);
    run("openssl", ["pkcs12", "-export", "-inkey", "other.pem", "-in", "other.crt", "-out", "other.p12", "-passout", "pass:changeit"]);
    const other = readFileSync(join(dir, "other.p12"));
    const damaged = Buffer.from(other);
    for (let i = 100; i < other.length; i += 37) damaged[i] = (damaged[i]! * 7 + 13) & 0xff;
    const result = await scanLayerInChunks(needles, await tarOf([["a/other.p12", other], ["b/damaged.p12", damaged], ["c/cut.p12", other.subarray(0, 900)]]));
    expect(contentHits(result)).toEqual([]);
    expect(result.notSearched).toEqual([]);
  });
});
