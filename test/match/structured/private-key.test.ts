import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, test } from "vitest";
import { describeSearch } from "../../../src/match/structured/describe.js";
import { pemBlocks } from "../../../src/match/structured/pem.js";
import { keyMaterialOf } from "../../../src/match/structured/private-key.js";
import { variantsOf } from "../../../src/match/variants.js";
import { KeyLab, ed25519PublicOf, keyToolsPresent, opensslTextNumbers, sshEd25519Public, unpadded } from "../../helpers/keys.js";

// Keys made by the real openssl and ssh-keygen; the private numbers checked against what
// `openssl pkey -text` prints of the same key (an oracle outside node's JWK export).
const lab = new KeyLab();
afterAll(() => lab.dispose());

const hex = (b: Buffer): string => unpadded(b).toString("hex");
/** The private numbers safebuild derives from the first private block of a PEM text, unpadded, as hex. */
function derived(pem: string | Buffer): { label: string; numbers: string[] }[] {
  const block = pemBlocks(pem.toString()).find((b) => !b.isPublic);
  if (block === undefined) return [];
  return keyMaterialOf(block.type, block.body).map((k) => ({ label: k.label, numbers: [...new Set(k.subValues.map((s) => hex(s.bytes)))].sort() }));
}
const oracle = (pemFile: string, ...names: string[]): string[] => {
  const numbers = opensslTextNumbers(lab.openssl("pkey", "-in", pemFile, "-text", "-noout").toString());
  return names.map((n) => hex(numbers.get(n) ?? Buffer.alloc(0))).sort();
};
const RSA_PRIVATE = ["privateExponent", "prime1", "prime2", "exponent1", "exponent2", "coefficient"];

describe.runIf(keyToolsPresent)("the private numbers of each kind of key", () => {
  test("RSA 2048, PKCS#8 and PKCS#1 (openssl rsa -traditional): d, p, q, dp, dq, qi, the same from both", () => {
    lab.openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa8.pem");
    lab.openssl("rsa", "-traditional", "-in", "rsa8.pem", "-out", "rsa1.pem");
    const expected = oracle("rsa8.pem", ...RSA_PRIVATE);
    expect(expected).toHaveLength(6);
    expect(derived(lab.read("rsa8.pem"))).toEqual([{ label: "RSA d, p, q, dp, dq, qi", numbers: expected }]);
    expect(derived(lab.read("rsa1.pem"))).toEqual([{ label: "RSA d, p, q, dp, dq, qi", numbers: expected }]);
  });

  test("EC P-256, SEC1 (openssl ecparam -genkey) and PKCS#8 (openssl pkcs8 -topk8): the scalar", () => {
    lab.openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec1.pem");
    lab.openssl("pkcs8", "-topk8", "-nocrypt", "-in", "ec1.pem", "-out", "ec8.pem");
    const expected = oracle("ec1.pem", "priv");
    for (const file of ["ec1.pem", "ec8.pem"]) {
      const [key] = derived(lab.read(file));
      expect(key?.label).toBe("EC P-256 d");
      expect(key?.numbers).toEqual(expected);
    }
  });

  test("Ed25519, PKCS#8 (openssl genpkey): the seed", () => {
    lab.openssl("genpkey", "-algorithm", "ed25519", "-out", "ed.pem");
    expect(derived(lab.read("ed.pem"))).toEqual([{ label: "Ed25519 seed", numbers: oracle("ed.pem", "priv") }]);
  });

  test("OpenSSH RSA (ssh-keygen): the numbers of its PEM conversion (ssh-keygen -p -m PEM)", () => {
    lab.sshKeygen("-t", "rsa", "-b", "2048", "-N", "", "-C", "", "-f", "id_rsa");
    lab.resave("id_rsa", "id_rsa.pem", "-m", "PEM");
    expect(lab.read("id_rsa").toString()).toContain("BEGIN OPENSSH PRIVATE KEY");
    expect(derived(lab.read("id_rsa"))).toEqual([{ label: "OpenSSH RSA d, p, q, dp, dq, qi", numbers: oracle("id_rsa.pem", ...RSA_PRIVATE) }]);
  });

  test("OpenSSH Ed25519 (ssh-keygen): the seed, whose public key is the .pub file's", () => {
    lab.sshKeygen("-t", "ed25519", "-N", "", "-C", "", "-f", "id_ed25519");
    const [key] = derived(lab.read("id_ed25519"));
    expect(key?.label).toBe("OpenSSH Ed25519 seed");
    const block = pemBlocks(lab.read("id_ed25519").toString())[0]!;
    const [seed] = keyMaterialOf(block.type, block.body)[0]?.subValues ?? [];
    expect(seed?.bytes).toHaveLength(32);
    expect(ed25519PublicOf(seed!.bytes).equals(sshEd25519Public(lab.read("id_ed25519.pub").toString()))).toBe(true);
  });

  test("OpenSSH ECDSA P-256 (ssh-keygen): the scalar of its PEM conversion", () => {
    lab.sshKeygen("-t", "ecdsa", "-b", "256", "-N", "", "-C", "", "-f", "id_ecdsa");
    lab.resave("id_ecdsa", "id_ecdsa.pem", "-m", "PEM");
    const [key] = derived(lab.read("id_ecdsa"));
    expect(key?.label).toBe("OpenSSH EC nistp256 d");
    expect(key?.numbers).toEqual(oracle("id_ecdsa.pem", "priv"));
  });
});

