import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { encodingsIn as encodingsOf } from "./found.js";
import { describe, expect, test } from "vitest";

/** `text` with a line break every `width` characters (`base64 -w`, `fold -w`). */
const wrap = (text: string, width: number, eol = "\n", indent = ""): string =>
  (text.match(new RegExp(`.{1,${width}}`, "g")) ?? []).map((l) => indent + l).join(eol);

const b64 = (v: string | Buffer): string => Buffer.from(v).toString("base64");

/** As test/match/found.ts, with strings taken as latin1 (these cases write bytes above 0x7f). */
const encodingsIn = (value: string | Buffer, hay: string | Buffer): string[] => encodingsOf(value, hay, "latin1");

const token = `sbtest-${randomBytes(45).toString("base64url")}`;

/** RFC 4648 base32 by the book (5 bits at a time), as the reference the encoder is checked against. */
const base32 = (v: string | Buffer): string => {
  const bits = [...Buffer.from(v)].map((b) => b.toString(2).padStart(8, "0")).join("");
  return (bits.match(/.{1,5}/g) ?? []).map((g) => "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[parseInt(g.padEnd(5, "0"), 2)]).join("");
};
const pem = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const pemBody = pem.split("\n").filter((l) => l !== "" && !l.startsWith("-----")).join("");
const noise = (n: number): string => randomBytes(n).toString("base64").replace(/sbtest/g, "xxxxxx");

describe("base64 and hex wrapped over lines", () => {
  test.each([
    ["base64 -w 76", `${wrap(b64(token), 76)}\n`],
    ["openssl base64 (64)", `${wrap(b64(token), 64)}\n`],
    ["base64 -w 20", `${wrap(b64(token), 20)}\n`],
    ["width 23, CRLF", `${wrap(b64(token), 23, "\r\n")}\r\n`],
    ["YAML block, indented", `data: |\n${wrap(b64(token), 40, "\n", "    ")}\nnext: 1\n`],
    ["inside a longer stream, second alignment", wrap(b64(`x${token}\n`), 76)],
    ["inside a longer stream, third alignment", wrap(b64(`xy${token}`), 76)],
    ["JSON string with \\n escapes", `{"v":"${wrap(b64(token), 64, "\\n")}"}`],
    ["after 10 KB of other text (the stream's history wraps round)", `${wrap(noise(10_000), 76)}\n${wrap(b64(token), 76)}`],
  ])("%s: found as base64-wrapped", (_name, hay) => {
    expect(encodingsIn(token, `${noise(300)}\n${hay}\n${noise(300)}`)).toEqual(["base64-wrapped"]);
  });

  test("URL-safe alphabet and hex (xxd -p: 60 a line; indented at 32)", () => {
    // Bytes 0xfb 0xff encode as "-_": the URL-safe form must differ from the standard one.
    const value = Buffer.concat([Buffer.from("sbtest-"), Buffer.from([0xfb, 0xff, 0xfb]), randomBytes(57)]);
    // (one time in a hundred the random part's standard form has no + or / and is found too: the same characters)
    const urlForms = encodingsIn(value, wrap(value.toString("base64url"), 76));
    expect(urlForms).toContain("base64url-wrapped");
    expect(urlForms.filter((e) => e !== "base64url-wrapped")).toEqual(urlForms.includes("base64-wrapped") ? ["base64-wrapped"] : []);
    expect(encodingsIn(token, wrap(Buffer.from(token).toString("hex"), 60))).toEqual(["hex-wrapped"]);
    expect(encodingsIn(token, wrap(Buffer.from(token).toString("hex"), 32, "\n", "  "))).toEqual(["hex-wrapped"]);
    // xxd -p -u: upper-case, 60 a line
    expect(encodingsIn(token, `${wrap(Buffer.from(token).toString("hex").toUpperCase(), 60)}\n`)).toEqual(["hex-wrapped"]);
  });

  test("unwrapped base64 keeps its own name", () => {
    expect(encodingsIn(token, `x ${b64(token)} y`)).toEqual(["base64"]);
  });

  test.each([
    ["re-wrapped at 76", wrap(pemBody, 76)],
    ["re-wrapped at 64 with CRLF and indentation", wrap(pemBody, 64, "\r\n", "  ")],
    ["written with \\n escapes in JSON", `{"private_key":"-----BEGIN PRIVATE KEY-----\\n${wrap(pemBody, 64, "\\n")}\\n-----END PRIVATE KEY-----\\n"}`],
  ])("a PEM key %s: found as pem-wrapped", (_name, hay) => {
    expect(encodingsIn(pem, hay)).toContain("pem-wrapped");
  });

  test("a PEM key on one line: found as pem", () => {
    expect(encodingsIn(pem, `key=${pemBody}\n`)).toContain("pem");
  });
});

describe("a value folded as formats fold long lines, whatever its characters (a JWT has dots)", () => {
  const jwt = `eyJhbGciOiJIUzI1NiJ9.${randomBytes(60).toString("base64url")}.${randomBytes(32).toString("base64url")}`;
  /** `prefix` then the value, cut into lines of `width` bytes counting the prefix, joined by `eol`. */
  const folded = (prefix: string, width: number, eol: string, first = width): string => {
    const text = prefix + jwt;
    const lines = [text.slice(0, first)];
    for (let at = first; at < text.length; at += width) lines.push(text.slice(at, at + width));
    return lines.join(eol);
  };
  test.each([
    ["a JAR manifest (72 bytes a line, CRLF and one space)", folded("Build-Token: ", 71, "\r\n ", 72)],
    ["LDIF (76 columns, a newline and one space)", folded("description: ", 75, "\n ", 76)],
    ["fold -w 64", folded("", 64, "\n")],
    ["a .properties line continued with a backslash", folded("app.session.token=", 40, "\\\n    ")],
    ["a YAML double-quoted scalar continued with a backslash", folded('token: "', 50, "\\\n  ")],
    ["quoted-printable soft line breaks (=CRLF at 76)", folded("X-Token: ", 75, "=\r\n", 75)],
  ])("%s: found", (_name, hay) => {
    expect(encodingsIn(jwt, `${noise(200)}\n${hay}\n${noise(200)}`)).toEqual(["raw-wrapped"]);
  });

  test("a long passphrase PyYAML folds at its spaces (the break and the indentation between two words), and an RFC 822 header", () => {
    const passphrase = `correct horse ${randomBytes(6).toString("hex")} battery staple and seven more words for length`;
    const words = passphrase.split(" ");
    const yaml = `vault_passphrase: ${words.slice(0, 6).join(" ")}\n  ${words.slice(6).join(" ")}\n`;
    expect(encodingsIn(passphrase, yaml)).toEqual(["raw-wrapped"]);
    const header = `X-Passphrase: ${words.slice(0, 5).join(" ")}\r\n ${words.slice(5).join(" ")}\r\n`;
    expect(encodingsIn(passphrase, header)).toEqual(["raw-wrapped"]);
  });

  test.each([
    ["another value sharing its first 60 bytes, folded", () => folded("", 64, "\n").slice(0, 60) + randomBytes(80).toString("base64url")],
    ["the value with a word at a fold", () => folded("", 64, "\nx")],
    ["an equals sign not before a line break", () => folded("", 64, "=")],
  ])("stays quiet on %s", (_name, make) => {
    expect(encodingsIn(jwt, make())).toEqual([]);
  });
});

describe("values that are base64 or hex themselves", () => {
  test("a kubeconfig client-key-data decoded into the image: base64-decoded", () => {
    const kubeconfig = `users:\n- name: ci\n  user:\n    client-key-data: ${b64(pem)}\n`;
    expect(encodingsIn(kubeconfig, `${noise(100)}\n${pem}`)).toContain("base64-decoded");
  });

  test("a base64 keystore (wrapped at 76) decoded into binary: base64-decoded", () => {
    const keystore = randomBytes(200);
    expect(encodingsIn(`${wrap(keystore.toString("base64"), 76)}\n`, Buffer.concat([randomBytes(50), keystore, randomBytes(50)]))).toContain("base64-decoded");
  });

  test("a hex key decoded into binary: hex-decoded", () => {
    const key = randomBytes(32);
    expect(encodingsIn(key.toString("hex"), Buffer.concat([randomBytes(50), key]))).toEqual(["hex-decoded"]);
  });
});

describe("UTF-16 and byte-order marks", () => {
  // ASCII text between other UTF-16 text: each needle, shifted by a byte, is the other's form too
  test.each([
    [["utf16be", "utf16le"], token, Buffer.from(`$env:TOKEN = '${token}'`, "utf16le")],
    [["utf16be", "utf16le"], token, Buffer.from(Buffer.from(`"${token}"`, "utf16le")).swap16()],
    [["utf16be"], `${token}-é€`, Buffer.from(Buffer.from(`"${token}-é€"`, "utf16le")).swap16()],
    [["base64-utf16le"], token, Buffer.from(`pwsh -EncodedCommand ${b64(Buffer.from(`Write-Output '${token}'`, "utf16le"))}`)],
    [["base64-twice"], token, Buffer.from(b64(b64(token)))],
    [["base64-twice"], token, Buffer.from(`.dockerconfigjson: ${b64(JSON.stringify({ auths: { "r.example": { auth: b64(`ci:${token}`) } } }))}`)],
    [["base32"], token, Buffer.from(`secret=${base32(token)}&issuer=x`)],
    [["base32"], token, Buffer.from(`otpauth://totp/acme?secret=${base32(token).toLowerCase()}`)],
  ])("%s", (encodings, value, hay) => {
    expect(encodingsIn(value, hay)).toEqual(encodings);
  });

  test("a secret file starting with a UTF-8 BOM: the value without it is found raw", () => {
    expect(encodingsIn(`\ufeff${token}\n`, `export T=${token}\n`)).toEqual(["raw"]);
  });
});

describe("base64 twice and base32, inside longer text at every alignment of both", () => {
  test.each([0, 1, 2, 3, 4])("prefix of %i bytes before the value and before its base64", (n) => {
    const before = "x".repeat(n);
    expect(encodingsIn(token, b64(`${before}{"auth":"${b64(`${before}${token}`)}"}`))).toContain("base64-twice");
    expect(encodingsIn(token, base32(`${before}${token}-tail`))).toContain("base32");
  });

  test("the value with one character changed, or half of it, is neither", () => {
    const changed = `${token.slice(0, 30)}${token[30] === "A" ? "B" : "A"}${token.slice(31)}`;
    expect(encodingsIn(token, `${b64(b64(changed))}\n${base32(changed)}\n${b64(b64(token.slice(0, 25)))}\n${base32(token.slice(0, 25))}`)).toEqual([]);
  });
});

describe("look-alikes are not reported", () => {
  const changed = Buffer.from(token);
  changed[20] = changed[20] === 0x41 ? 0x42 : 0x41;
  const prefixTwin = `${token.slice(0, 30)}${randomBytes(30).toString("base64url")}`;
  test.each([
    ["the sha256 of the secret", createHash("sha256").update(token).digest("hex")],
    ["the sha256, base64 wrapped", wrap(createHash("sha512").update(token).digest("base64"), 20)],
    ["the secret with one byte changed, base64 wrapped", wrap(b64(changed), 76)],
    ["half of the secret, base64 wrapped", wrap(b64(token.slice(0, token.length / 2)), 20)],
    ["base64 of a value sharing a prefix, wrapped", wrap(b64(prefixTwin), 76)],
    ["random base64 text wrapped at 76", wrap(noise(4000), 76)],
    ["the secret's base64 with a word inside a line break", wrap(b64(token), 40, "\nx")],
    ["UTF-16 of a different string", Buffer.from(prefixTwin, "utf16le")],
  ])("%s", (_name, hay) => {
    expect(encodingsIn(token, hay)).toEqual([]);
  });
});
