import { usageError } from "../errors.js";

const ID = /^[A-Za-z0-9._-]+$/;

/** BuildKit's id alphabet; anything else cannot name a `/run/secrets/ID` file safely. */
export function checkSecretId(id: string, spec: string): string {
  if (id === "") throw usageError(`--secret ${quoteSpec(spec)}: the id is empty`);
  if (!ID.test(id)) {
    throw usageError(`--secret ${quoteSpec(spec)}: id ${JSON.stringify(id)} may only hold letters, digits, '.', '_' and '-'`);
  }
  return id;
}

/** Specs are references, not values, but they can be long: keep messages to one line. */
export function quoteSpec(spec: string): string {
  const flat = spec.replace(/[\r\n]+/g, " ");
  return JSON.stringify(flat.length > 80 ? `${flat.slice(0, 77)}...` : flat);
}
