import { isUtf8 } from "node:buffer";

/**
 * What a `key = value` pair of a structured secret is: a credential to search for, or a public
 * setting with the reason it is not searched alone. Key names are split into words (`_authToken`,
 * `aws_secret_access_key`, `clientSecret`), so `passenger_count` or `MONKEY` name no credential.
 */
export type FieldKind = { readonly credential: true } | { readonly credential: false; readonly reason: string };

const CREDENTIAL_WORDS = new Set([
  "secret",
  "secrets",
  "token",
  "password",
  "passwd",
  "passphrase",
  "pass",
  "pwd",
  "pw",
  "auth",
  "credential",
  "credentials",
  "apikey",
  "key",
  "cookie",
  "salt",
  "dsn",
  "private",
]);
/** Words run together without a separator (`identitytoken`, `apikey`, `clientsecret`). */
const CREDENTIAL_SUFFIX = /(?:token|secret|password|passwd|passphrase|apikey|accesskey|secretkey|privatekey|signingkey|masterkey|encryptionkey)$/;

/** Keys whose last word says the value is public; the reason shown by `safebuild check`. */
const PUBLIC_LAST_WORD: Record<string, string> = {
  url: "URL",
  uri: "URL",
  urls: "URL",
  endpoint: "URL",
  server: "URL",
  host: "host name",
  hostname: "host name",
  domain: "host name",
  port: "port",
  registry: "registry URL",
  repository: "repository URL",
  region: "region",
  email: "email address, an identifier",
  user: "user name, an identifier",
  username: "user name, an identifier",
  login: "user name, an identifier",
  id: "identifier",
  arn: "identifier",
  serial: "identifier",
  name: "name",
  path: "file path",
  dir: "file path",
  file: "file path",
  type: "setting",
  format: "setting",
  output: "setting",
  mode: "setting",
  prefix: "setting",
  algorithm: "setting",
  provider: "setting",
  version: "setting",
  process: "command",
  command: "command",
  cmd: "command",
  ttl: "setting",
  timeout: "setting",
  expiry: "setting",
  expiration: "setting",
};

const TRIVIAL = /^(?:true|false|yes|no|on|off|null|none|nil|undefined|-?\d{1,12}(?:\.\d+)?)$/i;
/** `${NPM_TOKEN}`, `${env.MAVEN_PASSWORD}` (Maven), `$TOKEN`, `<your token>`, `REPLACE_WITH_YOUR_TOKEN`, `xxxx`, `***`. */
const PLACEHOLDER = /^(?:\$\{?[A-Za-z_][A-Za-z0-9_.]*(?::?-[^}]*)?\}?|<[^<>]*>|x{3,}|X{3,}|\*{3,}|\.{3}|changeme|change[_-]me|replace[_-]?me|(?:replace[_-]with|your|insert)[_-][\w-]*)$/i;

/**
 * Where a key is kept rather than the key (Maven `<privateKey>${user.home}/.ssh/id_rsa`,
 * `SSH_PRIVATE_KEY=/run/secrets/key`): a path of plain names from a home, a variable or a
 * system folder. A base64 token may start with `/` and hold more; it starts with no such root.
 */
const FILE_PATH = /^(?:(?:~|\$\{[\w.]{1,64}\}|\$[A-Za-z_]\w{0,63}|%\w{1,64}%|[A-Za-z]:)|\/(?:home|root|etc|run|var|usr|opt|tmp|srv|mnt|secrets|app|Users|data|workspace)(?=\/|$))(?:[\\/][\w.-]{1,255}){0,64}[\\/]?$/;

/** Lowercase words of a key: `aws_secret_access_key` → aws secret access key; `clientSecret` → client secret. */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** Bits per character: random tokens score high, words and URLs low. */
function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / text.length) * Math.log2(n / text.length);
  return bits;
}

/** Words joined by dashes score high too; a generated token also mixes digits or cases. */
export function looksRandom(text: string): boolean {
  const mixed = /\d/.test(text) || (/[a-z]/.test(text) && /[A-Z]/.test(text));
  return text.length >= 16 && mixed && !/\s/.test(text) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && entropy(text) >= entropyFloor(text);
}

/**
 * Hex has 4 bits a character at most, and 40 random hex digits (a GitHub classic token) measure
 * 3.5 or less about one time in twenty: hex of 32+ digits, letters and digits both, needs 3.
 */
const entropyFloor = (text: string): number => (text.length >= 32 && /^(?:[0-9a-f]+|[0-9A-F]+)$/.test(text) && /\d/.test(text) && /[a-f]/i.test(text) ? 3 : 3.5);

/** An AWS resource name (`arn:aws:eks:eu-west-1:123456789012:cluster/prod`): listed in policies, consoles and scripts. */
const ARN = /^arn:aws[a-z-]{0,16}:[a-z0-9-]{1,64}:[a-z0-9-]{0,32}:\d{0,12}:\S{1,1024}$/;

