import { randomBytes, randomInt, randomUUID } from "node:crypto";
import { crc32 } from "node:zlib";

/**
 * Made-up values of each format's documented shape, built at run time so the repository holds
 * no token-shaped string (a push-protection scanner or safebuild itself would flag it).
 */
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
export const pick = (alphabet: string, n: number): string => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join("");
/**
 * Letters and digits, none twice up to 62 (then any): a value of the variety a token has, so no
 * run draws one under a rule's entropy floor (14 characters with repeats fall under 3 bits 1 time
 * in 800).
 */
export const alnum = (n: number): string => {
  if (n > ALNUM.length) return pick(ALNUM, n);
  const pool = [...ALNUM];
  for (let i = 0; i < n; i++) {
    const j = i + randomInt(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n).join("");
};

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/**
 * A token as GitHub and npm issue them: 30 random base62 characters after the prefix, then their
 * CRC-32 as 6 base62 digits (node's zlib computes it here, not the code under test).
 */
export function checksummed(prefix: string): string {
  const body = alnum(30);
  let n = crc32(body);
  let check = "";
  for (let i = 0; i < 6; i++, n = Math.floor(n / 62)) check = BASE62[n % 62]! + check;
  return `${prefix}${body}${check}`;
}

export const token = {
  github: (kind = "p") => `gh${kind}_${alnum(36)}`,
  githubFine: () => `github_pat_${alnum(22)}_${alnum(59)}`,
  gitlab: () => `glpat-${alnum(20)}`,
  npm: () => `npm_${alnum(36)}`,
  pypi: () => `pypi-AgEIcHlwaS5vcmc${randomBytes(60).toString("base64url")}`,
  dockerhub: () => `dckr_pat_${randomBytes(21).toString("base64url")}`,
  slack: () => `xoxb-${pick("0123456789", 12)}-${pick("0123456789", 13)}-${alnum(24)}`,
  slackWebhook: () => `https://hooks.slack.com/services/T${pick(UPPER32, 10)}/B${pick(UPPER32, 10)}/${alnum(24)}`,
  stripe: () => `sk_live_${alnum(40)}`,
  sonarqube: (kind = "u") => `sq${kind}_${randomBytes(20).toString("hex")}`,
  google: () => `AIza${randomBytes(27).toString("base64url").slice(0, 35)}`,
  openai: () => `sk-proj-${randomBytes(56).toString("base64url").slice(0, 74)}T3BlbkFJ${randomBytes(56).toString("base64url").slice(0, 74)}`,
  openaiLegacy: () => `sk-${alnum(20)}T3BlbkFJ${alnum(20)}`,
  anthropic: () => `sk-ant-api03-${randomBytes(72).toString("base64url").slice(0, 93)}AA`,
  vault: () => `hvs.CAESI${randomBytes(80).toString("base64url").slice(0, 91)}`,
  vaultBatch: () => `hvb.AAAAAQ${randomBytes(120).toString("base64url").slice(0, 150)}`,
  age: () => `AGE-SECRET-KEY-1${pick("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)}`,
  digitalocean: (kind: "p" | "o" | "r" = "p") => `do${kind}_v1_${randomBytes(32).toString("hex")}`,
  pulumi: () => `pul-${randomBytes(20).toString("hex")}`,
  grafanaSa: () => `glsa_${alnum(32)}_${randomBytes(4).toString("hex")}`,
  grafanaCloud: () => `glc_${Buffer.from(JSON.stringify({ o: String(Math.floor(Math.random() * 1e6)), n: "stack-123-hm-read", k: alnum(24), m: { r: "us" } })).toString("base64")}`,
  azureStorage: () => randomBytes(64).toString("base64"),
  azureSas: () => randomBytes(32).toString("base64"),
  huggingface: () => `hf_${pick("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 34)}`,
  gitlabRunner: () => `glrt-${alnum(20)}`,
  slackApp: () => `xapp-1-A${pick(UPPER32, 10)}-${pick("0123456789", 13)}-${randomBytes(32).toString("hex")}`,
  awsId: () => `AKIA${pick(UPPER32, 16)}`,
  awsSecret: () => randomBytes(30).toString("base64"),
  jwt: () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    return `${part({ alg: "HS256", typ: "JWT" })}.${part({ sub: alnum(10), iat: 1700000000 })}.${randomBytes(32).toString("base64url")}`;
  },
  /** A JWT whose JOSE header was written by hand: `{ "alg": … }`. */
  jwtSpaced: () => {
    const header = '{ "alg": "HS256", "typ": "JWT" }';
    const payload = Buffer.from(JSON.stringify({ sub: alnum(10), iat: 1700000000 })).toString("base64url");
    return `${Buffer.from(header).toString("base64url")}.${payload}.${randomBytes(32).toString("base64url")}`;
  },
  sendgrid: () => `SG.${randomBytes(16).toString("base64url").slice(0, 22)}.${randomBytes(32).toString("base64url").slice(0, 43)}`,
  shopify: (kind = "at") => `shp${kind}_${randomBytes(16).toString("hex")}`,
  atlassian: () => `ATATT3xFfGF0${randomBytes(140).toString("base64url").slice(0, 171)}=${randomBytes(4).toString("hex").toUpperCase()}`,
  databricks: () => `dapi${randomBytes(16).toString("hex")}`,
  whsec: () => `whsec_${randomBytes(24).toString("base64")}`,
  azureSasSig: () => encodeURIComponent(randomBytes(32).toString("base64")),
  entraSecret: () => `${alnum(3)}${randomInt(10)}Q~${pick(`${ALNUM}_~.-`, 34)}`,
  gocspx: () => `GOCSPX-${randomBytes(21).toString("base64url").slice(0, 28)}`,
  jfrogKey: () => `AKCp${randomInt(10)}${alnum(68)}`,
  jfrogReference: () => `cmVmdGtuOjAxOj${alnum(50)}`,
  newRelic: () => `NRAK-${pick(UPPER32, 27)}`,
  sentryOrg: () => `sntrys_${Buffer.from(JSON.stringify({ iat: 1700000000, url: "https://sentry.io", org: "acme" })).toString("base64").replace(/=+$/, "")}_${randomBytes(32).toString("base64url").slice(0, 43)}`,
  sentryUser: () => `sntryu_${randomBytes(32).toString("hex")}`,
  doppler: (kind = "st.prd") => `dp.${kind}.${alnum(43)}`,
  terraformCloud: () => `${alnum(14)}.atlasv1.${alnum(67)}`,
  heroku: () => `HRKU-AA${randomBytes(44).toString("base64url").slice(0, 58)}`,
  supabase: () => `sbp_${randomBytes(20).toString("hex")}`,
  tailscale: () => `tskey-auth-k${alnum(10)}CNTRL-${alnum(33)}`,
  buildkite: () => `bkua_${randomBytes(20).toString("hex")}`,
  circleci: () => `CCIPAT_${alnum(22)}_${randomBytes(20).toString("hex")}`,
  postman: () => `PMAK-${randomBytes(12).toString("hex")}-${randomBytes(17).toString("hex")}`,
  linear: () => `lin_api_${alnum(40)}`,
  notion: () => `ntn_${pick("0123456789", 11)}${alnum(35)}`,
  square: () => `sq0atp-${randomBytes(17).toString("base64url").slice(0, 22)}`,
  onePassword: () => `ops_eyJ${randomBytes(600).toString("base64url").slice(0, 800)}`,
  groq: () => `gsk_${alnum(52)}`,
  xai: () => `xai-${alnum(80)}`,
  replicate: () => `r8_${alnum(37)}`,
  langsmith: () => `lsv2_pt_${randomBytes(16).toString("hex")}_${randomBytes(5).toString("hex")}`,
  discordWebhook: () => `https://discord.com/api/webhooks/${pick("0123456789", 19)}/${randomBytes(51).toString("base64url").slice(0, 68)}`,
  teamsWebhook: () => `https://acme.webhook.office.com/webhookb2/${randomUUID()}@${randomUUID()}/IncomingWebhook/${randomBytes(16).toString("hex")}/${randomUUID()}/V2${alnum(40)}`,
  slackWorkflow: () => `https://hooks.slack.com/workflows/T${pick(UPPER32, 10)}/A${pick(UPPER32, 10)}/${pick("0123456789", 18)}/${alnum(32)}`,
  gitlabOauth: () => `gloas-${randomBytes(32).toString("hex")}`,
  gitlabAgent: () => `glagent-${alnum(50)}`,
  // random bytes are no key's structure: a body spelling a placeholder word (`dUmMy`, 1 in a few thousand) would be dropped as one
  pemBody: (bytes = 1190): string => {
    for (;;) {
      const body = randomBytes(bytes).toString("base64").replace(/.{64}/g, "$&\n").trimEnd();
      if (!/example|sample|dummy|placeholder|xxxxxxxx|changeme|redacted/i.test(body.replace(/\n/g, ""))) return body;
    }
  },
};

