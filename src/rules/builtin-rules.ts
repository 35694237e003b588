import { PUBLIC_TEST_KEYS } from "./public-test-keys.js";
import { DER_KEY_AFTER, DER_KEY_BEFORE } from "./der-private-key.js";
import type { RuleSpec } from "./rule.js";

/** A token ends where its alphabet does (a `\b` would not end one whose last character is `-`). */
const END = "(?:[^A-Za-z0-9_-]|$)";
/** A base64 character, or one of the escapes JSON writers use for `+` and `/`; and base64's `=`. */
const B64_JSON = "[A-Za-z0-9+/]|\\\\u002[Bb]|\\\\/";
const PAD_JSON = "=|\\\\u003[Dd]";
/** A regex for exactly this base64 value, written plainly or with those JSON escapes. */
const escapable = (value: string): string =>
  `^${value.replace(/[+/=]/g, (c) => (c === "+" ? "(?:\\+|\\\\u002[Bb])" : c === "/" ? "(?:/|\\\\/)" : "(?:=|\\\\u003[Dd])"))}$`;
/**
 * One unit of an armoured body: base64, header text, line breaks, their escapes (`\\n` in JSON,
 * `\\\\n` in JSON inside a JSON string, and deeper; `&#10;` in XML; System.Text.Json's `\\u002B` for
 * `+` and `\\u003D` for `=`); dashes and dots only in short runs.
 */
const PEM_CHAR = "[A-Za-z0-9+/=:,() \\t\\r\\n]";
const PEM_BODY = `${PEM_CHAR}|\\\\{1,8}[rnt/]|\\\\u00(?:2[Bb]|3[Dd])|&#(?:1[03]|x[AaDd]);|-{1,4}${PEM_CHAR}|\\.{1,2}${PEM_CHAR}`;
/** How a JSON object's base64url starts: `{"` or `{ "`. */
const JOSE = "(?:eyJ|eyAi)";
/**
 * Passwords that stand for "the default" in docs and tests, as whole values (V8 on Node 20 has no
 * `(?i:)`); `changeit` is the JDK's published default for every keystore and its `cacerts`.
 */
const DEFAULT_PASSWORDS = "^(?:x-oauth-basic|anonymous|guest|postgres|mysql|root|admin|masterkey|tiger|hunter[0-9]?|changeit|foobared)$";
/**
 * Whole values a deploy tool replaces, for every rule: Azure DevOps' and Octopus' token
 * replacement (`#{DbPassword}#`, `#{Db.Password}`) and `__NAME__` (all capitals: Azure
 * Pipelines' replace-tokens, release scripts' sed targets).
 */
const DEPLOY_TOKENS = ["^#\\{[^{}]{1,128}\\}#?$", "^__[A-Z0-9_]{1,128}__$"];
/** Placeholders that documentation and examples use in place of a value. */
const PLACEHOLDER_WORDS = ["example", "sample", "dummy", "placeholder", "xxxxxxxx", "your_", "your-", "changeme", "redacted"];
/**
 * The base64 characters that `text` alone determines when it starts `align` bytes into a 3-byte
 * group: what its base64 holds wherever it sits in a longer blob.
 */
function determinedBase64(text: string, align: number): string {
  const encoded = Buffer.concat([Buffer.alloc(align), Buffer.from(text, "latin1")]).toString("base64");
  return encoded.slice(Math.ceil((align * 8) / 6), Math.floor(((align + text.length) * 8) / 6));
}
/** A PEM private key's first line in base64, at each alignment. */
const ARMOURED_KEY_BASE64 = [0, 1, 2].flatMap((align) => ["", "RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED "].map((label) => determinedBase64(`-----BEGIN ${label}PRIVATE KEY-----`, align)));

/**
 * A setting's name that says its value is a secret (env-secret): `PASSWORD`, `PASSWD`, `SECRET`,
 * `CREDENTIALS` anywhere in it (`ME_CONFIG_MONGODB_ADMINPASSWORD`); `TOKEN` as a word or after a
 * word that makes it a credential (`ADMINTOKEN`, `AUTHTOKEN`; not `TOKENIZERS_PARALLELISM` nor
 * `TIKTOKEN_ENCODING`); `PASS`, `PWD`, `CREDS`, `API_KEY`, `PRIVATE_KEY`,
 * … as whole words (`SMTP_PASS`, not `BYPASS`, `PWD` nor `GPG_KEY`); upper, lower or camel case.
 */
const NAME_CHAR = "[A-Za-z0-9_.-]";
const TOKEN_COMPOUNDS = ["ACCESS", "AUTH", "ADMIN", "API", "BEARER", "REFRESH", "SESSION", "BOT", "APP", "SERVICE", "CLIENT", "DEPLOY", "RUNNER", "REGISTRY", "ID"];
const camel = (w: string): string => w.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const forms = (words: readonly string[]): string => [...new Set(words.flatMap((w) => [w.toUpperCase(), w, camel(w), camel(`_${w}`)]))].join("|");
const SECRET_NAME = `(?:${[
  `${NAME_CHAR}*(?:${forms(["password", "passwd", "secret", "credentials"])})${NAME_CHAR}*`,
  `(?:${NAME_CHAR}*[_.-])?(?:${TOKEN_COMPOUNDS.map((w) => `${w}|${w.toLowerCase()}`).join("|")})?(?:${forms(["token", "tokens"])})(?:[_.-]${NAME_CHAR}*)?`,
  `(?:${NAME_CHAR}*[_.-])?(?:${forms(["pass", "pwd", "creds", "apikey", "api_key", "private_key", "access_key", "auth_key", "master_key", "encryption_key", "signing_key", "license_key"])})(?:[_.-]${NAME_CHAR}*)?`,
  `[a-z]${NAME_CHAR}*(?:${forms(["pass", "pwd", "api_key", "private_key", "access_key"]).split("|").filter((f) => /^[A-Z][a-z]/.test(f)).join("|")})(?:[A-Z_.-]${NAME_CHAR}*)?`,
]
  .map((name) => `(?:${name})`)
  .join("|")})`;
/**
 * The built-in rules, written for this project from each format's public documentation (see
 * docs/rules.md for the sources). Keywords are the formats' fixed prefixes or field names;
 * windows are as wide as the format can be long.
 */