/** Why a value is no credential whatever its key says, or undefined. */
export function emptyReason(value: string): string | undefined {
  if (value.length === 0) return "empty value";
  if (TRIVIAL.test(value)) return "flag or number";
  if (PLACEHOLDER.test(value)) return "placeholder";
  if (FILE_PATH.test(value)) return "file path";
  if (ARN.test(value)) return "identifier";
  return undefined;
}

/**
 * Prefixes services put on the tokens they issue (GitHub, GitLab, npm, PyPI, SonarQube, Slack,
 * Stripe, Docker Hub, Hugging Face, OpenAI, Anthropic, Google, SendGrid, Shopify, Grafana,
 * DigitalOcean, Vault, Linear), followed by a token-shaped tail.
 */
const TOKEN_PREFIX =
  /^(?:gh[pousr]_|github_pat_|gl(?:pat|dt|rt|ptt|cbt|oas)-|npm_|pypi-|sq[upa]_|xox[abeprs]-|xapp-|[sr]k_(?:live|test)_|dckr_pat_|hf_|sk-(?:proj-|ant-)?|AIza|ya29\.|SG\.|shp(?:at|ss|ca|pa)_|glsa_|dop_v1_|hv[sb]\.|lin_api_)([\w.-]{16,1024})$/;

/** A value with a known token prefix, whatever the key it is under says. */
export function hasTokenPrefix(value: string): boolean {
  const tail = TOKEN_PREFIX.exec(value)?.[1];
  return tail !== undefined && /[0-9A-Z]/.test(tail) && entropy(tail) >= 3;
}

/**
 * A value that is a token rather than a name, even under a key that names a user
 * (`login TOKEN` in a .netrc, `<sonar.login>`): a known token prefix, or 20+ random-looking
 * characters with a run of 16 letters and digits (a UUID or `ci-deployer-2024` has none).
 */
export function looksGenerated(value: string): boolean {
  if (hasTokenPrefix(value)) return true;
  const run = Math.max(0, ...(value.match(/[A-Za-z0-9]{16,}/g) ?? []).map((r) => r.length));
  return value.length >= 20 && run >= 16 && looksRandom(value);
}

/** Passwords that say "the token is the user name": GitHub's `x-oauth-basic`, `x-access-token`. */
export const PUBLIC_MARKER = /^(?:x-oauth-basic|x-access-token)$/i;
export const MARKER_REASON = "public marker: the token is the user name";

export function isCredentialKey(key: string): boolean {
  const words = keyWords(key);
  return words.some((w) => CREDENTIAL_WORDS.has(w) || CREDENTIAL_SUFFIX.test(w));
}

