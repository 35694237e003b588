import type { SubValue } from "../sub-value.js";
import type { PlanBuilder, StructuredPlan } from "./plan.js";
import { keyMaterialOf, type KeyMaterial } from "./private-key.js";

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]{1,64})-----([\s\S]*?)-----END \1-----/g;

/** Block types anyone may see: certificates, public keys, parameters, requests, CRLs. */
const PUBLIC_BLOCK = /^(?:(?:TRUSTED |X509 |NEW )?CERTIFICATE(?: REQUEST| PAIR)?|X509 CRL|(?:RSA |SSH2? )?PUBLIC KEY|PGP PUBLIC KEY BLOCK|PGP SIGNATURE|(?:DH|EC|DSA|X9\.42 DH) PARAMETERS|PKCS7|CMS)$/;

export interface PemBlock {
  readonly type: string;
  readonly isPublic: boolean;
  /** Offsets in the text the block was found in. */
  readonly start: number;
  readonly end: number;
  /** The base64 body without headers (`Proc-Type:`) and line breaks. */
  readonly body: string;
  /** The body's lines, whitespace removed. */
  readonly lines: readonly string[];
}

export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    const type = m[1] ?? "";
    // headers (`Proc-Type:`, `Version:`) and OpenPGP armour's checksum line (`=Ab3d`) are no body
    const lines = (m[2] ?? "").split(/\r?\n/).filter((l) => !l.includes(":") && !/^\s*=[A-Za-z0-9+/]{4}\s*$/.test(l));
    const body = lines.join("").replace(/\s+/g, "");
    const bodyLines = lines.map((l) => l.replace(/\s+/g, "")).filter((l) => l.length > 0);
    out.push({ type, isPublic: PUBLIC_BLOCK.test(type), start: m.index, end: m.index + m[0].length, body, lines: bodyLines });
  }
  return out;
}

/** The body without line breaks and its DER bytes: the key found re-wrapped or converted. */
export function pemForms(block: PemBlock): SubValue[] {
  if (block.body.length === 0 || !/^[A-Za-z0-9+/]+=*$/.test(block.body)) return [];
  return [
    { encoding: "pem", bytes: Buffer.from(block.body, "latin1") },
    { encoding: "pem", bytes: Buffer.from(block.body, "base64") },
  ];
}

/** Bytes of private numbers a body line must hold to be searched alone: a few could be a public file's by chance. */
const MIN_PRIVATE_BYTES_IN_LINE = 4;

export const PUBLIC_PART_REASON = "public part of the key";

/**
 * Body lines of a key that hold structure and public numbers only (a modulus, a public point):
 * the certificate and public key of the same key hold those bytes too, maybe in the same line.
 * Known only for a key whose numbers were read; a line's bytes are those its characters alone determine.
 */
export function publicOnlyLines(block: PemBlock, keys: readonly KeyMaterial[]): string[] {
  if (keys.length === 0) return [];
  const ranges = keys.flatMap((k) => k.privateRanges);
  const out: string[] = [];
  let at = 0;
  for (const line of block.lines) {
    const from = Math.ceil(at / 4) * 3;
    at += line.length;
    const to = Math.floor(at / 4) * 3;
    const held = ranges.reduce((sum, [start, end]) => sum + Math.max(0, Math.min(end, to) - Math.max(start, from)), 0);
    if (held < MIN_PRIVATE_BYTES_IN_LINE) out.push(line);
  }
  return out;
}

/**
 * The needles a private block adds to a credential already recorded (on `lines`): its body
 * forms, and the private numbers of the key it holds (found in the key converted to another
 * format). Its body lines of public bytes only are not searched alone.
 */
export function addPrivateBlock(plan: PlanBuilder, block: PemBlock, lines: readonly number[]): void {
  for (const sub of pemForms(block)) plan.derived(sub);
  const keys = keyMaterialOf(block.type, block.body);
  for (const key of keys) plan.keyMaterial(key.label, key.subValues, lines);
  plan.withhold(`${block.type} block`, PUBLIC_PART_REASON, publicOnlyLines(block, keys));
}

export const CERTIFICATE_REASON = "certificate or public key";
const PGP_PUBLIC_REASON = "an OpenPGP key's lines: its public key, user ids and signatures are the public export's too (the body is searched whole, unwrapped and decoded)";

/**
 * Text openssl writes around blocks: `openssl pkcs12 -nodes` (`Bag Attributes`, `subject=`,
 * indented attributes), `openssl x509 -text` and `req -text` (`Certificate:` then indented
 * fields: easy-rsa's issued certificates), `openssl rsa|ec|pkey -text` (`Private-Key: (2048 bit)`,
 * then its numbers' labels, each followed by indented hex: the key's own numbers, searched as its
 * key material). And `#` comments, which people put between a key and its chain.
 */
const OPENSSL_TEXT =
  /^(?:#.*|Bag Attributes|Key Attributes: ?.*|\s+\S.*|(?:subject|issuer)=.*|Certificate(?: Request)?:|(?:RSA |EC )?Private-Key: \(\d+ bit.*\)|(?:modulus|publicExponent|privateExponent|prime[12]|exponent[12]|coefficient|priv|pub):(?: \d+ \(0x[0-9a-f]+\))?|ASN1 OID: [\w-]+|NIST CURVE: [\w-]+|\s*)$/;

/**
 * A value made of PEM blocks only: private keys are searched (each body line, the body
 * unwrapped, the DER bytes, the key's private numbers), certificates and public keys are not searched alone.
 */
export function pemBundle(text: string, plan: PlanBuilder): StructuredPlan | undefined {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) return undefined;
  let outside = text.slice(0, blocks[0]?.start ?? 0);
  blocks.forEach((b, i) => (outside += "\n" + text.slice(b.end, blocks[i + 1]?.start ?? text.length)));
  if (!outside.split(/\r?\n/).every((l) => OPENSSL_TEXT.test(l))) return undefined;
  const index = plan.index;
  for (const block of blocks) {
    const first = index.lineOf(block.start);
    const last = index.lineOf(block.end - 1);
    const range = Array.from({ length: last - first + 1 }, (_, i) => first + i);
    if (block.isPublic) {
      plan.exclude(block.type, CERTIFICATE_REASON, range);
      continue;
    }
    // The armour lines are the same in every key file; the body lines are the key.
    const body = range.slice(1, -1).filter((n) => !index.text(n).includes(":"));
    plan.credential(`${block.type} block`, [], body);
    addPrivateBlock(plan, block, range);
    // an OpenPGP secret key holds its public key packet, user ids and self-signatures, line for
    // line as the public key export (`gpg --armor --export`) that signing builds ship: searched whole only
    if (block.type === "PGP PRIVATE KEY BLOCK") plan.withhold(`${block.type} block`, PGP_PUBLIC_REASON, block.lines);
  }
  const textLines = index.lines.map((_, i) => i + 1).filter((n) => index.text(n).trim().length > 0 && !blocks.some((b) => index.lineOf(b.start) <= n && n <= index.lineOf(b.end - 1)));
  if (textLines.length > 0) plan.exclude("openssl text", "description (comments, bag attributes, subject)", textLines);
  return plan.done("pem");
}
