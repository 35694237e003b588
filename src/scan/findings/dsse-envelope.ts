/** A DSSE envelope opened: the payload's bytes, and the envelope's JSON without it. */
export interface OpenedEnvelope {
  readonly payloadType: string;
  readonly payload: Buffer;
  /** the envelope with `payload` left out (signatures, key ids), to search apart */
  readonly rest: Buffer;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$|^[A-Za-z0-9_-]*={0,2}$/;

/**
 * A DSSE envelope (secure-systems-lab/dsse v1: `payloadType`, `payload` base64, `signatures`),
 * as cosign attaches in-toto statements, told by its fields, not by a media type. undefined
 * for anything else, and for a payload that is not base64: such a document is searched whole.
 */
export function openEnvelope(value: unknown): OpenedEnvelope | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const { payload, payloadType, ...rest } = value as Record<string, unknown>;
  if (typeof payload !== "string" || typeof payloadType !== "string") return undefined;
  const text = payload.replace(/\s+/g, "");
  if (!BASE64.test(text) || text.replace(/=+$/, "").length % 4 === 1) return undefined;
  return { payloadType, payload: Buffer.from(text, text.includes("-") || text.includes("_") ? "base64url" : "base64"), rest: Buffer.from(JSON.stringify({ payloadType, ...rest })) };
}