// Bounded, so a long value stays linear.
const PARAMETER = /[?&#;]([\w.-]{1,64})=([^&#\s]{1,2048})/g;

/** A value with a token in a parameter (`https://hook/?token=…`, `jdbc:…?password=…`, `Server=…;Password=…`) is itself a credential. */
function hasSecretParameter(value: string): boolean {
  for (const m of value.matchAll(PARAMETER)) {
    const [, name = "", param = ""] = m;
    if (emptyReason(param) === undefined && (isCredentialKey(name) || looksRandom(param))) return true;
  }
  return false;
}

/** Hosts whose URLs are credentials by themselves: whoever has the URL may post (webhooks, bot APIs). */
const WEBHOOK_HOST = /^(?:hooks\.slack\.com|(?:canary\.|ptb\.)?discord(?:app)?\.com|api\.telegram\.org|[\w-]{1,64}\.webhook\.office\.com|outlook\.office(?:365)?\.com|chat\.googleapis\.com|hooks\.zapier\.com)$/i;
// Bounded, so a long value stays linear.
const HTTP_URL = /^[a-z][a-z0-9+.-]{0,31}:\/\/(?:[^\s/@]{0,1024}@)?([^\s/:?#@]{1,255})(?::\d{1,5})?(\/[^\s?#]{0,4096})?(\?[^\s#]{0,4096})?/i;

/**
 * The secret parts of a URL that carries its credential in its path or query: a Discord or
 * Slack webhook (`/api/webhooks/ID/TOKEN`), a Telegram bot (`/botID:TOKEN/`), `?token=…`.
 * Each random-looking path segment (also without Telegram's `bot`), each random-looking query
 * parameter, and on a webhook host the longest path segment. Empty for `https://api.example.com/v1`.
 */
export function urlSecretParts(value: string): string[] {
  const m = HTTP_URL.exec(value);
  if (m === null) return [];
  const [, host = "", path = "", query = ""] = m;
  const out = new Set<string>();
  const segments = path.split("/").filter((p) => p.length > 0);
  for (const segment of segments) {
    if (!/^[\w:~-]{16,1024}$/.test(segment) || !(looksRandom(segment) || hasTokenPrefix(segment))) continue;
    out.add(segment);
    const bot = /^bot(\d{1,20}:[\w-]{16,})$/.exec(segment)?.[1];
    if (bot !== undefined) out.add(bot);
  }
  if (WEBHOOK_HOST.test(host)) {
    const longest = segments.reduce((a, b) => (b.length > a.length ? b : a), "");
    if (longest.length >= 16) out.add(longest);
  }
  for (const [, , param = ""] of query.matchAll(PARAMETER)) if (looksRandom(param) || hasTokenPrefix(param)) out.add(param);
  return [...out];
}

/** Last words that name a user: a value under one that looks generated is a token used as the user. */
const USER_WORDS = new Set(["user", "username", "login"]);

/**
 * `setting` is the format's own word that the key names a public setting (an npm option that
 * is no auth key, a docker config.json key other than `auth`): then only a known token prefix
 * makes the value a credential.
 */
export function classifyField(key: string, value: string, setting?: string): FieldKind {
  const empty = emptyReason(value);
  if (empty !== undefined) return { credential: false, reason: empty };
  if (hasTokenPrefix(value)) return { credential: true };
  const words = keyWords(key);
  const last = words[words.length - 1];
  const publicReason = last === undefined ? undefined : PUBLIC_LAST_WORD[last];
  if (setting !== undefined) return { credential: false, reason: publicReason ?? setting };
  if (words.includes("public") || words.includes("publishable")) return { credential: false, reason: "public key" };
  if (hasSecretParameter(value) || urlSecretParts(value).length > 0) return { credential: true };
  if (publicReason !== undefined && last !== undefined && USER_WORDS.has(last) && looksGenerated(value)) return { credential: true };
  if (publicReason !== undefined) return { credential: false, reason: publicReason };
  if (isCredentialKey(key)) return { credential: true };
  if (looksRandom(value)) return { credential: true };
  return { credential: false, reason: "setting" };
}

/**
 * A plain short word (`postgres`, `redis`) as a password is searched only on its line, next to
 * its key: alone it occurs by chance in any image.
 */
export function searchableAlone(value: string): boolean {
  return !/^[A-Za-z]{1,11}$/.test(value);
}

/** `user:pass` packed in base64 (npm `_auth`, docker config `auth`): the pair and the password. */
export function basicAuth(encoded: string): string[] {
  if (!/^[A-Za-z0-9+/]+=*$/.test(encoded)) return [];
  const bytes = Buffer.from(encoded, "base64");
  if (!isUtf8(bytes)) return [];
  const pair = bytes.toString("utf8");
  const colon = pair.indexOf(":");
  if (colon <= 0 || [...pair].some((c) => c.charCodeAt(0) < 0x20)) return [];
  return [pair, pair.slice(colon + 1)];
}

// Repetitions are bounded so that a long single-line value costs linear time.
const URL_CREDENTIALS = /(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,31}:\/\/([^\s:/@]{0,256})(?::([^\s@/]{0,1024}))?@/gi;

/** A string to search for and how it maps to bytes: `latin1` for slices of a latin1-read value. */
export interface Form {
  readonly text: string;
  readonly encoding: BufferEncoding;
}

/**
 * A password every tutorial and default configuration holds: a plain word (the plain-word
 * policy above), a word and a number (`password123`, `admin1`), or the user name again
 * (`postgres:postgres`). Inside a URL it is searched only with the rest of its line.
 */
function stockPassword(pass: string, user: string): boolean {
  return !searchableAlone(pass) || /^[A-Za-z][a-z]{1,11}\d{1,4}[!.]?$/.test(pass) || pass.toLowerCase() === user.toLowerCase();
}

/**
 * The password of each `scheme://user:pass@host` in `text`: the raw form and `user:pass` (in
 * the text's own encoding), and the percent-decoded password (UTF-8); a stock password gives
 * none of these (its line is searched). Undefined when `text` holds no URL with credentials.
 */
export function urlCredentials(text: string, encoding: BufferEncoding): Form[] | undefined {
  let out: Form[] | undefined;
  for (const m of text.matchAll(URL_CREDENTIALS)) {
    const [, user = "", pass] = m;
    // `https://TOKEN@host`, `https://TOKEN:x-oauth-basic@github.com`: the token is the user name.
    if (pass === undefined || pass.length === 0 || PUBLIC_MARKER.test(pass)) {
      if (looksRandom(user) || hasTokenPrefix(user)) (out ??= []).push({ text: user, encoding });
      continue;
    }
    if (emptyReason(pass) !== undefined) continue;
    out ??= [];
    let decoded = pass;
    try {
      decoded = decodeURIComponent(pass);
    } catch {
      // Not valid percent-encoding: the raw form is all there is.
    }
    if (stockPassword(decoded, user)) continue;
    out.push({ text: pass, encoding }, { text: `${user}:${pass}`, encoding });
    if (decoded !== pass) out.push({ text: decoded, encoding: "utf8" });
  }
  return out;
}

/** A key as `safebuild check` may print it: a plain name, never something that could be a value. */
export function printableKey(key: string): string {
  const bare = key.replace(/^\/\/.*:(?=[^:]*$)/, "").replace(/^@[^:]*:/, "");
  // Words of letters (and a short number: `x509`), as people name keys; a token would not split so.
  const wordy = keyWords(bare).every((w) => /^(?:[a-z]{1,15}\d{0,4}|\d{1,4})$/.test(w));
  return /^[A-Za-z_][A-Za-z0-9_.-]{0,47}$/.test(bare) && wordy ? bare : "a value";
}
