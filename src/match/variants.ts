import type { Variant } from "./variant.js";

/** Provisional: the raw value and its trailing-newline-less form. The redaction issue completes the set. */
export function variantsOf(secretId: string, value: Buffer): Variant[] {
  const out: Variant[] = [{ secretId, encoding: "raw", bytes: value }];
  if (value.length > 1 && value[value.length - 1] === 0x0a) {
    out.push({ secretId, encoding: "raw", bytes: value.subarray(0, value.length - 1) });
  }
  return out;
}