const RULES: readonly RuleSpec[] = [
  {
    id: "private-key",
    title: "PEM or OpenSSH private key (also split over lines or JSON-escaped)",
    severity: "critical",
    keywords: ["PRIVATE KEY"],
    // a PEM file saved as UTF-16 (Windows): its header's start. 20 bytes: with known values it
    // goes to their Wu-Manber pass, not to the SIMD pass's buckets, where a shorter form
    // (`--BEGIN`) made the bench image's false candidates 5 times as many (docs/performance.md)
    utf16Keywords: ["-----BEGIN"],
    // the header, then base64 (with PEM headers, line breaks, indentation or \n escapes), then the footer
    // (no run of five dashes, so a block never runs on through another's footer and a
    // certificate; no run of three dots, which marks a key cut short in documentation)
    regex: `-----BEGIN[ A-Z0-9_-]{0,64}PRIVATE KEY(?: BLOCK)?-----((?:${PEM_BODY}){64,}?)-----END[ A-Z0-9_-]{0,64}PRIVATE KEY(?: BLOCK)?-----`,
    entropy: 4.2,
    requires: "-----END",
    before: 96,
    after: 16384,
    stopwords: PLACEHOLDER_WORDS,
    // netty's and GnuTLS's self-test keys, in every Java app with netty and every libgnutls
    allowKeyDigests: Object.keys(PUBLIC_TEST_KEYS),
  },
  {
    id: "openvpn-static-key",
    title: "OpenVPN static key (`ta.key`, `tls-auth`/`tls-crypt` keys, `<tls-auth>` blocks in a .ovpn)",
    severity: "critical",
    // 21 bytes: the Wu-Manber pass's, not the SIMD pass's (its 64-keyword passes are full)
    keywords: ["OpenVPN Static key V1"],
    regex: "-----BEGIN OpenVPN Static key V1-----\\r?\\n((?:[0-9a-f]{32}\\r?\\n){16})-----END OpenVPN Static key V1-----",
    entropy: 3.0,
    before: 16,
    after: 640,
  },
  {
    id: "putty-private-key",
    title: "PuTTY private key file (.ppk)",
    severity: "critical",
    keywords: ["PuTTY-User-Key-File-"],
    regex: "PuTTY-User-Key-File-[23]: [A-Za-z0-9@.-]+\\r?\\n(?:[^\\r\\n]*\\r?\\n){1,40}?Private-Lines: [0-9]{1,3}\\r?\\n((?:[A-Za-z0-9+/=]{1,64}\\r?\\n)+)",
    entropy: 4.2,
    before: 0,
    after: 16384,
  },
  {
    id: "aws-access-key",
    title: "AWS secret access key under its own name (`aws_secret_access_key`, `AWS_SECRET_ACCESS_KEY`, `SecretAccessKey`)",
    severity: "critical",
    // the names the SDKs, the CLI and the STS/IAM JSON give it: no other secret goes by them, so
    // no key id is needed nearby (an `ENV AWS_SECRET_ACCESS_KEY=` whose id is set elsewhere)
    keywords: ["secret_access_key", "SECRET_ACCESS_KEY", "ecretAccessKey", "secret-access-key"],
    base64Files: true,
    regex: "(?:[Ss]ecret[_-]?[Aa]ccess[_-]?[Kk]ey|SECRET_?ACCESS_?KEY)[\"']?\\s*[:=]\\s*[\"']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)",
    entropy: 4.0,
    before: 1,
    after: 160,
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "aws-secret-key-near-id",
    title: "AWS secret access key under a generic name (`secret_key`, `secret-key`, `aws.secretKey`) with its access key id nearby",
    severity: "critical",
    // the names s3cmd, Terraform and Spring give it; the key id nearby keeps a Django SECRET_KEY out
    keywords: ["secret_key", "SECRET_KEY", "secret-key", "ecretKey"],
    base64Files: true,
    regex: "(?:[Ss]ecret[_-]?[Kk]ey|SECRET_?KEY)[\"']?\\s*[:=]\\s*[\"']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)",
    near: "(?:^|[^A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?:[^A-Z0-9]|$)",
    entropy: 4.0,
    // the key id may come first (credentials files, `aws iam create-access-key` output)
    before: 1024,
    after: 1024,
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "aws-access-key-id",
    title: "AWS access key id (long-term AKIA or temporary ASIA)",
    severity: "high",
    keywords: ["AKIA", "ASIA", "ABIA", "ACCA"],
    base64Files: true,
    regex: "(?:^|[^A-Za-z0-9/+])((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?:[^A-Za-z0-9/+]|$)",
    entropy: 3.0,
    before: 1,
    after: 24,
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "private-key-base64",
    title: "PEM private key stored base64-encoded (kubeconfig client-key-data, Kubernetes secrets, env values)",
    severity: "critical",
    // base64 of "-----BEGIN " at each of the three alignments: a PEM key alone, after openssl
    // pkcs12's `Bag Attributes` lines, or after a certificate in one blob (a `tls.pem` bundle)
    keywords: [0, 1, 2].map((align) => determinedBase64("-----BEGIN ", align)),
    // then of "PRIVATE KEY-----", "RSA PRIVATE KEY-----", "EC …", "DSA …", "OPENSSH …", "ENCRYPTED …";
    // on one line or wrapped (`base64`'s 76 columns, `openssl base64`'s 64, indented in a YAML block);
    // wrapped lines are 16 characters or more: no run-on into the next YAML key, and one way to
    // match (V8 runs the built-ins: nested repeats of single characters backtrack without end)
    regex: `((?:${ARMOURED_KEY_BASE64.join("|")})(?:[A-Za-z0-9+/]{200,}|[A-Za-z0-9+/]{16,}(?:\\r?\\n[ \\t]*[A-Za-z0-9+/]{16,}){3,})={0,2})`,
    entropy: 4.5,
    before: 1,
    after: 16384,
  },
  {
    id: "private-key-der",
    title: "Private key as binary DER (PKCS#8, RSA PKCS#1, EC SEC1; also a PKCS#12 keystore's key under a stock password)",
    severity: "critical",
    // the keywords are byte runs only a key's DER holds, and each candidate is parsed
    // (der-private-key.ts); this regex is not run: it is what every key starts with
    derKeys: true,
    keywords: [],
    // a key's DER in base64 without PEM armour, as a JSON or YAML value (`privateKey: MIIE…`)
    base64Files: true,
    regex: "\\x30[\\x00-\\xff]{1,4}\\x02\\x01[\\x00\\x01]",
    before: DER_KEY_BEFORE,
    after: DER_KEY_AFTER,
    allowKeyDigests: Object.keys(PUBLIC_TEST_KEYS),
  },
  {
    id: "docker-config-auth",
    title: "Registry credentials in a Docker config.json (`auths` … `auth`: base64 of user:password)",
    severity: "high",
    keywords: ['"auth"'],
    base64Files: true,
    regex: '"auth"\\s*:\\s*"([A-Za-z0-9+/]{8,1000}={0,2})"',
    near: '"auths"\\s*:',
    entropy: 3.0,
    before: 4096,
    after: 1100,
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "github-token",
    title: "GitHub token (personal, OAuth, user-to-server, server-to-server, refresh)",
    severity: "high",
    keywords: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
    base64Files: true,
    utf16Keywords: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
    // after an underscore too: a file named `tok_ghp_…`, a variable `GH_ghp_…`
    regex: `(?:^|[^A-Za-z0-9])(gh[pousr]_[A-Za-z0-9]{36,251})${END}`,
    entropy: 3.5,
    // 30 random characters and their CRC-32: a token GitHub issued, even under package documentation
    checksum: "crc32-base62",
    before: 1,
    after: 256,
  },
  {
    id: "github-fine-grained-token",
    title: "GitHub fine-grained personal access token",
    severity: "high",
    keywords: ["github_pat_"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_])(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})${END}`,
    entropy: 3.5,
    before: 1,
    after: 96,
  },
  {
    id: "gitlab-token",
    title: "GitLab access, OAuth application, runner, deploy, trigger, job, feed, incoming mail, agent, SCIM or feature-flag token",
    severity: "high",
    // GitLab's documented token prefixes (doc/security/tokens: "Token prefixes"); `GR1348941` a runner registration token
    keywords: ["glpat-", "glrt-", "glrtr-", "gldt-", "glptt-", "gloas-", "glcbt-", "glft-", "glimt-", "glagent-", "glsoat-", "glffct-", "GR1348941"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_])(gl(?:pat|rtr?|dt|ptt|oas|cbt|ft|imt|agent|soat|ffct)-[A-Za-z0-9_.-]{20,120}|GR1348941[A-Za-z0-9_-]{20})${END}`,
    entropy: 3.5,
    before: 1,
    after: 128,
  },
  {
    id: "npm-token",
    title: "npm access token",
    severity: "high",
    // the prefix, wherever the token sits (npm's own env names, npm_config_x, hold a `_` within 36)
    keywords: ["npm_"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_])(npm_[A-Za-z0-9]{36})${END}`,
    entropy: 3.5,
    // a token's 36 base62 characters mix cases (one of one case: 6 in a billion); a word or an id does not
    allowRegexes: ["^npm_[a-z0-9]+$", "^npm_[A-Z0-9]+$"],
    // the same format as GitHub's: 30 random characters and their CRC-32
    checksum: "crc32-base62",
    before: 1,
    after: 40,
  },
  {
    id: "pypi-token",
    title: "PyPI API token",
    severity: "high",
    keywords: ["pypi-AgEIcHlwaS5vcmc"],
    base64Files: true,
    regex: `(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000})${END}`,
    before: 0,
    after: 1100,
  },
  {
    id: "dockerhub-token",
    title: "Docker Hub personal or organisation access token",
    severity: "high",
    keywords: ["dckr_pat_", "dckr_oat_"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_])(dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,80})${END}`,
    entropy: 3.5,
    before: 1,
    after: 96,
  },
  {
    id: "vault-token",
    title: "HashiCorp Vault service or batch token (`hvs.`, `hvb.`)",
    severity: "critical",
    // Vault 1.10+'s prefixed tokens; the older `s.` + 24 characters is every other member access in code
    keywords: ["hvs.", "hvb."],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_.-])(hvs\\.[A-Za-z0-9_-]{90,120}|hvb\\.[A-Za-z0-9_-]{138,300})${END}`,
    entropy: 3.5,
    before: 1,
    after: 305,
  },
  {
    id: "age-secret-key",
    title: "age secret key (an identity SOPS and age decrypt with: `AGE-SECRET-KEY-1…`)",
    severity: "critical",
    // 16 bytes each: long enough for the Wu-Manber pass (a 15-byte keyword widened the SIMD
    // prefilter's buckets: 2.8 M candidates on the bench tar became 7.8 M)
    keywords: ["AGE-SECRET-KEY-1", "AGE-SECRET-KEY-P"],
    base64Files: true,
    // bech32's alphabet in capitals; the post-quantum hybrid identity is `AGE-SECRET-KEY-PQ-1…`
    regex: "(?:^|[^A-Za-z0-9_-])(AGE-SECRET-KEY-(?:PQ-)?1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58,1000})(?:[^A-Za-z0-9]|$)",
    entropy: 3.5,
    before: 1,
    after: 1100,
  },
  {
    id: "digitalocean-token",
    title: "DigitalOcean personal access, OAuth or refresh token (`dop_v1_`, `doo_v1_`, `dor_v1_`)",
    severity: "high",
    keywords: ["dop_v1_", "doo_v1_", "dor_v1_"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_])(do[opr]_v1_[a-f0-9]{64})${END}`,
    entropy: 3.0,
    before: 1,
    after: 72,
  },
  {
    id: "pulumi-token",
    title: "Pulumi access token (`pul-`)",
    severity: "high",
    keywords: ["pul-"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_-])(pul-[a-f0-9]{40})${END}`,
    entropy: 3.0,
    before: 1,
    after: 45,
  },
  {
    id: "grafana-token",
    title: "Grafana service account token (`glsa_`) or Grafana Cloud access policy token (`glc_`)",
    severity: "high",
    keywords: ["glsa_", "glc_"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_])(glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2})(?:[^A-Za-z0-9_+/=-]|$)`,
    entropy: 3.5,
    before: 1,
    after: 410,
  },
  {
    id: "sonarqube-token",
    title: "SonarQube user, project analysis or global analysis token",
    severity: "high",
    // SonarQube 9.5+ and SonarCloud: `squ_` user, `sqp_` project analysis, `sqa_` global analysis, then 40 hex
    keywords: ["squ_", "sqp_", "sqa_"],
    regex: `(?:^|[^A-Za-z0-9_])(sq[upa]_[0-9a-f]{40})${END}`,
    entropy: 3.0,
    before: 1,
    after: 48,
  },
  {
    id: "slack-token",
    title: "Slack bot, user, app or refresh token",
    severity: "high",
    // and app-level tokens: xapp-1-APPID-NUMBER-HEX
    keywords: ["xox", "xapp-"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_])(xox[abeoprs]-(?:[0-9]{6,16}-){0,3}[A-Za-z0-9-]{16,200}|xapp-[0-9]-[A-Z0-9]{8,16}-[0-9]{8,16}-[a-f0-9]{32,96})${END}`,
    entropy: 3.5,
    before: 1,
    after: 256,
  },
  {
    id: "slack-webhook",
    title: "Slack incoming webhook or workflow webhook URL",
    severity: "high",
    keywords: ["hooks.slack.com/services/", "hooks.slack.com/workflows/", "hooks.slack.com/triggers/"],
    base64Files: true,
    // an app's incoming webhook (T…/B…/secret), a Workflow Builder webhook (T…/A…/id/secret, or T…/id/secret)
    regex: "hooks\\.slack\\.com/(?:services|workflows|triggers)/(T[A-Z0-9]{8,12}/(?:B[A-Z0-9]{8,12}/[A-Za-z0-9]{24}|(?:A[A-Z0-9]{8,12}/)?[0-9]{6,20}/[A-Za-z0-9]{24,40}))",
    // Slack's documentation placeholder (T00000000/B00000000/XXXX…), in every example config
    allowRegexes: ["^T0{8,12}/[AB]0{8,12}/", "/[Xx]{24,40}$"],
    before: 0,
    after: 120,
  },
  {
    id: "stripe-key",
    title: "Stripe live secret or restricted key",
    severity: "critical",
    keywords: ["sk_live_", "rk_live_"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_])((?:sk|rk)_live_[A-Za-z0-9]{24,247})${END}`,
    entropy: 3.5,
    before: 1,
    after: 256,
  },
  {
    id: "google-api-key",
    title: "Google API key",
    severity: "high",
    keywords: ["AIza"],
    regex: `(?:^|[^A-Za-z0-9_])(AIza[0-9A-Za-z_-]{35})${END}`,
    entropy: 3.5,
    before: 1,
    after: 40,
    // Debian's chromium package ships the key Google assigned to Debian's builds ("API keys
    // assigned to Debian by Google"): every image that installs chromium (puppeteer, selenium) holds it
    allowPaths: ["(?:^|/)etc/chromium\\.d/apikeys$"],
  },
  {
    id: "azure-shared-key",
    title: "Azure storage account, Cosmos DB or shared access key in a connection string (`AccountKey=…`, `SharedAccessKey=…`)",
    severity: "critical",
    // the names Azure's connection strings give the key: storage and Cosmos DB accounts (64 bytes),
    // Service Bus, Event Hubs and IoT Hub policies (32 bytes), as appsettings.json and
    // local.settings.json hold them, and Kubernetes Secrets in base64
    keywords: ["AccountKey=", "SharedAccessKey="],
    base64Files: true,
    // .NET's System.Text.Json writes `+` as `\u002B` (and other writers `/` as `\/`, `=` as `\u003D`)
    regex: `(?:AccountKey|SharedAccessKey)=((?:${B64_JSON}){86}(?:${PAD_JSON}){2}|(?:${B64_JSON}){43}(?:${PAD_JSON}))(?:[^A-Za-z0-9+/=\\\\]|$)`,
    entropy: 4.0,
    // the keys Microsoft publishes for its local emulators (Azurite's devstoreaccount1, the Cosmos DB
    // emulator), in countless samples, tests and compose files
    allowRegexes: [
      escapable("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="),
      escapable("C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="),
    ],
    before: 1,
    // 88 characters, each written as a 6-byte escape at most
    after: 560,
  },
  {
    id: "gcp-service-account",
    title: "Google Cloud service-account key file (JSON)",
    severity: "critical",
    keywords: ["private_key_id"],
    base64Files: true,
    regex: "private_key_id\\\\?\"\\s*:\\s*\\\\?\"([0-9a-f]{40})\\\\?\"",
    near: "service_account",
    before: 2048,
    after: 4096,
  },
  {
    id: "openai-api-key",
    title: "OpenAI API key (project, service-account, admin and legacy user keys)",
    severity: "critical",
    // every format holds base64 of "OpenAI" between two random runs
    keywords: ["T3BlbkFJ"],
    regex: `(?:^|[^A-Za-z0-9_-])(sk-[A-Za-z0-9_-]{20,200}T3BlbkFJ[A-Za-z0-9_-]{20,200})${END}`,
    entropy: 4.0,
    before: 220,
    after: 220,
  },
  {
    id: "anthropic-api-key",
    title: "Anthropic API or admin key",
    severity: "critical",
    keywords: ["sk-ant-"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_-])(sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,120})${END}`,
    entropy: 4.0,
    before: 1,
    after: 140,
  },
  {
    id: "huggingface-token",
    title: "Hugging Face access token",
    severity: "high",
    keywords: ["hf_"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_])(hf_[A-Za-z]{34})${END}`,
    entropy: 3.5,
    // 34 letters of one case are a name (`hf_hub_…` has underscores anyway), a token mixes cases
    allowRegexes: ["^hf_[a-z]+$", "^hf_[A-Z]+$"],
    before: 1,
    after: 40,
  },
  // services whose tokens carry a fixed prefix (each from the service's own documentation of its token format)
  {
    id: "sendgrid-api-key",
    title: "SendGrid API key (`SG.`)",
    severity: "high",
    keywords: ["SG."],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_-])(SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43})${END}`,
    entropy: 3.5,
    before: 1,
    after: 72,
  },
  {
    id: "twilio-credential",
    title: "Twilio auth token or API key secret, after a credential's name or an account or API key SID (`AC…`, `SK…`), with such a SID nearby",
    severity: "high",
    // Twilio's secrets carry no prefix (32 hex, 32 letters and digits): the service's name (in
    // any case: `twilio`, `Twilio`, `TWILIO`), a SID near and a credential's name or the SID
    // right before it are what make 32 characters one
    keywords: ["wilio", "WILIO"],
    regex: `(?:(?:${["token", "secret", "auth", "pass", "key"].map((w) => [...w].map((c) => `[${c.toUpperCase()}${c}]`).join("")).join("|")})[A-Za-z0-9_.-]{0,24}["']?[ \\t]{0,4}[:=,][ \\t]{0,4}["']?|(?:AC|SK)[0-9a-f]{32}["']?[ \\t]{0,4}[:,][ \\t]{0,4}["']?)([0-9a-f]{32}|[A-Za-z0-9]{32})(?:[^A-Za-z0-9/+_-]|$)`,
    near: "(?:^|[^A-Za-z0-9])(?:AC|SK)[0-9a-f]{32}(?:[^A-Za-z0-9]|$)",
    // 32 hex characters fall under 3.2 bits 1 time in 280, under 2.8 once in a million
    entropy: 2.8,
    before: 512,
    after: 512,
    stopwords: PLACEHOLDER_WORDS,
    // an API key secret has capitals, small letters and digits; an identifier or a word run lacks some
    allowRegexes: ["^[A-Za-z]+$", "^[a-z0-9]*[g-z][a-z0-9]*$", "^[A-Z0-9]+$"],
  },
  {
    id: "shopify-token",
    title: "Shopify access token, custom app, private app or shared secret (`shpat_`, `shpca_`, `shppa_`, `shpss_`)",
    severity: "high",
    keywords: ["shpat_", "shpca_", "shppa_", "shpss_"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_])(shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})${END}`,
    entropy: 3.0,
    before: 1,
    after: 40,
  },
  {
    id: "atlassian-api-token",
    title: "Atlassian (Jira, Confluence, Bitbucket) API token (`ATATT3…`)",
    severity: "high",
    keywords: ["ATATT3"],
    base64Files: true,
    regex: "(?:^|[^A-Za-z0-9_-])(ATATT3[A-Za-z0-9_=-]{186})(?:[^A-Za-z0-9_=-]|$)",
    entropy: 4.0,
    before: 1,
    after: 200,
  },
  {
    id: "databricks-token",
    title: "Databricks personal access token (`dapi` and 32 hex digits)",
    severity: "high",
    keywords: ["dapi"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_])(dapi[a-f0-9]{32}(?:-[0-9])?)${END}`,
    entropy: 3.0,
    before: 1,
    after: 40,
  },
  {
    id: "webhook-signing-secret",
    title: "Webhook signing secret (Stripe's and Svix's `whsec_`)",
    severity: "high",
    keywords: ["whsec_"],
    base64Files: true,
    regex: "(?:^|[^A-Za-z0-9_])(whsec_[A-Za-z0-9+/]{24,100}={0,2})(?:[^A-Za-z0-9+/=_-]|$)",
    entropy: 3.5,
    before: 1,
    after: 110,
  },
  {
    id: "azure-sas-token",
    title: "Azure shared access signature in a URL or connection string (`sig=` with `sv=` or `SharedAccessSignature`)",
    severity: "high",
    keywords: ["sig="],
    base64Files: true,
    // an HMAC-SHA256 in base64, `+`, `/` and `=` often percent-encoded; Logic Apps' without padding
    regex: "[?&;]sig=((?:[A-Za-z0-9+/_-]|%2[BbFf]){43}(?:=|%3[Dd])?)(?:[^A-Za-z0-9+/=%_-]|$)",
    near: "[?&;]sv=|SharedAccessSignature",
    entropy: 4.0,
    before: 512,
    after: 512,
  },
  {
    id: "azure-entra-client-secret",
    title: "Microsoft Entra ID (Azure AD) application client secret (`…8Q~…`)",
    severity: "critical",
    // the secret's fourth character is a digit, then `Q~`
    keywords: ["0Q~", "1Q~", "2Q~", "3Q~", "4Q~", "5Q~", "6Q~", "7Q~", "8Q~", "9Q~"],
    base64Files: true,
    regex: "(?:^|[^A-Za-z0-9_~.-])([A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})(?:[^A-Za-z0-9_~.-]|$)",
    entropy: 3.5,
    before: 4,
    after: 40,
  },
  {
    id: "terraform-cloud-token",
    title: "HCP Terraform (Terraform Cloud, Terraform Enterprise) API token (`….atlasv1.…`)",
    severity: "critical",
    keywords: [".atlasv1."],
    base64Files: true,
    regex: "(?:^|[^A-Za-z0-9_])([A-Za-z0-9]{14}\\.atlasv1\\.[A-Za-z0-9_=-]{60,90})(?:[^A-Za-z0-9_=-]|$)",
    entropy: 3.5,
    before: 15,
    after: 100,
  },
  {
    id: "google-oauth-client-secret",
    title: "Google OAuth client secret (`GOCSPX-`)",
    severity: "high",
    keywords: ["GOCSPX-"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_-])(GOCSPX-[A-Za-z0-9_-]{28})${END}`,
    entropy: 3.5,
    before: 1,
    after: 40,
  },
  {
    id: "jfrog-token",
    title: "JFrog Artifactory API key or reference token (`AKCp…`, `cmVmdGtu…`)",
    severity: "high",
    // a reference token is base64 of `reftkn:01:`…
    keywords: ["AKCp", "cmVmdGtuOjAxOj"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_])(AKCp[A-Za-z0-9]{69}|cmVmdGtuOjAxOj[A-Za-z0-9]{40,100})${END}`,
    entropy: 4.0,
    before: 1,
    after: 110,
  },
  {
    id: "new-relic-key",
    title: "New Relic user API key or Insights insert key (`NRAK-`, `NRII-`)",
    severity: "high",
    keywords: ["NRAK-", "NRII-"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_])(NRAK-[A-Z0-9]{27}|NRII-[A-Za-z0-9_-]{32})${END}`,
    entropy: 3.5,
    before: 1,
    after: 40,
  },
  {
    id: "sentry-token",
    title: "Sentry organization or user auth token (`sntrys_`, `sntryu_`)",
    severity: "high",
    keywords: ["sntrys_", "sntryu_"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_])(sntrys_eyJ[A-Za-z0-9+/=_-]{60,600}|sntryu_[a-f0-9]{64})${END}`,
    entropy: 3.5,
    before: 1,
    after: 620,
  },
  {
    id: "doppler-token",
    title: "Doppler personal, service, service account, CLI, SCIM or audit token (`dp.pt.`, `dp.st.`, …)",
    severity: "critical",
    keywords: ["dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."],
    base64Files: true,
    // a service token names its config: `dp.st.prd.…`
    regex: `(?:^|[^A-Za-z0-9_.])(dp\\.(?:pt|st|sa|ct|scim|audit)\\.(?:[a-z0-9_-]{2,35}\\.)?[A-Za-z0-9]{40,44})${END}`,
    entropy: 3.5,
    before: 1,
    after: 90,
  },
  {
    id: "hosting-platform-token",
    title: "Heroku, Supabase, Tailscale, Buildkite, CircleCI or Postman token (`HRKU-`, `sbp_`, `sb_secret_`, `tskey-`, `bkua_`, `CCIPAT_`, `PMAK-`)",
    severity: "high",
    keywords: ["HRKU-", "sbp_", "sb_secret_", "tskey-", "bkua_", "CCIPAT_", "PMAK-"],
    base64Files: true,
    regex:
      `(?:^|[^A-Za-z0-9_])(HRKU-AA[A-Za-z0-9_-]{58}|sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_-]{31,64}|tskey-(?:auth|api|client|scim|webhook)-[A-Za-z0-9]{8,24}-[A-Za-z0-9]{20,64}|bkua_[a-f0-9]{40}|CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}|PMAK-[a-f0-9]{24}-[a-f0-9]{34})${END}`,
    entropy: 3.0,
    before: 1,
    after: 100,
  },
  {
    id: "saas-api-token",
    title: "Linear, Notion, Square or 1Password service-account token (`lin_api_`, `ntn_`, `sq0atp-`, `sq0csp-`, `ops_eyJ`)",
    severity: "high",
    keywords: ["lin_api_", "ntn_", "sq0atp-", "sq0csp-", "ops_eyJ"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_])(lin_api_[A-Za-z0-9]{40}|ntn_[0-9]{11}[A-Za-z0-9]{35}|sq0atp-[A-Za-z0-9_-]{22}|sq0csp-[A-Za-z0-9_-]{43}|ops_eyJ[A-Za-z0-9+/=_-]{100,1000})${END}`,
    entropy: 3.5,
    before: 1,
    after: 1010,
  },
  {
    id: "ai-api-key",
    title: "Groq, xAI, Perplexity, Replicate or LangSmith API key (`gsk_`, `xai-`, `pplx-`, `r8_`, `lsv2_`)",
    severity: "high",
    keywords: ["gsk_", "xai-", "pplx-", "r8_", "lsv2_"],
    base64Files: true,
    regex: `(?:^|[^A-Za-z0-9_-])(gsk_[A-Za-z0-9]{52}|xai-[A-Za-z0-9]{80}|pplx-[A-Za-z0-9]{48}|r8_[A-Za-z0-9]{37}|lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})${END}`,
    entropy: 3.5,
    // 37 characters of one case are a name, a key mixes them (as huggingface-token)
    allowRegexes: ["^r8_[a-z0-9]+$", "^r8_[A-Z0-9]+$"],
    before: 1,
    after: 90,
  },
  {
    id: "chat-webhook",
    title: "Discord or Microsoft Teams incoming webhook URL",
    severity: "high",
    keywords: ["discord.com/api/webhooks/", "discordapp.com/api/webhooks/", "webhook.office.com/webhookb2/"],
    base64Files: true,
    regex:
      "(?:discord(?:app)?\\.com/api/webhooks/([0-9]{17,20}/[A-Za-z0-9_-]{60,68})|webhook\\.office\\.com/webhookb2/([0-9a-f-]{36}@[0-9a-f-]{36}/IncomingWebhook/[0-9a-f]{32}/[0-9a-f-]{36}(?:/[A-Za-z0-9_-]{20,60})?))",
    secretGroup: 0,
    entropy: 3.5,
    before: 0,
    after: 320,
  },
  {
    id: "laravel-app-key",
    title: "Laravel's APP_KEY (`APP_KEY=base64:…`: it encrypts the app's cookies and sessions)",
    severity: "high",
    keywords: ["APP_KEY=base64:", "APP_KEY=\"base64:", "APP_KEY='base64:"],
    base64Files: true,
    // 32 random bytes in base64, as `php artisan key:generate` writes them
    regex: "(?:^|[^A-Za-z0-9_])APP_KEY=[\"']?base64:([A-Za-z0-9+/]{43}=)",
    entropy: 4.0,
    before: 1,
    after: 64,
  },
  {
    id: "jwt",
    title: "JSON Web Token",
    severity: "medium",
    // base64url of the usual first members of a JOSE header: {"alg", {"typ", {"kid"; and of a
    // header written with spaces, `{ "` (a pretty-printed one, `ewog…`, is not a keyword: its
    // first two bytes cost the keyword pass a group of its own, measured in docs/performance.md)
    keywords: ["eyJhbGci", "eyJ0eXAi", "eyJraWQi", "eyAi"],
    regex: `(?:^|[^A-Za-z0-9_-])(${JOSE}[A-Za-z0-9_-]{10,}\\.${JOSE}[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{16,})${END}`,
    entropy: 4.0,
    // jwt.io's example token (HS256, "John Doe"), copied into countless tests and READMEs
    // and Supabase's local demo keys (issuer supabase-demo, signed with the demo secret its docs publish)
    allowRegexes: ["\\.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c$", "\\.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIi"],
    before: 1,
    after: 10240,
  },
  {
    id: "url-password",
    title: "URL with an embedded password (scheme://user:password@host)",
    severity: "high",
    keywords: ["://"],
    base64Files: true,
    // the user may be empty (`redis://:PASSWORD@host`)
    regex: "(?:^|[^A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\\s:@/\"'<>`]{0,64}:([^\\s:@/\"'<>`]{3,128})@[A-Za-z0-9][A-Za-z0-9.-]*",
    // documentation writes `user:pass@`, `abc:xyz@`: a real password has some variety
    entropy: 2.5,
    requires: "@",
    userinfo: true,
    before: 24,
    after: 200,
    // variables, templates and the words documentation puts where a password goes
    // and the defaults docs and tests spell out (the user's own name again, GitHub's
    // `TOKEN:x-oauth-basic@`, a database's stock login)
    // a lower-case word then a run of ascending digits is a placeholder (dotenv's `dotenv://:key_1234@…`);
    // `Company1234!` is a password
    allowRegexes: ["^[$%{<*]", "^\\[", "\\$\\{", "\\{\\{", "^x+$", DEFAULT_PASSWORDS, "^[a-z_]{0,12}(?:0123|1234|2345|3456|4567|5678|6789|7890)[0-9]{0,6}$"],
    stopwords: [...PLACEHOLDER_WORDS, "password", "passwd", "pass", "pwd", "secret", "token", "change_me", "replace_me", "changeit"],
    allowPasswordSameAsUser: true,
    allowExampleHosts: true,
  },
  // Credential files of package managers and tools, whatever the token's shape (a legacy npm
  // token is a bare UUID): run on the whole of files of their own names only (no keywords:
  // `machine`, `_auth` cost every other file a check), where documentation's examples are not.
  {
    id: "npmrc-auth",
    title: "Registry credentials in an .npmrc, .yarnrc or .yarnrc.yml (`_authToken`, `_auth`, `_password`, `npmAuthToken`)",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: [".npmrc", "npmrc", ".yarnrc.yml", ".yarnrc"],
    // Yarn 1's `.yarnrc` writes `"//host/:_authToken" "TOKEN"`: a blank, not `=`, after the key
    regex: `(?:^|[\\s:/])(?:_authToken|_auth|_password|npmAuthToken|npmAuthIdent)(?:\\s*[=:]|"?[ \\t]+)\\s*["']?([^\\s"'$]{8,1000})`,
    paths: ["(?:^|/)\\.?npmrc$", "(?:^|/)\\.yarnrc(?:\\.yml)?$"],
    entropy: 3.0,
    // a token of npm's own shape is the npm-token rule's finding: one finding for one value
    allowRegexes: ["^[{<%]", "^npm_[A-Za-z0-9]{36}$"],
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "netrc-password",
    title: "A password in a .netrc (`machine HOST login USER password …`)",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: [".netrc", "_netrc"],
    regex: "machine\\s+\\S+\\s+(?:(?:login|account|port)\\s+\\S+\\s+)*password\\s+(\\S{6,512})",
    paths: ["(?:^|/)[._]netrc$"],
    entropy: 2.5,
    // GitHub's and GitLab's tokens are their own rules' findings
    allowRegexes: ["^[$%{<]", "^gh[pousr]_[A-Za-z0-9]{36,251}$", "^github_pat_\\w{22,}$", "^glpat-"],
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "maven-settings-password",
    title: "A server password in Maven's settings.xml",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: ["settings.xml", "settings-security.xml"],
    regex: "<password>\\s*([^<\\s]{6,512})\\s*</password>",
    paths: ["(?:^|/)settings(?:-security)?\\.xml$"],
    entropy: 2.5,
    // a property or an environment variable, filled in at build time; the examples in the
    // comments of Maven's stock settings.xml (Debian's /etc/maven/settings.xml)
    allowRegexes: ["^\\$\\{", "^(?:proxypass|repopwd)$"],
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "composer-auth",
    title: "HTTP credentials in Composer's auth.json (`http-basic` … `password`)",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: ["auth.json"],
    regex: '"http-basic"\\s*:\\s*\\{[^}]*?"password"\\s*:\\s*"([^"\\\\]{6,512})"',
    paths: ["(?:^|/)auth\\.json$"],
    entropy: 2.5,
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "pgpass-password",
    title: "A password in a PostgreSQL .pgpass (`host:port:database:user:password`)",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: [".pgpass"],
    regex: "(?:^|\\n)[^:#\\n]*:[^:\\n]*:[^:\\n]*:[^:\\n]*:([^\\n]{6,512})",
    paths: ["(?:^|/)\\.pgpass$"],
    entropy: 2.5,
    allowRegexes: ["^[$%{<*]"],
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "mysql-password",
    title: "A password in a MySQL client option file (`.my.cnf`: `password=`)",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: [".my.cnf"],
    regex: "(?:^|\\n)[ \\t]*password[ \\t]*=[ \\t]*[\"']?([^\\s\"']{6,512})",
    paths: ["(?:^|/)\\.my\\.cnf$"],
    entropy: 2.5,
    allowRegexes: ["^[$%{<]"],
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "pypirc-password",
    title: "A package index password in a .pypirc (`password =`)",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: [".pypirc"],
    regex: "(?:^|\\n)[ \\t]*password[ \\t]*[=:][ \\t]*([^\\s]{6,512})",
    paths: ["(?:^|/)\\.pypirc$"],
    entropy: 2.5,
    // a PyPI token is the pypi-token rule's finding
    allowRegexes: ["^[$%{<]", "^pypi-"],
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "cargo-registry-token",
    title: "A registry token in Cargo's credentials (`~/.cargo/credentials.toml`)",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: ["credentials", "credentials.toml"],
    regex: '(?:^|\\n)[ \\t]*token[ \\t]*=[ \\t]*"([^"\\n]{16,512})"',
    // CARGO_HOME: ~/.cargo, or /usr/local/cargo in the official rust images
    paths: ["(?:^|/)\\.?cargo/credentials(?:\\.toml)?$"],
    entropy: 3.0,
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "gem-credentials",
    title: "An API key in RubyGems' credentials (`~/.gem/credentials`)",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: ["credentials"],
    regex: "(?:^|\\n)[ \\t]*:?[A-Za-z0-9_]*api_key:?[ \\t]*:?[ \\t]*[\"']?([A-Za-z0-9_]{16,512})",
    paths: ["(?:^|/)\\.gem/credentials$"],
    entropy: 3.0,
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "terraform-credentials",
    title: "An API token in Terraform's CLI credentials (`.terraformrc`, `credentials.tfrc.json`)",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: [".terraformrc", "terraform.rc", "credentials.tfrc.json"],
    regex: '"?token"?[ \\t]*[=:][ \\t]*"([^"\\n]{16,512})"',
    paths: ["(?:^|/)\\.terraformrc$", "(?:^|/)terraform\\.rc$", "(?:^|/)credentials\\.tfrc\\.json$"],
    entropy: 3.0,
    // an HCP Terraform token is terraform-cloud-token's finding: one finding for one value
    allowRegexes: ["^[$%{<]", "\\.atlasv1\\."],
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "kubeconfig-credentials",
    title: "A user's token or password in a kubeconfig (`token:`, `password:`; its client keys are private-key findings)",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: ["config", "kubeconfig", "kubeconfig.yaml", "kubeconfig.yml"],
    regex: "(?:^|\\n)[ \\t-]*(?:token|password):[ \\t]*[\"']?([A-Za-z0-9._~+/=:-]{12,1000})",
    paths: ["(?:^|/)\\.kube/config$", "(?:^|/)kubeconfig(?:\\.ya?ml)?$"],
    entropy: 3.0,
    allowRegexes: ["^[$%{<]"],
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "vault-token-file",
    title: "A HashiCorp Vault token in the CLI's token file (`~/.vault-token`)",
    severity: "critical",
    keywords: [],
    wholeFile: true,
    fileNames: [".vault-token"],
    regex: "^\\s*([A-Za-z0-9._-]{16,512})\\s*$",
    paths: ["(?:^|/)\\.vault-token$"],
    entropy: 3.0,
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "rails-master-key",
    title: "A Rails master key (`config/master.key`, `config/credentials/ENV.key`: it decrypts the app's credentials.yml.enc)",
    severity: "critical",
    keywords: [],
    wholeFile: true,
    fileNames: ["*.key"],
    // `rails credentials:edit` writes 32 hex characters (AES-128-GCM's key), a line break at most
    regex: "^\\s*([0-9a-f]{32})\\s*$",
    paths: ["(?:^|/)config/master\\.key$", "(?:^|/)config/credentials/[^/]+\\.key$"],
    entropy: 3.0,
  },
  {
    id: "wireguard-private-key",
    title: "A WireGuard private key in a tunnel's config (`PrivateKey = …` under `[Interface]`)",
    severity: "critical",
    keywords: [],
    wholeFile: true,
    fileNames: ["*.conf"],
    // a Curve25519 key in base64: 43 characters and `=`
    regex: "(?:^|\\n)[ \\t]*PrivateKey[ \\t]*=[ \\t]*([A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=)[ \\t]*(?:\\r?\\n|$)",
    paths: ["(?:^|/)wireguard/[^/]+\\.conf$", "(?:^|/)wg[0-9]*\\.conf$"],
    entropy: 3.5,
  },
  {
    id: "gradle-properties-secret",
    title: "A password, token or secret in a gradle.properties (`…password=`, `…token=`, `…secret=`, `…key=`)",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: ["gradle.properties"],
    regex: "(?:^|\\n)[ \\t]*[A-Za-z0-9_.-]*(?:[Pp]assword|PASSWORD|[Tt]oken|TOKEN|[Ss]ecret|SECRET|[Kk]ey|KEY)[ \\t]*[=:][ \\t]*([^\\s]{8,512})",
    paths: ["(?:^|/)gradle\\.properties$"],
    entropy: 3.0,
    // a truststore's stock password (`javax.net.ssl.trustStorePassword=changeit`)
    allowRegexes: ["^[$%{<]", DEFAULT_PASSWORDS],
    stopwords: PLACEHOLDER_WORDS,
    // `sonar.projectKey=acme_payments-service` names a project
    allowSettingNames: true,
  },
  // cloud CLIs' own credential caches: refresh tokens outlive the build that copied them
  {
    id: "gcloud-credentials",
    title: "A Google OAuth refresh token in gcloud's application default credentials or a .boto",
    severity: "critical",
    keywords: [],
    wholeFile: true,
    fileNames: ["application_default_credentials.json", "adc.json", ".boto"],
    regex: '(?:"refresh_token"\\s*:\\s*"|gs_oauth2_refresh_token[ \\t]*=[ \\t]*)([A-Za-z0-9/_.-]{20,512})',
    paths: ["(?:^|/)(?:application_default_credentials|adc)\\.json$", "(?:^|/)\\.boto$"],
    entropy: 3.0,
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "azure-cli-token-cache",
    title: "Tokens in the Azure CLI's token cache (`msal_token_cache.json`, `accessTokens.json`)",
    severity: "critical",
    keywords: [],
    wholeFile: true,
    fileNames: ["msal_token_cache.json", "accessTokens.json"],
    regex: '"(?:secret|refreshToken|accessToken)"\\s*:\\s*"([^"\\\\]{20,1000})"',
    paths: ["(?:^|/)\\.azure/(?:msal_token_cache|accessTokens)\\.json$"],
    entropy: 3.5,
  },
  {
    id: "docker-config-identitytoken",
    title: "A registry identity token in a Docker config.json (`identitytoken`, `registrytoken`)",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: ["config.json"],
    regex: '"(?:identitytoken|registrytoken)"\\s*:\\s*"([^"\\\\]{16,1000})"',
    paths: ["(?:^|/)\\.docker/config\\.json$"],
    entropy: 3.0,
  },
  // application config files that hold credentials by convention
  {
    id: "dotenv-secret",
    title: "A password, token or key in a .env file (`DB_PASSWORD=`, `API_TOKEN=`, `SECRET_KEY=`)",
    severity: "high",
    keywords: [],
    wholeFile: true,
    // `.env`, `.env.production`, and env files named for what they configure (`prod.env`, systemd's `EnvironmentFile=/etc/app/app.env`)
    fileNames: [".env*", "*.env"],
    regex: "(?:^|\\n)[ \\t]*(?:export[ \\t]+)?[A-Za-z0-9_.]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|APIKEY|PRIVATE_KEY|ACCESS_KEY|AUTH_KEY|CREDENTIALS|password|passwd|secret|token|api_key|apikey|private_key|access_key)[A-Za-z0-9_]*[ \\t]*=[ \\t]*[\"']?([^\\s\"'#]{8,512})",
    paths: ["(?:^|/)\\.env(?:\\.[A-Za-z0-9_-]+)?$", "(?:^|/)[A-Za-z0-9_.-]+\\.env$"],
    // templates say what to set, not the value (`.env.example`, `example.env`, `prod.env.sample`)
    allowPaths: ["\\.(?:example|sample|template|tpl|dist|defaults?|schema)$", "(?:^|/)(?:example|sample|template|default)s?(?:[._-][^/]*)?\\.env$"],
    entropy: 3.0,
    allowRegexes: ["^[$%{<]"],
    stopwords: PLACEHOLDER_WORDS,
    // `POSTGRES_PASSWORD_FILE=/run/secrets/db`, `PASSWORD_HASH_ALGORITHM=argon2id`
    allowSettingNames: true,
  },
  {
    id: "git-extraheader",
    title: "Git HTTP credentials a CI checkout persisted (`http.extraheader = AUTHORIZATION: basic …` in .git/config)",
    severity: "high",
    // actions/checkout writes the job's token so (base64 of `x-access-token:ghs_…`) into the
    // repository's .git/config; a `COPY . .` of the workspace takes it into the image
    keywords: ["extraheader", "extraHeader"],
    regex: "extra[Hh]eader[ \\t]*=[ \\t]*[\"']?[Aa][Uu][Tt][Hh][Oo][Rr][Ii][Zz][Aa][Tt][Ii][Oo][Nn]:[ \\t]*(?:[Bb]asic|BASIC|[Bb]earer|BEARER|token)[ \\t]+([A-Za-z0-9+/=._~-]{16,1000})",
    entropy: 3.5,
    before: 0,
    after: 1100,
  },
  {
    id: "shell-history-secret",
    title: "A password or token typed into a shell or client history (`.bash_history`: `export API_TOKEN=…`, `docker login -p …`, `--password=…`)",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: [".bash_history", ".zsh_history", ".ash_history", ".sh_history", ".history", "fish_history", ".psql_history", ".mysql_history", ".python_history", ".node_repl_history"],
    // an assignment of a secret's name, a password or token option, a login's `-p PASSWORD`, mysql's `-pPASSWORD`
    regex: `(?:(?:^|[\\s;&|(])(?:export[ \\t]+)?${SECRET_NAME}=|[ \\t]--(?:password|passwd|token|secret|api-key|apikey|access-token|auth-token|client-secret)(?:=|[ \\t]+)|[ \\t]login[ \\t][^\\n]{0,200}?[ \\t]-p[ \\t]+|mysql(?:dump|admin)?[ \\t][^\\n]{0,200}?[ \\t]-p)["']?([^\\s"';&|]{8,512})`,
    paths: ["(?:^|/)(?:\\.(?:bash|zsh|ash|sh|psql|mysql|python|node_repl)_history|\\.history|fish_history)$"],
    entropy: 3.0,
    allowRegexes: ["^[$%{<]", "^-", DEFAULT_PASSWORDS],
    stopwords: PLACEHOLDER_WORDS,
    allowSettingNames: true,
  },
  {
    id: "compose-secret",
    title: "A password, token or key in a Compose file's environment (`POSTGRES_PASSWORD: …`, `- API_TOKEN=…`)",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: ["docker-compose*", "compose.*"],
    // a service's `environment:` as a map (`NAME: value`) or a list (`- NAME=value`), the names env-secret takes
    regex: `(?:^|\n)[ \t]*(?:-[ \t]+)?["']?${SECRET_NAME}["']?[ \t]*[:=][ \t]*["']?([^\\s"'#]{8,512})`,
    paths: ["(?:^|/)(?:docker-)?compose(?:\\.[A-Za-z0-9_-]+)?\\.ya?ml$"],
    allowPaths: ["\\.(?:example|sample|template|tpl|dist)\\.ya?ml$"],
    entropy: 3.0,
    allowRegexes: ["^[$%{<]", DEFAULT_PASSWORDS, "^~?/[^\\s:]*$", "^\\./"],
    stopwords: PLACEHOLDER_WORDS,
    // `POSTGRES_PASSWORD_FILE: /run/secrets/db_password`
    allowSettingNames: true,
  },
  {
    id: "env-secret",
    title: "A password, token or key in the image's settings: its environment (`ENV`), a build argument its history or provenance records, a label",
    severity: "high",
    keywords: [],
    settings: true,
    // and a connection string's or a URL query's password in any setting (`ConnectionStrings__Db=…;Password=…;`,
    // `SPRING_DATASOURCE_URL=jdbc:…?user=app&password=…`): a value ends at `;` or `&` (its string's separators)
    regex: `(?:(?:^|\n)${SECRET_NAME}=|[;?&][ \t]*(?:Password|password|PASSWORD|Pwd|PWD|pwd)[ \t]*=[ \t]*)([^;&\n]{8,512})`,
    entropy: 3.0,
    // a variable or template, a stock login, a URL with no password in it (a URL's password is
    // url-password's finding), a path, a number
    allowRegexes: ["^[$%{<]", DEFAULT_PASSWORDS, "^[A-Za-z][A-Za-z0-9+.-]{1,20}://[^@\\s]*$", "^~?/[^\\s:]*$", "^[0-9]+$"],
    // values that say they are none: a build's stand-in (`SECRET_KEY_BASE=build-only-dummy`)
    stopwords: [...PLACEHOLDER_WORDS, "insecure", "notasecret", "not-a-secret", "not_a_secret", "build-only", "buildonly", "fake", "unused"],
    allowSettingNames: true,
  },
  {
    id: "django-secret-key",
    title: "Django's SECRET_KEY written into a settings module",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: ["settings.py", "local_settings.py", "prod_settings.py", "production_settings.py"],
    regex: "(?:^|\\n)[ \\t]*SECRET_KEY[ \\t]*=[ \\t]*[rbu]?['\"]([^'\"\\n]{16,512})['\"]",
    paths: ["(?:^|/)(?:local_|prod(?:uction)?_)?settings\\.py$"],
    entropy: 3.0,
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "spring-config-password",
    title: "A password in a Spring Boot application.properties or application.yml",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: ["application*", "bootstrap*"],
    regex: "(?:^|\\n)[ \\t]*[A-Za-z0-9_.-]*(?:password|secret)[ \\t]*[=:][ \\t]*[\"']?([^\\s\"'#]{6,512})",
    paths: ["(?:^|/)(?:application|bootstrap)(?:-[A-Za-z0-9_]+)?\\.(?:properties|ya?ml)$"],
    entropy: 2.5,
    // a placeholder resolved at run time (`${DB_PASSWORD}`), an encrypted value (`{cipher}`, `ENC(`),
    // a stock password (`key-store-password: changeit`)
    allowRegexes: ["^[$%{<]", "^ENC\\(", DEFAULT_PASSWORDS],
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "connection-string-password",
    title: "A password in a .NET connection string (appsettings.json, web.config: `Password=…;`)",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: ["appsettings*", "web.config", "app.config"],
    regex: "(?:^|[;\"' ])(?:Password|password|PWD|Pwd|pwd)[ \\t]*=[ \\t]*([^;\"'<\\s]{6,512})",
    paths: ["(?:^|/)appsettings(?:\\.[A-Za-z0-9_-]+)?\\.json$", "(?:^|/)(?:web|app)\\.config$"],
    entropy: 2.5,
    allowRegexes: ["^[$%{<]"],
    stopwords: PLACEHOLDER_WORDS,
  },
  {
    id: "wordpress-config-secret",
    title: "The database password or a key/salt written into WordPress's wp-config.php",
    severity: "high",
    keywords: [],
    wholeFile: true,
    fileNames: ["wp-config.php"],
    regex: "define\\(\\s*['\"](?:DB_PASSWORD|AUTH_KEY|SECURE_AUTH_KEY|LOGGED_IN_KEY|NONCE_KEY|AUTH_SALT|SECURE_AUTH_SALT|LOGGED_IN_SALT|NONCE_SALT)['\"]\\s*,\\s*['\"]([^'\"\\n]{6,512})['\"]",
    paths: ["(?:^|/)wp-config\\.php$"],
    entropy: 2.5,
    // wp-config-sample.php's placeholder
    allowRegexes: ["put your unique phrase here", "password_here"],
    stopwords: PLACEHOLDER_WORDS,
  },
];