describe.runIf(keyToolsPresent)("never a public part", () => {
  test.each<[string, () => void, string, readonly string[]]>([
    ["RSA", () => lab.openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "pub-rsa.pem"), "pub-rsa.pem", ["modulus"]],
    ["EC", () => lab.openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "pub-ec.pem"), "pub-ec.pem", ["pub"]],
    ["Ed25519", () => lab.openssl("genpkey", "-algorithm", "ed25519", "-out", "pub-ed.pem"), "pub-ed.pem", ["pub"]],
  ])("%s: no needle is the public key or a piece of it", (_name, make, file, publicNames) => {
    make();
    const numbers = opensslTextNumbers(lab.openssl("pkey", "-in", file, "-text", "-noout").toString());
    const publics = publicNames.map((n) => numbers.get(n)!);
    const key = lab.read(file);
    const subValues = derived(key).flatMap((k) => k.numbers);
    for (const pub of publics) {
      // read as a number, a public key loses its leading zero bytes (1 in 256 Ed25519 keys is 31 bytes)
      expect(pub.length).toBeGreaterThanOrEqual(30);
      for (const n of subValues) expect(pub.toString("hex").includes(n) || n.includes(pub.toString("hex"))).toBe(false);
    }
    // nor is any derived form inside the public key's own bytes (SPKI DER, raw)
    const spki = lab.openssl("pkey", "-in", file, "-pubout", "-outform", "DER");
    for (const v of variantsOf("k", key).filter((x) => x.encoding.startsWith("key-material") && x.bytes.length >= 8)) {
      expect(spki.includes(v.bytes), v.encoding).toBe(false);
      for (const pub of publics) expect(pub.includes(v.bytes), v.encoding).toBe(false);
    }
  });
});

