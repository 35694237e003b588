import { closest } from "../did-you-mean.js";
import { usageError } from "../errors.js";
import type { SecretRef } from "../secrets/secret.js";
import { checkSecretId, quoteSpec } from "./secret-id.js";

const DOCKER_KEYS = new Set(["type", "id", "src", "source", "env"]);

/** Splits a spec the way buildx does (encoding/csv): commas separate, double quotes protect. */
export function splitCsv(spec: string): string[] | undefined {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i];
    if (quoted) {
      if (c === '"' && spec[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "" && !wasQuoted) {
      quoted = true;
      wasQuoted = true;
    } else if (c === ",") {
      fields.push(field);
      field = "";
      wasQuoted = false;
    } else {
      field += c;
    }
  }
  if (quoted) return undefined;
  fields.push(field);
  return fields;
}

const keyOf = (field: string): string | undefined => {
  const eq = field.indexOf("=");
  return eq > 0 ? field.slice(0, eq).toLowerCase() : undefined;
};

/**
 * The docker form (CONTRACT.md "Secret specs"): every field a buildx key, or two or more
 * fields led by one (`id=npmrc,src=.npmrc,typo=1` is a docker spec with a bad key, not a file).
 */
export function isDockerForm(spec: string): boolean {
  const fields = splitCsv(spec);
  if (fields === undefined || fields.length === 0) return false;
  const first = keyOf(fields[0] ?? "");
  if (fields.length >= 2 && first !== undefined && DOCKER_KEYS.has(first)) return true;
  return fields.every((f) => {
    const key = keyOf(f);
    return key !== undefined && DOCKER_KEYS.has(key);
  });
}

export function parseDockerForm(spec: string): SecretRef {
  const fields = splitCsv(spec) ?? [];
  let type: "file" | "env" | undefined;
  let id: string | undefined;
  let src: string | undefined;
  let env: string | undefined;
  for (const field of fields) {
    const eq = field.indexOf("=");
    const key = field.slice(0, eq).toLowerCase();
    if (eq <= 0) throw usageError(`--secret ${quoteSpec(spec)}: ${JSON.stringify(field)} is not key=value (the docker form is id=ID,src=PATH)`);
    if (!DOCKER_KEYS.has(key)) {
      const hint = closest(key, [...DOCKER_KEYS]);
      throw usageError(
        `--secret ${quoteSpec(spec)}: unknown key ${JSON.stringify(field.slice(0, eq))}${hint === undefined ? "" : ` (did you mean ${hint}?)`}; the docker form knows type, id, src, source, env`,
      );
    }
    const value = field.slice(eq + 1);
    if (key === "type") {
      if (value !== "file" && value !== "env") {
        throw usageError(`--secret ${quoteSpec(spec)}: unsupported type ${JSON.stringify(value)} (file or env)`);
      }
      type = value;
    } else if (key === "id") id = value;
    else if (key === "src" || key === "source") src = value;
    else env = value;
  }
  if (id === undefined) {
    // `env=…`, `src=…` alone: the ID=SOURCE form with an id that is one of docker's keys
    const named = fields.length === 1 ? fields[0]!.slice(0, fields[0]!.indexOf("=")) : undefined;
    const hint = named === undefined ? "" : ` (${JSON.stringify(named)} is a key of docker's form: write id=${named},src=PATH, or name the secret otherwise)`;
    throw usageError(`--secret ${quoteSpec(spec)}: missing id=${hint}`);
  }
  checkSecretId(id, spec);
  // buildx: with type=env, src names the variable.
  if (type === "env" && env === undefined && src !== undefined) {
    env = src;
    src = undefined;
  }
  if (src !== undefined && env !== undefined) {
    throw usageError(`--secret ${quoteSpec(spec)}: give either src= or env=, not both`);
  }
  if (src === "") throw usageError(`--secret ${quoteSpec(spec)}: src= is empty`);
  if (env === "") throw usageError(`--secret ${quoteSpec(spec)}: env= is empty`);
  if (src !== undefined) return { id, kind: "file", target: src, spec };
  if (env !== undefined) return { id, kind: "env", target: env, spec };
  // As BuildKit's secrets provider: whatever the type, neither src nor env means the
  // variable named ID if it is set, else the file ./ID.
  return { id, kind: "env", target: id, spec, fallbackFile: id };
}