/**
 * One path segment other than the given names (RE2 has no lookahead): a trie of the names, where
 * each node takes any other character, or the end of a segment when it is no name's end.
 */
export function segmentOtherThan(names: readonly string[]): string {
  const node = (prefix: string): string => {
    const longer = names.filter((n) => n.startsWith(prefix) && n.length > prefix.length);
    const next = [...new Set(longer.map((n) => n[prefix.length]!))].sort();
    const alternatives = [`[^/${next.join("")}][^/]*`, ...next.map((c) => `${c.replace(/[.+*?^$()[\]{}|\\-]/g, "\\$&")}${node(prefix + c)}`)];
    return `(?:${alternatives.join("|")})${names.includes(prefix) ? "" : "?"}`;
  };
  return node("");
}

/**
 * `usr/share/` is packages' data, except where images' authors put their own files: a web root
 * (`COPY dist/ /usr/share/nginx/html`), Jenkins' `ref/` (JCasC, jobs; not `ref/plugins/`, which
 * jenkins-plugin-cli fills), Logstash's `pipeline/`, and the `config/` of the Elastic images
 * (`usr/share/elasticsearch/config/`, `kibana/config/`, `logstash/config/`).
 */
const AUTHOR_FOLDERS: Readonly<Record<string, readonly string[]>> = { nginx: ["html"], jenkins: ["ref"], logstash: ["pipeline"] };
const USR_SHARE = [
  "^usr/share/[^/]+$",
  `^usr/share/${segmentOtherThan(Object.keys(AUTHOR_FOLDERS))}/${segmentOtherThan(["config"])}(?:/|$)`,
  ...Object.entries(AUTHOR_FOLDERS).map(([app, own]) => `^usr/share/${app}/${segmentOtherThan([...own, "config"])}(?:/|$)`),
  "^usr/share/jenkins/ref/plugins/",
];

