/**
 * The private numbers of an unencrypted `openssh-key-v1` body (OpenSSH PROTOCOL.key): magic,
 * cipher and KDF names, the public keys, then one length-prefixed private section holding two
 * equal check words and, per key, its type and numbers. Only what `ssh-keygen` writes for
 * ssh-rsa, ssh-ed25519 and ecdsa-sha2-*; anything else (an encrypted body, a security-key
 * handle, DSA) gives nothing.
 */
const MAGIC = Buffer.from("openssh-key-v1\0", "latin1");
/** ssh-keygen writes one key a file; a few more are read, never an unbounded list. */
const MAX_KEYS = 4;
/** Field sizes of the curves OpenSSH names: a scalar is written this wide elsewhere (SEC1, JWK). */
const CURVE_BYTES: Record<string, number> = { nistp256: 32, nistp384: 48, nistp521: 66 };

export interface OpensshNumbers {
  /** `RSA`, `EC nistp256`, `Ed25519` */
  readonly kind: string;
  /** Name and big-endian bytes of each private number, fixed-width where the format has a width. */
  readonly numbers: readonly { readonly name: string; readonly bytes: Buffer; readonly width?: number }[];
}

/** A bounded reader of SSH wire data: every length is checked against what is left. */
class Wire {
  #at = 0;

  constructor(private readonly bytes: Buffer) {}

  uint32(): number {
    if (this.#at + 4 > this.bytes.length) throw new RangeError("truncated");
    const n = this.bytes.readUInt32BE(this.#at);
    this.#at += 4;
    return n;
  }

  string(): Buffer {
    const n = this.uint32();
    if (n > this.bytes.length - this.#at) throw new RangeError("truncated");
    const out = this.bytes.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }

  text(): string {
    return this.string().toString("latin1");
  }

  /** An unsigned mpint without its sign byte and leading zeros. */
  mpint(): Buffer {
    const b = this.string();
    let i = 0;
    while (i < b.length && b[i] === 0) i++;
    return b.subarray(i);
  }
}

const big = (b: Buffer): bigint => (b.length === 0 ? 0n : BigInt(`0x${b.toString("hex")}`));

function bytesOf(n: bigint): Buffer {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, "hex");
}

function keyNumbers(wire: Wire): OpensshNumbers | undefined {
  const type = wire.text();
  if (type === "ssh-rsa") {
    wire.mpint(); // n: public
    wire.mpint(); // e: public
    const d = wire.mpint();
    const qi = wire.mpint();
    const p = wire.mpint();
    const q = wire.mpint();
    // PKCS#1 holds d mod (p-1) and d mod (q-1) too: a key converted by ssh-keygen -m PEM has them
    const dp = bytesOf(big(d) % (big(p) - 1n));
    const dq = bytesOf(big(d) % (big(q) - 1n));
    return { kind: "RSA", numbers: [{ name: "d", bytes: d }, { name: "p", bytes: p }, { name: "q", bytes: q }, { name: "dp", bytes: dp }, { name: "dq", bytes: dq }, { name: "qi", bytes: qi }] };
  }
  if (type === "ssh-ed25519") {
    wire.string(); // public key
    const secret = wire.string();
    // seed followed by the public key: the seed is the private part
    if (secret.length !== 64) return undefined;
    return { kind: "Ed25519", numbers: [{ name: "seed", bytes: secret.subarray(0, 32), width: 32 }] };
  }
  const ec = /^ecdsa-sha2-(nistp\d+)$/.exec(type);
  if (ec !== null) {
    const curve = wire.text();
    wire.string(); // public point
    const width = CURVE_BYTES[curve];
    return width === undefined ? undefined : { kind: `EC ${curve}`, numbers: [{ name: "d", bytes: wire.mpint(), width }] };
  }
  return undefined;
}

/** The private numbers of each key in an unencrypted OpenSSH private key body; [] for anything else. */
export function opensshNumbers(body: Buffer): OpensshNumbers[] {
  if (!body.subarray(0, MAGIC.length).equals(MAGIC)) return [];
  try {
    const outer = new Wire(body.subarray(MAGIC.length));
    if (outer.text() !== "none") return [];
    outer.string(); // KDF name: "none" for an unencrypted body
    outer.string(); // KDF options
    const count = outer.uint32();
    if (count === 0 || count > MAX_KEYS) return [];
    for (let i = 0; i < count; i++) outer.string();
    const inner = new Wire(outer.string());
    // equal check words: the section is plain text, not ciphertext
    if (inner.uint32() !== inner.uint32()) return [];
    const out: OpensshNumbers[] = [];
    for (let i = 0; i < count; i++) {
      const key = keyNumbers(inner);
      if (key === undefined) break;
      out.push(key);
      inner.string(); // comment
    }
    return out;
  } catch (error) {
    if (error instanceof RangeError) return [];
    throw error;
  }
}
