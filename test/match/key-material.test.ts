import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { hexDumpForms, randomBytesLooking } from "../../src/match/hex-dump.js";
import { KeyLab, jwkOf, keyToolsPresent } from "../helpers/keys.js";
import { encodingsIn } from "./found.js";

// A private key converted by the real tools holds the same key in other bytes: each form is
// found through the key's private numbers; the key's public forms and another key are not.
const lab = new KeyLab();
afterAll(() => lab.dispose());

const keyFindings = (secret: Buffer, hay: Buffer): string[] => encodingsIn(secret, hay).filter((e) => e.startsWith("key-material"));

describe.runIf(keyToolsPresent)("RSA: a PKCS#8 secret converted", () => {
  let secret: Buffer;
  beforeAll(() => {
    lab.openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem");
    lab.openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "other.pem");
    secret = lab.read("rsa.pem");
  });

  test.each<[string, () => Buffer, string]>([
    ["openssl rsa -traditional (PKCS#1 PEM)", () => lab.openssl("rsa", "-traditional", "-in", "rsa.pem"), "key-material-base64-wrapped"],
    ["openssl rsa -traditional -outform DER", () => lab.openssl("rsa", "-traditional", "-in", "rsa.pem", "-outform", "DER"), "key-material"],
    ["openssl pkey -text -noout", () => lab.openssl("pkey", "-in", "rsa.pem", "-text", "-noout"), "key-material-hex-dump"],
    ["openssl rsa -text (PEM after the text)", () => lab.openssl("rsa", "-traditional", "-in", "rsa.pem", "-text"), "key-material-hex-dump"],
    ["ssh-keygen -p (OpenSSH format)", () => (lab.write("rsa-ssh", lab.openssl("rsa", "-traditional", "-in", "rsa.pem")), lab.resave("rsa-ssh", "rsa-ssh2")), "key-material-base64-wrapped"],
    ["ssh-keygen -p -m RFC4716", () => (lab.write("rsa-4716", lab.openssl("rsa", "-traditional", "-in", "rsa.pem")), lab.resave("rsa-4716", "rsa-4716b", "-m", "RFC4716")), "key-material-base64-wrapped"],
    ["the PKCS#1 DER as a C array (xxd -i)", () => lab.openssl("rsa", "-traditional", "-in", "rsa.pem", "-outform", "DER"), "key-material-hex-dump"],
  ])("%s", (name, make, encoding) => {
    let hay = make();
    if (name.includes("xxd -i")) hay = Buffer.from(`unsigned char key_der[] = {\n${([...hay].map((b) => `0x${b.toString(16).padStart(2, "0")}`).join(", ").match(/.{1,72}(?:, |$)/g) ?? []).map((l) => `  ${l}`).join("\n")}\n};\n`);
    expect(hay.includes(secret.subarray(28, 60)), "a conversion, not the secret's own bytes").toBe(false);
    expect(keyFindings(secret, hay)).toContain(encoding);
  });

  test("the JWK: its private members", () => {
    const { privateJwk } = jwkOf(secret);
    expect(keyFindings(secret, Buffer.from(privateJwk)).some((e) => e === "key-material-base64url" || e === "key-material-base64")).toBe(true);
  });

  test("clean: the certificate, the public key (PEM, DER, text, JWK, OpenSSH .pub), another key", () => {
    const { publicJwk } = jwkOf(secret);
    lab.write("rsa-pub-src", lab.openssl("rsa", "-traditional", "-in", "rsa.pem"));
    const clean: [string, Buffer][] = [
      ["certificate", lab.openssl("req", "-x509", "-key", "rsa.pem", "-subj", "/CN=sbtest", "-days", "1")],
      ["certificate text", lab.openssl("req", "-x509", "-key", "rsa.pem", "-subj", "/CN=sbtest", "-days", "1", "-text")],
      ["public PEM", lab.openssl("pkey", "-in", "rsa.pem", "-pubout")],
      ["public SPKI DER", lab.openssl("pkey", "-in", "rsa.pem", "-pubout", "-outform", "DER")],
      ["public text", lab.openssl("pkey", "-in", "rsa.pem", "-text_pub", "-noout")],
      ["public JWK", Buffer.from(publicJwk)],
      ["OpenSSH .pub", lab.sshKeygen("-y", "-f", "rsa-pub-src")],
      ["another key, PKCS#1", lab.openssl("rsa", "-traditional", "-in", "other.pem")],
      ["another key, text", lab.openssl("pkey", "-in", "other.pem", "-text", "-noout")],
    ];
    for (const [name, hay] of clean) expect(encodingsIn(secret, hay), name).toEqual([]);
  });
});

