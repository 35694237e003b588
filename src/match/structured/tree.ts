import { isUtf8 } from "node:buffer";
import { parseDocument } from "yaml";
import { basicAuth, classifyField, printableKey, searchableAlone, urlCredentials, type Form } from "./field.js";
import { addPrivateBlock, CERTIFICATE_REASON, pemBlocks } from "./pem.js";
import type { FormatName, PlanBuilder, StructuredPlan } from "./plan.js";

const MAX_DEPTH = 32;

/** Where a string of the parsed document sits in the text: as written, JSON-escaped, or its longest line. */
function locate(value: string, plan: PlanBuilder): number[] {
  const candidates = [value, JSON.stringify(value).slice(1, -1)];
  const longest = value.split("\n").reduce((a, b) => (b.trim().length > a.length ? b.trim() : a), "");
  if (longest.length >= 8) candidates.push(longest);
  for (const c of candidates) {
    const lines = plan.index.linesHolding(Buffer.from(c, "utf8"));
    if (lines.length > 0) return lines;
  }
  return [];
}

/** A string that is base64 of a PEM document (kubeconfig `client-key-data`): that PEM text. */
function base64Pem(value: string): string | undefined {
  if (value.length < 40 || !/^[A-Za-z0-9+/\s]+=*$/.test(value)) return undefined;
  const decoded = Buffer.from(value, "base64");
  if (!isUtf8(decoded)) return undefined;
  const text = decoded.toString("utf8");
  return text.includes("-----BEGIN ") ? text : undefined;
}

function leaf(key: string, value: string, plan: PlanBuilder): void {
  const label = printableKey(key);
  const utf8 = (text: string): Form => ({ text, encoding: "utf8" });
  const pemText = value.includes("-----BEGIN ") ? value : base64Pem(value);
  const blocks = pemText === undefined ? [] : pemBlocks(pemText);
  if (blocks.length > 0 && pemText !== undefined) {
    const secret = blocks.filter((b) => !b.isPublic);
    if (secret.length === 0) return plan.exclude(label, CERTIFICATE_REASON);
    const lines = locate(value, plan);
    plan.credential(label, pemText === value ? [utf8(value)] : [utf8(value), utf8(pemText)], lines);
    for (const b of secret) addPrivateBlock(plan, b, lines);
    return;
  }
  const inUrl = urlCredentials(value, "utf8");
  if (inUrl !== undefined) return plan.credential(label, inUrl, locate(value, plan));
  const kind = classifyField(key, value);
  if (!kind.credential) return plan.exclude(label, kind.reason);
  plan.credential(label, searchableAlone(value) ? [utf8(value)] : [], locate(value, plan));
  if (/^auth$/i.test(key)) for (const text of basicAuth(value)) plan.derived({ encoding: "field", bytes: Buffer.from(text, "utf8") });
}

/** `[{name: "TOKEN", value: "…"}]` (kubeconfig exec env, k8s env lists): the value under its name. */
function namedValue(node: Record<string, unknown>): [string, string] | undefined {
  const keys = Object.keys(node);
  return keys.length === 2 && typeof node.name === "string" && typeof node.value === "string" ? [node.name, node.value] : undefined;
}

function walk(node: unknown, key: string, depth: number, plan: PlanBuilder): void {
  if (depth > MAX_DEPTH) return;
  if (typeof node === "string") return leaf(key, node, plan);
  if (Array.isArray(node)) {
    for (const item of node) walk(item, key, depth + 1, plan);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const record = node as Record<string, unknown>;
  const named = namedValue(record);
  if (named) return leaf(named[0], named[1], plan);
  for (const [k, v] of Object.entries(record)) walk(v, k, depth + 1, plan);
}

function formatOf(root: Record<string, unknown>, plain: FormatName): FormatName {
  if (root.kind === "Config" || (Array.isArray(root.clusters) && Array.isArray(root.users))) return "kubeconfig";
  if (root.type === "service_account") return "gcp-service-account";
  if (typeof root.auths === "object" || typeof root.credsStore === "string" || typeof root.credHelpers === "object") return "docker-config";
  return plain;
}

function isRecord(node: unknown): node is Record<string, unknown> {
  return node !== null && typeof node === "object" && !Array.isArray(node);
}

function fromTree(root: unknown, plain: FormatName, plan: PlanBuilder): StructuredPlan | undefined {
  if (!isRecord(root) && !Array.isArray(root)) return undefined;
  walk(root, "", 0, plan);
  return plan.done(isRecord(root) ? formatOf(root, plain) : plain);
}

/** A JSON object or array: service-account keys, docker config.json, any JSON document. */
export function json(text: string, plan: PlanBuilder): StructuredPlan | undefined {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return undefined;
  }
  return fromTree(root, "json", plan);
}

const YAML_START = /^(?:---|[A-Za-z_][\w.-]{0,127}:(?:[ \t]|$))/;

/** A YAML mapping (a kubeconfig, a credentials file); a plain word or line is no YAML document here. */
export function yaml(text: string, plan: PlanBuilder): StructuredPlan | undefined {
  const first = text.split("\n").find((l) => l.trim().length > 0 && !l.trimStart().startsWith("#"));
  if (first === undefined || !YAML_START.test(first)) return undefined;
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) return undefined;
  const root: unknown = doc.toJS({ maxAliasCount: 100 });
  return isRecord(root) ? fromTree(root, "yaml", plan) : undefined;
}