describe.runIf(keyToolsPresent)("body lines: those of public bytes only are not searched alone, the others are", () => {
  test.each<[string, () => void, string, number]>([
    ["PKCS#8 RSA 2048", () => lab.openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "lines-rsa.pem"), "lines-rsa.pem", 15],
    ["OpenSSH RSA 2048", () => lab.sshKeygen("-t", "rsa", "-b", "2048", "-N", "", "-f", "lines-id_rsa"), "lines-id_rsa", 10],
    ["OpenSSH Ed25519", () => lab.sshKeygen("-t", "ed25519", "-N", "", "-f", "lines-id_ed"), "lines-id_ed", 1],
  ])("%s", (_name, make, file, atLeast) => {
    make();
    const key = lab.read(file);
    const body = key.toString().trimEnd().split("\n").slice(1, -1);
    const needles = new Set(variantsOf("k", key).filter((v) => v.encoding === "line").map((v) => v.bytes.toString()));
    const searched = body.filter((l) => needles.has(l));
    // the lines of d, p, q…: a seed or d spans whole lines; the modulus's lines and the armour do not count
    expect(searched.length).toBeGreaterThanOrEqual(atLeast);
    expect(searched.length).toBeLessThan(body.length);
  });
});

describe.runIf(keyToolsPresent)("what gives nothing", () => {
  test("encrypted keys: PKCS#8 with a passphrase, a Proc-Type: 4,ENCRYPTED PKCS#1, OpenSSH with a passphrase", () => {
    lab.openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "plain.pem");
    lab.openssl("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:sbtest-passphrase", "-in", "plain.pem", "-out", "enc8.pem");
    lab.openssl("rsa", "-traditional", "-aes256", "-passout", "pass:sbtest-passphrase", "-in", "plain.pem", "-out", "enc1.pem");
    lab.sshKeygen("-t", "ed25519", "-N", "sbtest-passphrase", "-f", "id_enc");
    expect(lab.read("enc1.pem").toString()).toContain("Proc-Type: 4,ENCRYPTED");
    for (const file of ["enc8.pem", "enc1.pem", "id_enc"]) expect(derived(lab.read(file)), file).toEqual([]);
  });

  test("a body that is no key (random bytes, a truncated OpenSSH body) gives nothing and throws nothing", () => {
    const random = randomBytes(600).toString("base64");
    expect(keyMaterialOf("PRIVATE KEY", random)).toEqual([]);
    expect(keyMaterialOf("RSA PRIVATE KEY", random)).toEqual([]);
    expect(keyMaterialOf("OPENSSH PRIVATE KEY", random)).toEqual([]);
    lab.sshKeygen("-t", "rsa", "-b", "1024", "-N", "", "-f", "id_cut");
    const body = pemBlocks(lab.read("id_cut").toString())[0]!.body;
    const bytes = Buffer.from(body, "base64");
    for (const cut of [20, 100, 300, bytes.length - 40]) expect(keyMaterialOf("OPENSSH PRIVATE KEY", bytes.subarray(0, cut).toString("base64")), String(cut)).toEqual([]);
  });
});

describe.runIf(keyToolsPresent)("safebuild check names the numbers, never their bytes", () => {
  test("a PEM key, a .env with an inline key, a key inside other text", () => {
    lab.openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "check.pem");
    const pem = lab.read("check.pem").toString();
    const lines = pem.trimEnd().split("\n").length;
    // the modulus fills body lines 2-4 of a 1024-bit key: public, in its certificate too
    expect(describeSearch(Buffer.from(pem))).toBe(
      `pem; searched: whole value, 1 credential (PRIVATE KEY block lines 2-${lines - 1}), private numbers of 1 key (RSA d, p, q, dp, dq, qi lines 1-${lines}); not searched alone: PRIVATE KEY block lines 2-4 (public part of the key)`,
    );
    expect(describeSearch(Buffer.from(`API_URL=https://api.example.com/\nTLS_KEY="${pem.trimEnd()}"\n`))).toContain("private numbers of 1 key (RSA d, p, q, dp, dq, qi lines 2-");
    expect(describeSearch(Buffer.from(`notes about the key, a line of text\n${pem}`))).toContain("6 private key numbers found inside");
    const numbers = derived(pem).flatMap((k) => k.numbers);
    for (const text of [describeSearch(Buffer.from(pem))]) for (const n of numbers) expect(text).not.toContain(n.slice(0, 16));
  });
});