describe.runIf(keyToolsPresent)("EC and Ed25519", () => {
  test("EC P-256 SEC1 secret: openssl pkcs8 -topk8, -outform DER, openssl ec -text, ssh-keygen -p, its JWK found; its public forms not", () => {
    lab.openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.pem");
    const secret = lab.read("ec.pem");
    lab.write("ec-ssh", secret);
    const found: [string, Buffer][] = [
      ["pkcs8", lab.openssl("pkcs8", "-topk8", "-nocrypt", "-in", "ec.pem")],
      ["pkcs8 DER", lab.openssl("pkcs8", "-topk8", "-nocrypt", "-in", "ec.pem", "-outform", "DER")],
      ["text", lab.openssl("ec", "-in", "ec.pem", "-text", "-noout")],
      ["OpenSSH", lab.resave("ec-ssh", "ec-ssh2")],
      ["JWK", Buffer.from(jwkOf(secret).privateJwk)],
    ];
    for (const [name, hay] of found) expect(keyFindings(secret, hay), name).not.toEqual([]);
    const clean: [string, Buffer][] = [
      ["certificate", lab.openssl("req", "-x509", "-key", "ec.pem", "-subj", "/CN=sbtest", "-days", "1")],
      ["public PEM", lab.openssl("ec", "-in", "ec.pem", "-pubout")],
      ["public text", lab.openssl("pkey", "-in", "ec.pem", "-text_pub", "-noout")],
      ["public JWK", Buffer.from(jwkOf(secret).publicJwk)],
      ["OpenSSH .pub", lab.sshKeygen("-y", "-f", "ec-ssh")],
    ];
    for (const [name, hay] of clean) expect(encodingsIn(secret, hay), name).toEqual([]);
  });

  test("Ed25519 PKCS#8 secret: -outform DER of the key as text, openssl pkey -text, its JWK found; the public key not", () => {
    lab.openssl("genpkey", "-algorithm", "ed25519", "-out", "ed.pem");
    const secret = lab.read("ed.pem");
    for (const [name, hay] of [
      ["text", lab.openssl("pkey", "-in", "ed.pem", "-text", "-noout")],
      ["JWK", Buffer.from(jwkOf(secret).privateJwk)],
      ["seed in a C array (xxd -i of the raw seed)", Buffer.from(`unsigned char k[] = {\n  ${[...lab.openssl("pkey", "-in", "ed.pem", "-outform", "DER").subarray(-32)].map((b) => `0x${b.toString(16).padStart(2, "0")}`).join(", ")}\n};`)],
    ] as const) expect(keyFindings(secret, Buffer.from(hay)), name).not.toEqual([]);
    for (const [name, hay] of [
      ["certificate", lab.openssl("req", "-x509", "-key", "ed.pem", "-subj", "/CN=sbtest", "-days", "1")],
      ["public DER", lab.openssl("pkey", "-in", "ed.pem", "-pubout", "-outform", "DER")],
      ["public text", lab.openssl("pkey", "-in", "ed.pem", "-text_pub", "-noout")],
      ["public JWK", Buffer.from(jwkOf(secret).publicJwk)],
    ] as const) expect(encodingsIn(secret, Buffer.from(hay)), name).toEqual([]);
  });

  test("OpenSSH Ed25519 secret re-saved by ssh-keygen (new comment, new check words): found; its .pub not", () => {
    lab.sshKeygen("-t", "ed25519", "-N", "", "-C", "first", "-f", "id_ed");
    const secret = lab.read("id_ed");
    lab.resave("id_ed", "id_ed2");
    lab.sshKeygen("-c", "-C", "second comment", "-P", "", "-f", "id_ed2");
    expect(lab.read("id_ed2").equals(secret)).toBe(false);
    expect(keyFindings(secret, lab.read("id_ed2"))).not.toEqual([]);
    expect(encodingsIn(secret, lab.read("id_ed.pub"))).toEqual([]);
  });
});

describe("openssl -text layout: colon hex, 15 a line, 4 spaces, a 00: sign byte", () => {
  test("a number at the start of a line (with and without 00:) is found, whichever bytes it holds", () => {
    // all bytes above 0x7f: no letter or digit in any piece, the text filter would drop them all
    const number = Buffer.from(Array.from({ length: 64 }, (_, i) => 0x80 + ((i * 37) % 128)));
    const forms = hexDumpForms(number, randomBytesLooking).map(String);
    for (const sign of ["", "00:"]) {
      const colon = (sign + [...number].map((b) => b.toString(16).padStart(2, "0")).join(":")).match(/.{1,45}/g)!.map((l) => `    ${l}`).join("\n");
      expect(forms.some((f) => colon.includes(f))).toBe(true);
    }
  });
});
