import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { Encoding } from "../../src/match/variant.js";
import { variantsOf } from "../../src/match/variants.js";
import { encodingsIn } from "./found.js";

const of = (value: string | Buffer) => variantsOf("s", Buffer.isBuffer(value) ? value : Buffer.from(value));
const named = (value: string | Buffer, encoding: Encoding): string[] => of(value).filter((v) => v.encoding === encoding).map((v) => v.bytes.toString("utf8"));
/** A random run without any character an escaper changes. */
const plain = (): string => randomBytes(12).toString("hex");

describe("UTF-16BE of narrow text (the LE needle shifted finds it only before a 00 byte)", () => {
  const value = `sbtest-${plain()}`;
  const be = (s: string): Buffer => Buffer.from(s, "utf16le").swap16();
  test.each([
    ["at the very end of a file", Buffer.concat([Buffer.from("header\n"), be(`T=${value}`)])],
    ["followed by a character from U+0100 on", be(`T=${value}€ more`)],
  ])("%s", (_name, hay) => {
    expect(encodingsIn(value, hay)).toEqual(["utf16be"]);
  });

  test("an ASCII value has a utf16be form of its own", () => {
    expect(named(value, "utf16be")).toHaveLength(1);
  });
});

describe("JSON inside JSON (a config in a JSON env var, PHP's json_encode twice)", () => {
  test.each([
    ["a base64 value's `/`, json_encode twice", `sbtest/${plain()}+x/y==`, (v: string) => JSON.stringify(JSON.stringify({ k: v }).replace(/\//g, "\\/")).replace(/\//g, "\\/")],
    ["a quote, JSON.stringify twice", `sbtest"${plain()}`, (v: string) => JSON.stringify(JSON.stringify({ k: v }))],
  ])("%s", (_name, value, write) => {
    expect(encodingsIn(value, `{"config":${write(value)}}`)).toEqual(["json"]);
  });
});

describe("JSON \\u escapes in upper case (Jackson, Gson, .NET)", () => {
  test.each([
    ["non-ASCII", "pässwörd-sbtest", "p\\u00E4ssw\\u00F6rd-sbtest"],
    ["a control character", "sbtest\u001fvalue", "sbtest\\u001Fvalue"],
    ["HTML-safe and upper", "a<b&c-sbtest-ä", "a\\u003Cb\\u0026c-sbtest-\\u00E4"],
  ])("%s", (_name, value, written) => {
    expect(named(value, "json")).toContain(written);
    expect(encodingsIn(value, `{"password":"${written}"}`)).toEqual(["json"]);
  });

  test("a literal backslash-u in the value is not taken for an escape", () => {
    expect(named("sbtest\\u00ab-x-é", "json")).not.toContain("sbtest\\\\u00AB-x-\\u00e9");
  });

  test("no upper-case form for printable ASCII", () => {
    expect(named(`sbtest-${plain()}`, "json")).toEqual([]);
  });
});

describe("XML and HTML entities", () => {
  test.each([
    ["element text", "p&ss<w>rd-sbtest", "p&amp;ss&lt;w&gt;rd-sbtest"],
    ["attribute, &quot;", 'pa"ss&word-sbtest', "pa&quot;ss&amp;word-sbtest"],
    ["all five named", `pa"ss'wo&rd-sbtest`, "pa&quot;ss&apos;wo&amp;rd-sbtest"],
    ["numeric (Go)", `pa"ss'word-sbtest`, "pa&#34;ss&#39;word-sbtest"],
    ["&#39; with &quot; (Ruby, Jinja)", `pa"ss'word-sbtest`, "pa&quot;ss&#39;word-sbtest"],
    ["&#x27; (Python html.escape)", "pa'ssword-sbtest", "pa&#x27;ssword-sbtest"],
  ])("%s", (_name, value, written) => {
    expect(named(value, "xml")).toContain(written);
    expect(encodingsIn(value, `<settings><password>${written}</password></settings>`)).toEqual(["xml"]);
  });

  test("at the end of a file", () => {
    expect(encodingsIn("p&ssword-sbtest", "<value>p&amp;ssword-sbtest")).toEqual(["xml"]);
  });

  test("only when the value holds & < > \" '", () => {
    expect(named(`sbtest-${plain()}`, "xml")).toEqual([]);
  });
});

describe("percent-encoding, partial escapers", () => {
  const pw = "aB3+dE/f9=x+Yz/Q1==";
  test.each([
    ["Python quote() keeps /", "aB3%2BdE/f9%3Dx%2BYz/Q1%3D%3D"],
    ["Go PathEscape keeps + = (escapes /)", "aB3+dE%2Ff9=x+Yz%2FQ1=="],
    ["only + escaped", "aB3%2BdE/f9=x%2BYz/Q1=="],
    ["only + escaped, lower case", "aB3%2bdE/f9=x%2bYz/Q1=="],
    ["only / escaped", "aB3+dE%2Ff9=x+Yz%2FQ1=="],
    ["only = escaped", "aB3+dE/f9%3Dx+Yz/Q1%3D%3D"],
    ["+ / = escaped, nothing else", "aB3%2BdE%2Ff9%3Dx%2BYz%2FQ1%3D%3D"],
  ])("%s", (_name, written) => {
    expect(named(pw, "url")).toContain(written);
    expect(encodingsIn(pw, `DATABASE_URL=postgres://app:${written}`)).toEqual(["url"]);
  });

  test("Go userinfo keeps , ; and escapes :", () => {
    expect(named("pass,wo;rd:x-sbtest", "url")).toContain("pass,wo;rd%3Ax-sbtest");
  });

  test("a password field of a DATABASE_URL, its + escaped", () => {
    const value = `DATABASE_URL=postgres://app:aB3+dEf9=x+YzQ1==@db:5432/x`;
    expect(encodingsIn(value, `url = "postgres://app:aB3%2BdEf9=x%2BYzQ1==@db"`)).toEqual(["url"]);
  });

  test("distinct forms only; a value without reserved characters only as every byte escaped", () => {
    const forms = named(pw, "url");
    expect(new Set(forms).size).toBe(forms.length);
    const value = `sbtest-${plain()}`;
    const every = [...Buffer.from(value)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
    expect(named(value, "url")).toEqual([every, every.toLowerCase()]);
    expect(encodingsIn(value, `<a href="https://x.example/?k=${every.toLowerCase()}">`)).toEqual(["url"]);
  });
});

describe("quotes doubled or escaped", () => {
  test.each<[string, Encoding, string, string]>([
    ["YAML single-quoted", "quoted", "it's-sbtest-pw", "it''s-sbtest-pw"],
    ["CSV / SQL", "quoted", 'say"hi"-sbtest', 'say""hi""-sbtest'],
    ["shell single-quoted", "shell", "it's-sbtest-pw", "it'\\''s-sbtest-pw"],
    ["shell single-quoted, '\"'\"'", "shell", "it's-sbtest-pw", `it'"'"'s-sbtest-pw`],
    ["shell double-quoted", "shell", 'a$b"c\\d`e-sbtest', 'a\\$b\\"c\\\\d\\`e-sbtest'],
    ["printf %q", "shell", "p@ss word!(x)&y-sbtest", "p@ss\\ word\\!\\(x\\)\\&y-sbtest"],
    ["printf %q, a leading # and ~", "shell", "#x=~y-sbtest-pw", "\\#x=\\~y-sbtest-pw"],
    ["PHP var_export (Laravel config:cache), Python repr with both quotes", "shell", `it's $ok! & "fine" \\-sbtest`, `it\\'s $ok! & "fine" \\\\-sbtest`],
    ["Java .properties", "properties", "a=b:c#d!e\\f-sbtest", "a\\=b\\:c\\#d\\!e\\\\f-sbtest"],
    ["Java .properties, a leading space", "properties", " lead=sbtest-pw", "\\ lead\\=sbtest-pw"],
    ["Java .properties, non-ASCII as \\uXXXX", "properties", "pässwort=sbtest", "p\\u00E4sswort\\=sbtest"],
    ["docker compose / make, $ doubled", "quoted", "pa$w0rd$-sbtest", "pa$$w0rd$$-sbtest"],
    ["configparser / supervisord, % doubled", "quoted", "50%off%-sbtest-pw", "50%%off%%-sbtest-pw"],
  ])("%s", (_name, encoding, value, written) => {
    expect(named(value, encoding)).toContain(written);
    expect(encodingsIn(value, `key: '${written}'\n`)).toContain(encoding);
  });

  test("at the end of a file", () => {
    expect(encodingsIn("it's-sbtest-pw", "password: 'it''s-sbtest-pw")).toEqual(["quoted"]);
  });

  test("only when the value holds a character the form changes", () => {
    const value = `sbtest-${plain()}`;
    for (const encoding of ["quoted", "shell", "properties"] as const) expect(named(value, encoding), encoding).toEqual([]);
    expect(named("it's-sbtest", "quoted")).toEqual(["it''s-sbtest"]);
  });
});

describe("a base64 or hex secret, its decoded bytes re-encoded", () => {
  const bytes = randomBytes(24);
  test("base64 secret written as hex of its bytes", () => {
    expect(encodingsIn(bytes.toString("base64"), `key=${bytes.toString("hex")}`)).toEqual(["decoded-hex"]);
    expect(encodingsIn(`${bytes.toString("base64")}\n`, `KEY=${bytes.toString("hex").toUpperCase()}`)).toEqual(["decoded-hex"]);
  });

  test("hex secret written as base64 of its bytes, either alphabet", () => {
    expect(encodingsIn(bytes.toString("hex"), `key=${bytes.toString("base64")}`)).toEqual(["decoded-base64"]);
    expect(encodingsIn(bytes.toString("hex"), bytes.toString("base64url"))).toContain("decoded-base64");
  });

  test("wrapped as the tools write them: `base64 -d | xxd -p` (60 a line), `xxd -r -p | base64` (76)", () => {
    const key = randomBytes(32);
    const lines = (text: string, width: number): string => (text.match(new RegExp(`.{1,${width}}`, "g")) ?? []).join("\n");
    expect(encodingsIn(key.toString("base64"), `${lines(key.toString("hex"), 60)}\n`)).toEqual(["decoded-hex-wrapped"]);
    const long = randomBytes(64);
    expect(encodingsIn(long.toString("hex"), `${lines(long.toString("base64"), 76)}\n`)).toEqual(["decoded-base64-wrapped"]);
  });

  test("not for under 16 decoded bytes", () => {
    const short = randomBytes(15);
    expect(of(short.toString("hex")).some((v) => v.encoding === "decoded-base64")).toBe(false);
    expect(of(short.toString("base64")).some((v) => v.encoding === "decoded-hex")).toBe(false);
  });
});

describe("template engines and PHP: a base64 value's + and / escaped", () => {
  const value = `sbtest+${plain()}/${plain()}+z==`;
  test.each([
    ["Go html/template in HTML text (`&#43;`)", (v: string) => `<p>key: ${v.replace(/\+/g, "&#43;")}</p>`, "xml"],
    ["Go html/template in a script (`\\u002b`, `\\/`)", (v: string) => `<script>const key = "${v.replace(/\+/g, "\\u002b").replace(/\//g, "\\/")}";</script>`, "quoted"],
    ["PHP's json_encode (`\\/`), as before", (v: string) => JSON.stringify({ key: v }).replace(/\//g, "\\/"), "json"],
  ])("%s", (_name, write, encoding) => {
    expect(encodingsIn(value, write(value))).toEqual([encoding]);
  });

  test("a value with neither has no such form", () => {
    const hex = plain();
    expect(of(hex).some((v) => v.bytes.includes("&#43;") || v.bytes.includes("\\/"))).toBe(false);
  });
});
