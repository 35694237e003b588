import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { hexDumpForms, randomLooking } from "../../src/match/hex-dump.js";
import { encodingsIn } from "./found.js";

// Under CI=true the dump tools are there (scripts/ci-deps.sh): these cases run, never skip.
const has = (tool: string): boolean => spawnSync(tool, ["--version"], { stdio: "ignore" }).error === undefined;
const tools = { od: has("od"), xxd: has("xxd"), hexdump: has("hexdump") };
if (process.env["CI"] === "true" && !(tools.od && tools.xxd && tools.hexdump)) throw new Error("od, xxd or hexdump is missing: run scripts/ci-deps.sh");

const dump = (tool: string, args: readonly string[], input: Buffer): string => spawnSync(tool, args, { input, encoding: "latin1" }).stdout;
/** A token whose every 8-byte piece looks random (as nearly all do): the cases never depend on luck. */
function value(): Buffer {
  for (;;) {
    const v = Buffer.from(randomBytes(24).toString("base64url"));
    if (Array.from({ length: v.length - 7 }, (_, i) => v.subarray(i, i + 8)).every(randomLooking)) return v;
  }
}

describe("a value dumped by the usual tools is found, wherever it starts in a line", () => {
  const layouts: [string, boolean, (b: Buffer) => string][] = [
    ["od -An -tx1", tools.od, (b) => dump("od", ["-An", "-tx1"], b)],
    ["od -tx1 (with offsets)", tools.od, (b) => dump("od", ["-tx1"], b)],
    ["hexdump -C", tools.hexdump, (b) => dump("hexdump", ["-C"], b)],
    ["xxd", tools.xxd, (b) => dump("xxd", [], b)],
    ["od -x (16-bit words, little-endian)", tools.od, (b) => dump("od", ["-x"], b)],
    ["hexdump with no options (od -x's words)", tools.hexdump, (b) => dump("hexdump", [], b)],
    ["xxd -i", tools.xxd, (b) => dump("xxd", ["-i"], b)],
    ["colon hex, 15 a line", true, (b) => ([...b].map((x) => x.toString(16).padStart(2, "0")).join(":").match(/.{1,45}/g) ?? []).map((l) => `    ${l}`).join("\n")],
    ["\\x escapes", true, (b) => [...b].map((x) => `\\x${x.toString(16).padStart(2, "0")}`).join("")],
    // printf's and C's octal escapes, .NET's BitConverter.ToString, a hand-written array without blanks
    ["printf '\\141\\142…' (octal escapes)", true, (b) => `printf '${[...b].map((x) => `\\${x.toString(8).padStart(3, "0")}`).join("")}'`],
    ["BitConverter.ToString (61-62-…)", true, (b) => `var s = "${[...b].map((x) => x.toString(16).padStart(2, "0").toUpperCase()).join("-")}";`],
    ["BitConverter.ToString(…).ToLower()", true, (b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("-")],
    ["a C array without blanks", true, (b) => `static const unsigned char k[]={${[...b].map((x) => `0x${x.toString(16).padStart(2, "0")}`).join(",")}};`],
  ];
  test.each(layouts)("%s", (_name, present, layout) => {
    if (!present) return void console.log(`${_name}: tool missing here, case not run`);
    const v = value();
    for (let start = 0; start < 17; start++) {
      const text = layout(Buffer.concat([randomBytes(start), v, randomBytes(5)]));
      expect(encodingsIn(v, text), `value at byte ${start}`).toContain("hex-dump");
    }
  });
});

describe("hexDumpForms: what is searched, and what is not", () => {
  test("values under 16 bytes have no dump forms", () => {
    expect(hexDumpForms(Buffer.from(randomBytes(7).toString("hex").slice(0, 15)))).toEqual([]);
  });

  test("pieces that do not look random are left out (a dump of a binary holding a word or a run)", () => {
    const forms = hexDumpForms(Buffer.from("aaaaaaaaaaaaaaaaaaaaaaaa")).map(String);
    // only the whole value's one-line forms are left: escapes, BitConverter's, an array without blanks
    expect(forms.sort()).toEqual(["0x61,".repeat(24).slice(0, -1), "61-".repeat(24).slice(0, -1), "\\141".repeat(24), "\\x61".repeat(24)].sort());
  });

  test("a dump of other bytes is not a finding", () => {
    const v = value();
    expect(encodingsIn(v, dump("od", ["-An", "-tx1"], randomBytes(4096)))).toEqual([]);
  });
});

describe("dumps of structured and multi-line secrets: their credentials, never their boilerplate", () => {
  const pemKey = `-----BEGIN RSA PRIVATE KEY-----\n${randomBytes(600).toString("base64").replace(/.{64}/g, "$&\n").trimEnd()}\n-----END RSA PRIVATE KEY-----\n`;
  const npmrc = (token: string) => `registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${token}\n`;

  test("another key's armour, dumped as a C array, is not this key", () => {
    const other = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow…\n";
    expect(encodingsIn(pemKey, dump("xxd", ["-i"], Buffer.from(other)))).toEqual([]);
  });

  test("a dump of another .npmrc's boilerplate is not this one; a dump of this token is", () => {
    const token = `npm_${randomBytes(27).toString("base64url").slice(0, 36)}`;
    expect(encodingsIn(npmrc(token), dump("od", ["-An", "-tx1"], Buffer.from(npmrc("npm_" + "x".repeat(36)))))).toEqual([]);
    expect(encodingsIn(npmrc(token), dump("od", ["-An", "-tx1"], Buffer.from(`TOKEN=${token}\n`)))).toContain("hex-dump");
  });
});
