import { spawnSync } from "node:child_process";
import { createPrivateKey, createPublicKey, randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * Private keys made and converted by the real tools, as a build would: `openssl` and
 * `ssh-keygen` run in a private temp dir. Under CI=true both must be there (scripts/ci-deps.sh).
 */
const has = (tool: string, probe: readonly string[]): boolean => spawnSync(tool, probe, { stdio: "ignore" }).error === undefined;
export const keyToolsPresent = has("openssl", ["version"]) && has("ssh-keygen", ["-?"]);
if (process.env["CI"] === "true" && !keyToolsPresent) throw new Error("openssl or ssh-keygen is missing: run scripts/ci-deps.sh");

export class KeyLab {
  readonly dir = mkdtempSync(path.join(tmpdir(), "sbtest-keys-"));

  path(name: string): string {
    return path.join(this.dir, name);
  }

  read(name: string): Buffer {
    return readFileSync(this.path(name));
  }

  write(name: string, data: string | Buffer): string {
    writeFileSync(this.path(name), data, { mode: 0o600 });
    return this.path(name);
  }

  /** Runs openssl in the lab (file names are relative to it); its stdout. */
  openssl(...args: string[]): Buffer {
    return run("openssl", args, this.dir);
  }

  /** Runs ssh-keygen in the lab, quietly. */
  sshKeygen(...args: string[]): Buffer {
    return run("ssh-keygen", ["-q", ...args], this.dir);
  }

  /** `name` copied to `to` and rewritten by `ssh-keygen -p` with `args` (`-m PEM`, a passphrase). */
  resave(name: string, to: string, ...args: string[]): Buffer {
    copyFileSync(this.path(name), this.path(to));
    this.sshKeygen("-p", "-P", "", "-N", "", ...args, "-f", to);
    return this.read(to);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function run(tool: string, args: readonly string[], cwd: string): Buffer {
  const r = spawnSync(tool, args, { cwd, maxBuffer: 1 << 24 });
  if (r.error !== undefined || r.status !== 0) throw new Error(`${tool} ${args.join(" ")}: ${r.error?.message ?? r.stderr.toString()}`);
  return r.stdout;
}

/** The colon-hex numbers of `openssl pkey -text -noout`, by section name (`privateExponent`, `priv`), unpadded. */
export function opensslTextNumbers(text: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let name: string | undefined;
  for (const line of text.split("\n")) {
    const head = /^([A-Za-z0-9]+):\s*$/.exec(line);
    if (head !== null) {
      name = head[1];
      continue;
    }
    if (name !== undefined && /^ {4}[0-9a-f]{2}(?::[0-9a-f]{2})*:?$/.test(line)) {
      const bytes = Buffer.from(line.trim().replace(/:/g, ""), "hex");
      out.set(name, Buffer.concat([out.get(name) ?? Buffer.alloc(0), bytes]));
    } else name = undefined;
  }
  for (const [k, v] of out) out.set(k, unpadded(v));
  return out;
}

/** A number without leading zero bytes (openssl's sign byte, a fixed width): numbers compare as numbers. */
export function unpadded(v: Buffer): Buffer {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  return v.subarray(i);
}

/** The JWK of a PEM private key (node), and of its public key. */
export function jwkOf(pem: string | Buffer): { privateJwk: string; publicJwk: string } {
  const key = createPrivateKey(pem);
  return { privateJwk: JSON.stringify(key.export({ format: "jwk" })), publicJwk: JSON.stringify(createPublicKey(key).export({ format: "jwk" })) };
}

/** The raw 32-byte public key of an Ed25519 seed (RFC 8410 PKCS#8 around it). */
export function ed25519PublicOf(seed: Buffer): Buffer {
  const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  return createPublicKey(createPrivateKey({ key: der, format: "der", type: "pkcs8" })).export({ format: "der", type: "spki" }).subarray(-32);
}

/** The key blob's last string in an `ssh-ed25519 AAAA… comment` line: the public key. */
export function sshEd25519Public(pubLine: string): Buffer {
  const blob = Buffer.from(pubLine.split(" ")[1] ?? "", "base64");
  return blob.subarray(blob.length - 32);
}

/** A unique file name part. */
export const tag = (): string => randomBytes(4).toString("hex");
