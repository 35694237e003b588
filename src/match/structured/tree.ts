import { isUtf8 } from "node:buffer";
import { parseDocument } from "yaml";
import { basicAuth, classifyField, printableKey, searchableAlone, urlCredentials, urlSecretParts, type Form } from "./field.js";
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

/**
 * Keys a format says hold no credential, with the reason `check` prints; other keys are read
 * by their words and values. docker config.json: only `auth`, `identitytoken`, `registrytoken`,
 * `password` (and a proxy URL's `user:pass@`); a kubeconfig's names of clusters, contexts and users.
 */
type Settings = (key: string) => string | undefined;

const DOCKER_CREDENTIAL_KEY = /^(?:auth|identitytoken|registrytoken|password)$/i;
const KUBECONFIG_NAME_KEY = /^(?:name|cluster|context|user|current-context|namespace)$/;

const SETTINGS: Partial<Record<FormatName, Settings>> = {
  "docker-config": (key) => (DOCKER_CREDENTIAL_KEY.test(key) ? undefined : "docker setting"),
  kubeconfig: (key) => (KUBECONFIG_NAME_KEY.test(key) ? "name" : undefined),
};

function leaf(key: string, value: string, plan: PlanBuilder, settings?: Settings): void {
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
  const kind = classifyField(key, value, settings?.(key));
  if (!kind.credential) return plan.exclude(label, kind.reason);
  plan.credential(label, searchableAlone(value) ? [utf8(value), ...urlSecretParts(value).map(utf8)] : [], locate(value, plan));
  if (/^auth$/i.test(key)) for (const text of basicAuth(value)) plan.derived({ encoding: "field", bytes: Buffer.from(text, "utf8") });
}

/** `[{name: "TOKEN", value: "…"}]` (kubeconfig exec env, k8s env lists): the value under its name. */
function namedValue(node: Record<string, unknown>): [string, string] | undefined {
  const keys = Object.keys(node);
  return keys.length === 2 && typeof node.name === "string" && typeof node.value === "string" ? [node.name, node.value] : undefined;
}

/**
 * A command line (kubeconfig `exec` args): `--flag value` and `--flag=value` are read as a
 * setting named by the flag (`--cluster-name prod`, `--token …`), other words under `key`.
 */
function commandLine(args: readonly unknown[], key: string, plan: PlanBuilder, settings?: Settings): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg !== "string") continue;
    const flag = /^--?([A-Za-z][\w-]{0,63})(?:=([\s\S]*))?$/.exec(arg);
    const next = args[i + 1];
    if (flag?.[2] !== undefined) leaf(flag[1] ?? key, flag[2], plan, settings);
    else if (flag !== null && typeof next === "string" && !next.startsWith("-")) {
      leaf(flag[1] ?? key, next, plan, settings);
      i++;
    } else leaf(key, arg, plan, settings);
  }
}

function walk(node: unknown, key: string, depth: number, plan: PlanBuilder, settings?: Settings): void {
  if (depth > MAX_DEPTH) return;
  if (typeof node === "string") return leaf(key, node, plan, settings);
  if (Array.isArray(node)) {
    if (key === "args") return commandLine(node, key, plan, settings);
    for (const item of node) walk(item, key, depth + 1, plan, settings);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const record = node as Record<string, unknown>;
  const named = namedValue(record);
  if (named) return leaf(named[0], named[1], plan, settings);
  for (const [k, v] of Object.entries(record)) walk(v, k, depth + 1, plan, settings);
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
  const format = isRecord(root) ? formatOf(root, plain) : plain;
  walk(root, "", 0, plan, SETTINGS[format]);
  return plan.done(format);
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
