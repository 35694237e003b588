import { statementBytes } from "./attestation-bytes.js";
import { openEnvelope } from "./dsse-envelope.js";
import { jsonPointer, searchJson, type SettingsOf } from "./json-search.js";
import { buildArgLine } from "./setting-lines.js";
import type { NeedleTable } from "./needles.js";

/** One match in an attestation blob: a needle's tag and where (a JSON pointer, `envelope:` one, or "" for bytes). */
export interface AttestationHit {
  readonly tag: number;
  readonly path: string;
}

export interface AttestationSearch {
  readonly hits: AttestationHit[];
  /** the statement's own `predicateType`, when it has one */
  readonly predicateType: string | undefined;
  /** neither JSON nor a statement: its bytes were searched */
  readonly asBytes: boolean;
}

/**
 * Searches one attestation blob: an in-toto statement (BuildKit's), the statement inside a
 * DSSE envelope (cosign's `.att`: its base64 payload decoded, hits named by the pointer into
 * the statement, as BuildKit's are; the envelope's other fields as `envelope:/POINTER`), any
 * other JSON (a signature payload, an SBOM) by pointer, anything else as bytes.
 */
export function searchAttestation(raw: Buffer, needles: NeedleTable, what: string): AttestationSearch {
  const bytes = statementBytes(raw);
  const value = jsonValue(bytes);
  if (value === undefined) return { hits: scanBytes(bytes, needles, ""), predicateType: undefined, asBytes: true };
  const envelope = openEnvelope(value);
  if (envelope === undefined) return { hits: pointed(bytes, needles, what, ""), predicateType: predicateTypeOf(value), asBytes: false };
  const statement = jsonValue(envelope.payload);
  const inside = statement === undefined ? scanBytes(envelope.payload, needles, "envelope:/payload") : pointed(envelope.payload, needles, `${what} (its DSSE payload)`, "");
  return { hits: [...inside, ...pointed(envelope.rest, needles, what, "envelope:")], predicateType: predicateTypeOf(statement), asBytes: false };
}

/** A provenance's `build-arg:NAME` parameter (SLSA 0.2's `invocation.parameters.args`, 1.0's `externalParameters.request.args`). */
const buildArgs: SettingsOf = (segments, text) => {
  const key = segments.at(-1);
  return typeof key === "string" ? buildArgLine(key, text) : null;
};

function pointed(bytes: Buffer, needles: NeedleTable, what: string, prefix: string): AttestationHit[] {
  return searchJson(bytes, needles, what, buildArgs).hits.map((hit) => ({ tag: hit.tag, path: `${prefix}${jsonPointer(hit.segments)}` }));
}

function scanBytes(bytes: Buffer, needles: NeedleTable, path: string): AttestationHit[] {
  const hits: AttestationHit[] = [];
  needles.matcher.scan(bytes, (tag) => void hits.push({ tag, path }));
  return hits;
}

function jsonValue(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}

function predicateTypeOf(value: unknown): string | undefined {
  const type = value !== null && typeof value === "object" ? (value as { predicateType?: unknown }).predicateType : undefined;
  return typeof type === "string" ? type : undefined;
}
