import { Writable } from "node:stream";
import type { SecretValue } from "../secrets/secret-value.js";
import type { MaskedStream, Masker } from "./masker-api.js";

const MASK = Buffer.from("***");

/** Provisional masker (raw values and their lines); the redaction issue replaces it. */
export function createMasker(): Masker {
  const needles: Buffer[] = [];
  const add = (bytes: Buffer): void => {
    const candidates = [bytes, ...bytes.toString("latin1").split(/\r?\n/).map((l) => Buffer.from(l, "latin1"))];
    for (const c of candidates) if (c.length >= 3 && !needles.some((n) => n.equals(c))) needles.push(Buffer.from(c));
    needles.sort((a, b) => b.length - a.length);
  };
  const maskBuffer = (chunk: Buffer): Buffer => {
    let out = chunk;
    for (const n of needles) {
      let at = out.indexOf(n);
      if (at === -1) continue;
      const parts: Buffer[] = [];
      let from = 0;
      while (at !== -1) {
        parts.push(out.subarray(from, at), MASK);
        from = at + n.length;
        at = out.indexOf(n, from);
      }
      parts.push(out.subarray(from));
      out = Buffer.concat(parts);
    }
    return out;
  };
  return {
    add: (_id: string, value: SecretValue) => add(value.expose()),
    addSensitive: add,
    maskBuffer,
    maskString: (text) => maskBuffer(Buffer.from(text)).toString(),
    wrap: (target) => {
      let pending = Buffer.alloc(0);
      const stream = new Writable({
        write(chunk: Buffer | string, _enc, done) {
          pending = Buffer.concat([pending, Buffer.from(chunk)]);
          const nl = pending.lastIndexOf(10);
          if (nl === -1) return done();
          const line = pending.subarray(0, nl + 1);
          pending = pending.subarray(nl + 1);
          target.write(maskBuffer(line), () => done());
        },
      }) as MaskedStream;
      stream.drain = async () => {
        if (pending.length > 0) {
          const rest = pending;
          pending = Buffer.alloc(0);
          await new Promise<void>((resolve) => target.write(maskBuffer(rest), () => resolve()));
        }
      };
      return stream;
    },
    wipe: () => {
      for (const n of needles) n.fill(0);
      needles.length = 0;
    },
  };
}
