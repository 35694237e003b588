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

/** True when every field is `key=value` with a key buildx knows: then the spec is the docker form. */
export function isDockerForm(spec: string): boolean {
  const fields = splitCsv(spec);
  if (fields === undefined || fields.length === 0) return false;
  return fields.every((f) => {
    const eq = f.indexOf("=");
    return eq > 0 && DOCKER_KEYS.has(f.slice(0, eq).toLowerCase());
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
  if (id === undefined) throw usageError(`--secret ${quoteSpec(spec)}: missing id=`);
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
