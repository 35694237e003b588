/**
 * Names that hold a secret word but name a setting about the secret, not the secret: its
 * algorithm, length, policy or lifetime (`PASSWORD_HASH_ALGORITHM=argon2id`, `JWT_SECRET_TTL=7d`),
 * the header or name it goes by, where it is served (`TOKEN_URL`, `SECRETS_HOST`), its version or switch,
 * or an identifier that ends in "key" or "key id" (SonarQube's `sonar.projectKey`, `ACCESS_KEY_ID`).
 */
const QUALIFIERS = new Set(["algorithm", "algo", "length", "policy", "rounds", "iterations", "expiry", "expiration", "ttl", "lifetime", "header", "name", "url", "uri", "endpoint", "host", "port", "user", "username", "enabled", "version"]);
/** Last words of a name whose value says where the secret is (the official images' `POSTGRES_PASSWORD_FILE`). */
const LOCATIONS = new Set(["file", "path", "dir", "directory"]);
/** Absolute, relative to here or home, or a Windows drive's: a password is not written so. */
const PATH_VALUE = /^(?:\/|\.{1,2}\/|~\/|[A-Za-z]:[\\/])[^\s]*$/;
/** A file's name beside a `…_FILE` setting: lower case (MinIO's `MINIO_SECRET_KEY_FILE=secret_key`) or with an extension (`db.pass`). */
const FILE_NAME_VALUE = /^(?:[a-z0-9_.-]{1,128}|[A-Za-z0-9_-]{1,120}\.[A-Za-z0-9]{1,8})$/;
/** Last words that name an identifier, not a secret: `sonar.projectKey`, `AWS_ACCESS_KEY_ID`, `API_KEY_ID`. */
const IDENTIFIERS = new Set(["project key", "key id"]);
/** A `NAME=` or `NAME:` at the start of a line, `export`, a YAML list's `- `, indentation or a quote before it. */
const ASSIGNED = /(?:^|\n)[ \t]*(?:-[ \t]+)?(?:export[ \t]+)?["']?([A-Za-z0-9_.-]+)["']?[ \t]*[=:][ \t]*["']?$/;

/** The words of a name: split at `_`, `.`, `-` and camelCase humps, lower case. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
}

/** Whether the value at `window[start, end)` is assigned to a name that is a setting (above), not a secret. */
export function namesASetting(window: Buffer, start: number, end: number): boolean {
  const lineStart = Math.max(0, window.lastIndexOf(0x0a, start - 1), start - 512);
  const name = ASSIGNED.exec(window.toString("latin1", lineStart, start))?.[1];
  if (name === undefined) return false;
  const words = nameWords(name);
  const last = words.at(-1) ?? "";
  if (QUALIFIERS.has(last) || IDENTIFIERS.has(words.slice(-2).join(" "))) return true;
  const value = window.toString("latin1", start, end);
  return LOCATIONS.has(last) && (PATH_VALUE.test(value) || (last === "file" && FILE_NAME_VALUE.test(value)));
}