export const pem = (label = "RSA PRIVATE KEY", body = token.pemBody()): string => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;

/** A PuTTY key file: RSA-2048 v3 by default; `bits: 4096` has 12 public lines, `encrypted` v3's Argon2 header lines. */
export function ppk({ version = 3, bits = 2048, encrypted = false }: { version?: 2 | 3; bits?: 2048 | 4096; encrypted?: boolean } = {}): string {
  const pub = randomBytes(bits === 4096 ? 535 : 279).toString("base64").replace(/.{64}/g, "$&\n").trimEnd();
  const priv = randomBytes(bits === 4096 ? 1700 : 660).toString("base64").replace(/.{64}/g, "$&\n").trimEnd();
  const kdf = encrypted && version === 3 ? ["Key-Derivation: Argon2id", "Argon2-Memory: 8192", "Argon2-Passes: 21", "Argon2-Parallelism: 1", `Argon2-Salt: ${randomBytes(16).toString("hex")}`] : [];
  return [
    `PuTTY-User-Key-File-${version}: ssh-rsa`,
    `Encryption: ${encrypted ? "aes256-cbc" : "none"}`,
    "Comment: rsa-key-20260101",
    `Public-Lines: ${pub.split("\n").length}`,
    pub,
    ...kdf,
    `Private-Lines: ${priv.split("\n").length}`,
    priv,
    `Private-MAC: ${randomBytes(32).toString("hex")}`,
    "",
  ].join("\n");
}

export function serviceAccount(): string {
  return JSON.stringify(
    {
      type: "service_account",
      project_id: "demo-project",
      private_key_id: randomBytes(20).toString("hex"),
      private_key: pem("PRIVATE KEY"),
      client_email: "ci@demo-project.iam.gserviceaccount.com",
    },
    null,
    2,
  );
}
