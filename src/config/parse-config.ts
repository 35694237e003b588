import path from "node:path";
import { isMap, isScalar, LineCounter, parseDocument, type Document } from "yaml";
import type { z } from "zod";
import { isSafebuildError, usageError } from "../errors.js";
import type { SecretRef } from "../secrets/secret.js";
import { parseSecretSpec } from "../spec/parse-secret-spec.js";
import { ConfigSchema, type ConfigFile } from "./config-schema.js";
import type { IgnoreRule, LoadedConfig } from "./loaded-config.js";

/** Parses and validates one file's text; every error names `FILE:LINE: key.path:`. */
export function parseConfig(text: string, file: string, display = file): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    const line = lineCounter.linePos(firstError.pos[0]).line;
    // The parser's message can quote the source; keep its first sentence only.
    throw usageError(`${display}:${line}: not valid YAML: ${firstError.message.split("\n")[0] ?? ""}`);
  }
  const at = (keys: readonly PropertyKey[]): string => `${display}:${lineOf(doc, lineCounter, keys)}: ${keys.join(".") || "(top level)"}`;

  const parsed = ConfigSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    const keys = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0] ?? ""] : issue.path;
    const message = issue.code === "unrecognized_keys" ? `unknown key (known: ${knownKeysAt(issue.path)})` : issue.message;
    throw usageError(`${at(keys)}: ${message}`);
  }
  const dir = path.dirname(file);
  const config: ConfigFile = parsed.data;
  const build = config.build ?? {};
  const tags = build.tags === undefined ? [] : typeof build.tags === "string" ? [build.tags] : build.tags;
  const keyLines = [...Object.keys(config.secrets ?? {}).map((id) => ["secrets", id]), ["build", "context"], ["build", "file"], ["build", "push"], ["scan"]];
  const secrets = uniqueIds(Object.entries(config.secrets ?? {}).map(([key, source]) => [key, secretRefOf(key, source, dir, at(["secrets", key]))] as const), at);
  return {
    path: file,
    display,
    lines: Object.fromEntries(keyLines.map((keys) => [keys.join("."), lineOf(doc, lineCounter, keys)])),
    secrets,
    build: {
      context: build.context === undefined ? undefined : path.resolve(dir, build.context),
      file: build.file === undefined ? undefined : path.resolve(dir, build.file),
      tags,
      buildArgs: build.buildArgs ?? {},
      labels: build.labels ?? {},
      target: build.target,
      platform: build.platform,
      push: build.push === true,
    },
    rules: {
      specs: (config.scan?.rules ?? []).map((r) => ({
        id: r.id,
        title: r.title ?? r.id,
        severity: r.severity ?? "high",
        regex: r.regex,
        secretGroup: r.secretGroup,
        keywords: r.keywords,
        entropy: r.entropy,
        before: r.before,
        after: r.after,
        near: r.near,
        requires: r.requires,
        allowRegexes: r.allow,
        allowPaths: r.allowPaths,
        paths: r.paths,
        stopwords: r.stopwords,
      })),
      file: config.scan?.rulesFile === undefined ? undefined : path.resolve(dir, config.scan.rulesFile),
      mayLoosen: true,
    },
    scan: {
      failOn: config.scan?.failOn ?? "any",
      notSearched: config.scan?.notSearched ?? "fail",
      ignore: (config.scan?.ignore ?? []).map(
        (rule, i): IgnoreRule => ({
          secret: rule.secret,
          rule: rule.rule,
          path: rule.path,
          fingerprint: rule.fingerprint,
          where: rule.where,
          reason: rule.reason,
          line: lineOf(doc, lineCounter, ["scan", "ignore", i]),
        }),
      ),
    },
  };
}

/** The entries' refs; a docker-form entry names its own id (`other: "id=npmrc,src=…"`), so two may name one: an error naming both. */
function uniqueIds(entries: readonly (readonly [string, SecretRef])[], at: (keys: string[]) => string): SecretRef[] {
  const seen = new Map<string, string>();
  for (const [key, ref] of entries) {
    const first = seen.get(ref.id);
    if (first !== undefined) throw usageError(`${at(["secrets", key])}: secret ${ref.id} is given twice (also at ${at(["secrets", first])})`);
    seen.set(ref.id, key);
  }
  return entries.map(([, ref]) => ref);
}

/**
 * A `secrets:` entry through the `--secret` grammar (`ID=REF`). Relative file paths are taken
 * from the config file's directory, as Compose does, so the file works from any cwd.
 */
function secretRefOf(id: string, source: NonNullable<ConfigFile["secrets"]>[string], dir: string, where: string): SecretRef {
  const ref = typeof source === "string" ? source : "env" in source ? `env:${source.env}` : `file:${"src" in source ? source.src : source.source}`;
  let parsed: SecretRef;
  try {
    parsed = parseSecretSpec(`${id}=${ref}`);
  } catch (error) {
    if (isSafebuildError(error)) throw usageError(`${where}: ${error.message.replace(/^--secret "(?:[^"\\]|\\.)*": /, "")}`);
    throw error;
  }
  if (parsed.kind === "file") return { ...parsed, target: fromDir(dir, parsed.target) };
  if (parsed.kind === "dotenv") {
    const hash = parsed.target.lastIndexOf("#");
    return { ...parsed, target: `${fromDir(dir, parsed.target.slice(0, hash) || ".env")}${parsed.target.slice(hash)}` };
  }
  return parsed;
}

/** `~` stays for the provider to expand; anything else relative is taken from `dir`. */
const fromDir = (dir: string, target: string): string => (target === "~" || target.startsWith("~/") ? target : path.resolve(dir, target));

function lineOf(doc: Document, lineCounter: LineCounter, keys: readonly PropertyKey[]): number {
  for (let n = keys.length; n >= 0; n -= 1) {
    const offset = offsetOf(doc, keys.slice(0, n));
    if (offset !== undefined) return lineCounter.linePos(offset).line;
  }
  return 1;
}

/** The offset of the key itself when the last step is a map key (so "unknown key" points at it). */
function offsetOf(doc: Document, keys: readonly PropertyKey[]): number | undefined {
  if (keys.length === 0) return doc.contents?.range?.[0];
  const parent = doc.getIn(keys.slice(0, -1).map((k) => (typeof k === "number" ? k : String(k))), true);
  const last = keys[keys.length - 1];
  if (isMap(parent)) {
    const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last));
    if (pair && isScalar(pair.key)) return pair.key.range?.[0];
  }
  const node = doc.getIn(keys.map((k) => (typeof k === "number" ? k : String(k))), true) as { range?: [number, number, number] } | undefined;
  return node?.range?.[0];
}

function knownKeysAt(keys: readonly PropertyKey[]): string {
  const known: Record<string, string> = {
    "": "version, secrets, build, scan",
    build: "context, file, tags, buildArgs, labels, target, platform, push",
    scan: "failOn, ignore, notSearched, rules, rulesFile",
  };
  const joined = keys.filter((k) => typeof k !== "number").join(".");
  if (joined === "scan.ignore") return "secret, rule, path, where, fingerprint, reason";
  if (joined === "scan.rules") return "id, title, severity, regex, secretGroup, keywords, entropy, before, after, near, requires, allow, allowPaths, paths, stopwords";
  if (joined.startsWith("secrets.")) return "src, env";
  return known[joined] ?? "see the README";
}
