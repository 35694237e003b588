import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { searchAttestation } from "../../../src/scan/findings/attestation-scan.js";
import { buildNeedles } from "../../../src/scan/findings/needles.js";
import { openEnvelope } from "../../../src/scan/findings/dsse-envelope.js";
import { secret } from "../helpers.js";

// An attestation blob as cosign (a DSSE envelope), BuildKit (a bare statement) or another tool
// (an SBOM, a signature payload) writes it: where a value is found, and by what name.

const value = "sbtest-dsse-Zk3q9Rw2Lp";
const needles = buildNeedles([secret("tok", value)]);
const statement = { _type: "https://in-toto.io/Statement/v1", predicateType: "https://slsa.dev/provenance/v1", predicate: { buildDefinition: { externalParameters: { args: { TOKEN: value } } } } };
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const envelope = (payload: string, extra: Record<string, unknown> = {}): Buffer => json({ payloadType: "application/vnd.in-toto+json", payload, signatures: [{ keyid: "", sig: "MEUCIQ==" }], ...extra });
const found = (raw: Buffer): { paths: string[]; predicateType: string | undefined; asBytes: boolean } => {
  const { hits, predicateType, asBytes } = searchAttestation(raw, needles, "test");
  return { paths: [...new Set(hits.map((h) => `${h.path} ${needles.variants[h.tag]?.encoding ?? "?"}`))], predicateType, asBytes };
};
const POINTER = "/predicate/buildDefinition/externalParameters/args/TOKEN";

describe("searchAttestation", () => {
  test.each([
    ["standard base64", json(statement).toString("base64")],
    ["URL-safe base64", json(statement).toString("base64url")],
    ["base64 wrapped over lines", json(statement).toString("base64").replace(/(.{76})/g, "$1\n")],
  ])("a DSSE envelope (%s): the statement's pointer, its predicateType; the payload's base64 is not reported again", (_name, payload) => {
    expect(found(envelope(payload))).toEqual({ paths: [`${POINTER} raw`], predicateType: statement.predicateType, asBytes: false });
  });

  test("a gzip-compressed envelope is opened the same way", () => {
    expect(found(gzipSync(envelope(json(statement).toString("base64")))).paths).toEqual([`${POINTER} raw`]);
  });

  test("the envelope's own fields are searched, named envelope:POINTER", () => {
    const clean = json({ ...statement, predicate: {} }).toString("base64");
    expect(found(envelope(clean, { signatures: [{ keyid: value, sig: "x" }] })).paths).toEqual(["envelope:/signatures/0/keyid raw"]);
  });

  test("a payload that decodes to no JSON is searched as bytes", () => {
    expect(found(envelope(Buffer.from(`token ${value} end`).toString("base64"))).paths).toEqual(["envelope:/payload raw"]);
  });

  test("a payload that is no base64 leaves the envelope a plain document, searched whole", () => {
    expect(openEnvelope({ payloadType: "t", payload: `not base64: ${value}` })).toBeUndefined();
    expect(found(envelope(`not base64: ${value}`)).paths).toEqual(["/payload raw"]);
  });

  test("a bare statement (BuildKit), another JSON document (an SBOM), bytes", () => {
    expect(found(json(statement))).toEqual({ paths: [`${POINTER} raw`], predicateType: statement.predicateType, asBytes: false });
    expect(found(json({ spdxVersion: "SPDX-2.3", packages: [{ comment: Buffer.from(value).toString("base64") }] })).paths).toEqual(["/packages/0/comment base64"]);
    expect(found(Buffer.from(`\x00binary ${value}`))).toEqual({ paths: [" raw"], predicateType: undefined, asBytes: true });
  });

  test("openEnvelope: only an object with string payload and payloadType", () => {
    expect(openEnvelope([])).toBeUndefined();
    expect(openEnvelope({ payload: "e30=" })).toBeUndefined();
    expect(openEnvelope({ payload: 1, payloadType: "t" })).toBeUndefined();
    expect(openEnvelope({ payload: "e30=", payloadType: "t", signatures: [] })).toEqual({ payloadType: "t", payload: Buffer.from("{}"), rest: json({ payloadType: "t", signatures: [] }) });
  });
});
