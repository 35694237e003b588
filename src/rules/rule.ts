/** How bad a rule's finding is; `scan.failOn` can name a threshold (config/). */
export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * A pattern rule as data (built-in, `scan.rules` in safebuild.yml, or a gitleaks TOML rule).
 * The regex is Go/RE2 syntax, run by a linear-time engine only on the bytes around a keyword.
 */
export interface RuleSpec {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly regex: string;
  /** The capture group that is the secret; 0 is the whole match. Default: 1 when the regex has a group, else 0. */
  readonly secretGroup?: number | undefined;
  /** Literal strings (3 to 64 bytes), at least one of which occurs near every match. */
  readonly keywords: readonly string[];
  /** Minimum Shannon entropy of the secret, in bits per byte. */
  readonly entropy?: number | undefined;
  /** Bytes before a keyword and after it that a match may reach (default 256 each, at most 16 KiB). */
  readonly before?: number | undefined;
  readonly after?: number | undefined;
  /** A literal every match contains: a window without it is skipped before the regex runs (cheap). */
  readonly requires?: string | undefined;
  /**
   * The keyword is a URL's `://` and every match has `user:password@` right after it: a hit whose
   * next bytes reach a blank, `/`, a quote, `<`, `>` or a backtick before that is skipped (a link).
   */
  readonly userinfo?: boolean | undefined;
  /** A second regex that must also match inside the window (an AWS key id near its secret key). */
  readonly near?: string | undefined;
  /** Secrets matching any of these regexes are not findings (placeholders, examples). */
  readonly allowRegexes?: readonly string[] | undefined;
  /** Findings whose path matches any of these regexes are dropped. */
  readonly allowPaths?: readonly string[] | undefined;
  /** When given, only findings whose path matches one of these regexes count (gitleaks `path`). */
  readonly paths?: readonly string[] | undefined;
  /** Secrets containing any of these words are not findings. */
  readonly stopwords?: readonly string[] | undefined;
  /**
   * Built-in only: a URL password that repeats its user name (`postgres:postgres@`,
   * `anonymous:anonymous@`) is a default written into docs and tests, not a secret.
   */
  readonly allowPasswordSameAsUser?: boolean | undefined;
  /**
   * Built-in only: a value assigned to a name that is a setting about a secret (its algorithm,
   * length, lifetime; a `…_FILE` holding a path; `projectKey`) is not one (setting-name.ts).
   */
  readonly allowSettingNames?: boolean | undefined;
  /** Built-in only: a URL password at a host reserved for examples (`user:pw@example.com`, `*.test`) is documentation; one before `@sha256:` and hex is an image reference's tag. */
  readonly allowExampleHosts?: boolean | undefined;
  /**
   * Built-in only (no config or TOML field sets it): keywords (ASCII) also searched as UTF-16LE
   * text, a Windows file's; the window around such a hit is narrowed to 8-bit text before the
   * regex runs.
   */
  readonly utf16Keywords?: readonly string[] | undefined;
  /**
   * Built-in only (no config or TOML field sets it): the rule also runs on the base64 values of
   * YAML and JSON files, decoded (a token inside a Kubernetes Secret's `data:`, a
   * `.dockerconfigjson`, Helm values). By file name, as the whole-file rules: base64 forms of
   * the keywords as needles doubled the rules' CPU (docs/performance.md).
   */
  readonly base64Files?: boolean | undefined;
  /**
   * Built-in only (no config or TOML field sets it): the secret ends in the format's own
   * checksum (token-checksum.ts). One whose checksum holds was issued, never typed into
   * documentation: it is reported under the allow paths too.
   */
  readonly checksum?: "crc32-base62" | undefined;
  /**
   * Built-in only (no config or TOML field sets it): the secret is an armoured key's body; one
   * whose DER has one of these SHA-256 digests (public-test-keys.ts) is a key software publishes
   * for its self-tests, not a finding, wherever it sits.
   */
  readonly allowKeyDigests?: readonly string[] | undefined;
  /**
   * Built-in only (no config or TOML field sets it): the rule finds private keys as binary DER
   * (rules/der-private-key.ts): its keywords are the byte runs only a key's DER holds, each
   * candidate is followed by DER's lengths and parsed by node, and `regex` is not run.
   */
  readonly derKeys?: boolean | undefined;
  /**
   * Built-in only (no config or TOML field sets it): quiet in files a package manager's own
   * record lists as installed (a `*.dist-info/RECORD`), wherever they are, as under the allow paths.
   */
  readonly quietWhenInstalled?: boolean | undefined;
  /**
   * Built-in only (no config or TOML field sets it): no keywords; the regex runs over the whole
   * content (at most WHOLE_FILE_BYTES) of layer files whose path matches `paths`, a credential
   * file's own name (`.npmrc`, `.netrc`), so its common words cost the rest of the image nothing.
   */
  readonly wholeFile?: boolean | undefined;
  /**
   * Built-in only, with `wholeFile`: the file names (last path segment; `NAME*` a prefix, `*NAME` a suffix) its
   * `paths` can match, a gate checked before them (a path test per rule per entry cost 10 % of a scan).
   */
  readonly fileNames?: readonly string[] | undefined;
  /**
   * Built-in only (no config or TOML field sets it): no keywords; the regex runs on the image's
   * settings, each given as a line `NAME=value`: its environment (`Env`), its labels, the build
   * arguments and `ENV`/`ARG`/`RUN` assignments its history records, and the build arguments of
   * its provenance (scan/findings/setting-lines.ts).
   */
  readonly settings?: boolean | undefined;
}

/** Where a rule came from, for messages. */
export interface RuleOrigin {
  readonly rule: RuleSpec;
  readonly from: string;
}