/**
 * Where software is installed, not written: package documentation (libnet-ssleay-perl's
 * server_key.pem, the registry spec's JWTs), system libraries (libgnutls embeds its self-test
 * keys, and apt depends on it: every Debian image), language runtimes and their package folders
 * (CPython's and Go's test certificates, test fixtures and README tokens of wheels and npm
 * packages, yt-dlp's public client tokens), and package caches. An image author's own leak does
 * not land there, and flagging every ordinary image would teach users to turn the rules off.
 * Anchored at the image root, except package documentation and the package folders, which any
 * tree may hold. Known values
 * given with --secret are searched everywhere all the same.
 */
const INSTALLED_PATHS = [
  ...USR_SHARE,
  // package documentation at any depth and under any prefix: a copied-out docs tree, a chroot's,
  // `make install` and pip data files into /usr/local/share/doc, conda's and a venv's share/doc
  "(?:^|/)share/(?:doc|man|info)/",
  // the system library folders, but not the systemd units an image adds (`lib/systemd/system/app.service`
  // with its Environment=) nor `usr/libexec/`, where images put their own helpers
  "^(?:usr/)?lib(?:32|64|x32)/",
  `^(?:usr/)?lib/${segmentOtherThan(["systemd"])}(?:/|$)`,
  `^(?:usr/)?lib/systemd/${segmentOtherThan(["system"])}(?:/|$)`,
  // an interpreter's own library wherever it was installed (pyenv, conda, a venv): its test
  // suite ships example keys (Lib/test/certdata)
  "(?:^|/)lib/python[23](?:\\.[0-9]+)?/",
  "^usr/local/go/",
  "(?:^|/)(?:site|dist)-packages/",
  "(?:^|/)node_modules/",
  // a gem in a gem home: GEM_HOME's `gems/` is under a Ruby version (`3.2.0/gems/`,
  // `jruby/3.1.0/gems/`) or the ruby image's `/usr/local/bundle/gems/`; Bundler's git gems in `bundler/gems/`
  "(?:^|/)(?:[0-9][^/]*|bundle)/gems/[^/]+-[0-9][^/]*/",
  "(?:^|/)bundler/gems/[^/]+-[0-9a-f]{12}/",
  // a published package not yet installed: wheels a build stage made (`pip wheel -w /wheels`),
  // eggs, gems; what they hold lands in site-packages or gems/ when installed
  "\\.(?:whl|egg|gem)!/",
  // a distribution's package not yet installed (a .deb kept in the apt cache or copied in for an
  // offline install, an rpm, an Alpine apk): what it holds lands under /usr when installed, quiet
  // there too (Go's source package ships its test keys and a core dump with an AWS key in it)
  "\\.deb!/data\\.tar(?:\\.[a-z0-9]+)?!/",
  "\\.(?:rpm|apk)!/",
  // an npm tarball (`npm pack`, a Yarn offline mirror, a `.tgz` in a cache): its root folder is `package/`
  "\\.tgz!/package/",
  // Yarn 1's offline mirror (the folder name its docs use): npm tarballs, some of whose root is
  // not `package/` (ssh2's is `mscdex-ssh2-<commit>/`)
  "(?:^|/)npm-packages-offline-cache/",
  // a Python package's README as its metadata carries it (PyJWT's example token), wherever
  // the package was installed: `pip install -t /var/task` too
  "(?:^|/)[^/]+\\.dist-info/METADATA$",
  "(?:^|/)PKG-INFO$",
  "(?:^|/)go/pkg/mod/",
  "(?:^|/)\\.npm/_cacache/",
  "(?:^|/)\\.cache/(?:pip|yarn|go-build)/",
  "(?:^|/)\\.m2/repository/",
  "(?:^|/)\\.gradle/caches/",
  // cargo's home: ~/.cargo, or /usr/local/cargo in the rust images; a git dependency is a
  // whole checkout, its tests included
  "(?:^|/)\\.?cargo/(?:registry|git)/",
  // npm packages other tools keep: Deno's cache (the deno image's DENO_DIR is /deno-dir), pnpm's
  // content-addressed store, Bower's folder; uv's cache of unpacked wheels
  "(?:^|/)(?:deno-dir|\\.deno|\\.cache/deno)/npm/",
  "(?:^|/)(?:\\.pnpm-store|pnpm/store|\\.local/share/pnpm)/",
  "(?:^|/)bower_components/",
  // Composer's and Go's vendor/ (`vendor/VENDOR/PACKAGE/`): a package's README, docs, examples and
  // tests (firebase/php-jwt's README key), not the rest of it nor an app's own files beside it
  "(?:^|/)vendor/[^/]+/[^/]+/(?:(?:[^/]+/)*(?:tests?|Tests?|testdata|fixtures?|docs?|examples?)/|README[^/]*$)",
  // Julia's standard library wherever Julia was unpacked (LibGit2's test keys), and a PEX's
  // unpacked wheels (`app.pex!/.deps/NAME.whl/`)
  "(?:^|/)share/julia/(?:stdlib|test|base)/",
  "(?:^|/)\\.deps/[^/]+\\.whl/",
  "(?:^|/)\\.cache/uv/",
  // the Google Cloud SDK wherever its archive was unpacked (`/google-cloud-sdk`, `~/`, `/opt/`,
  // `/usr/local/`): gcloud's crash reporter's API key, gsutil's public keys and test data, the
  // emulators' and App Engine's test certificates; its `properties` and the user's config stay searched
  "(?:^|/)google-cloud-sdk/(?:lib|platform|bin)/",
  // the throwaway self-signed pair Debian's ssl-cert makes at install (postgresql-common
  // depends on it); SSH host keys stay findings
  "^etc/ssl/private/ssl-cert-snakeoil\\.key$",
  "^etc/ssl/certs/ssl-cert-snakeoil\\.pem$",
];

export const BUILTIN_RULES: readonly RuleSpec[] = RULES.map((rule) => ({ ...rule, allowRegexes: [...(rule.allowRegexes ?? []), ...DEPLOY_TOKENS], allowPaths: [...(rule.allowPaths ?? []), ...INSTALLED_PATHS], quietWhenInstalled: true }));
