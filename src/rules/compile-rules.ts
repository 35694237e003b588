import { RE2JS } from "re2js";
import { usageError } from "../errors.js";
import { MAX_KEYWORD_BYTES, type WindowRule } from "../match/keyword-windows.js";
import { shannonEntropy } from "./entropy.js";
import { hasTokenChecksum } from "./token-checksum.js";
import { armouredKeyDigest, isArmouredKeyStructure } from "./public-test-keys.js";
import { DER_KEY_KEYWORDS, derKeyDigest, findDerKeys } from "./der-private-key.js";
import { namesASetting } from "./setting-name.js";
import type { RuleOrigin, Severity } from "./rule.js";

/** A keyword shorter than this would open a window at almost every byte of an image. */
export const MIN_KEYWORD_BYTES = 3;
/** A window wider than this per side would be most of a small file; matches are never that long. */
export const MAX_SIDE_BYTES = 16 * 1024;
/** More rules than gitleaks ships (about 200) by far; beyond this a file is a mistake or an attack. */
export const MAX_RULES = 2000;
const DEFAULT_SIDE = 256;

/** A rule ready to run: the matcher's view (WindowRule) and what findings name. */
export interface CompiledRule extends WindowRule {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  /** Where the rule came from (built-in, a file), for messages. */
  readonly from: string;
  /** True when a finding at `path` does not count: an allowed path (unless `verified`), or outside the rule's paths. */
  allowsPath(path: string, verified?: boolean): boolean;
  /** Whether a secret carries its format's checksum (see RuleSpec.checksum); false for rules without one. */
  verified(secret: Buffer): boolean;
  /** True when a finding in a file a package's record lists as installed does not count (see RuleSpec.quietWhenInstalled). */
  readonly quietWhenInstalled: boolean;
  /** What it was compiled from, so another thread can compile the same rule (digest-thread.ts). */
  readonly origin: RuleOrigin;
  readonly trusted: boolean;
}

const ID = /^[A-Za-z0-9._-]{1,100}$/;

function compileRegex(id: string, what: string, source: string): RE2JS {
  try {
    return RE2JS.compile(source);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0]!.slice(0, 200) : "invalid";
    throw usageError(`rule ${id}: ${what} does not compile (Go/RE2 syntax): ${reason}`);
  }
}

/** Finds matches of one regex in a window: [start, end) of the secret group, in order. */
type Finder = (window: Buffer, each: (start: number, end: number) => boolean) => void;
/** Whether a regex matches anywhere in the bytes. */
type Tester = (bytes: Buffer) => boolean;

/**
 * Built-in rules are written in the part of RE2 syntax that ECMAScript reads the same way, with
 * bounded repetition and no nested quantifiers (test/rules/builtin-rules.test.ts checks both
 * engines agree), so they run on V8's compiled regexes: about 25 times faster per window than
 * re2js here. Rules from users always run on re2js, whose time is linear whatever they write.
 */
function finderOf(id: string, source: string, trusted: boolean): { groups: number; finder(group: number): Finder } {
  if (!trusted) {
    const re2 = compileRegex(id, "the regex", source);
    return {
      groups: re2.groupCount(),
      finder: (group) => (window, each) => {
        const m = re2.matcher(window);
        while (m.find()) if (!each(m.start(group), m.end(group))) return;
      },
    };
  }
  // re2js is not needed to run a built-in rule, nor to count its groups: compiling the 16 rules
  // with it cost 0.1 s of every scan's start and 0.2 s of V8 compiling re2js's parser
  const js = new RegExp(source, "gd");
  return {
    groups: new RegExp(`${source}|`).exec("")!.length - 1,
    finder: (group) => (window, each) => {
      const text = window.toString("latin1");
      js.lastIndex = 0;
      for (let m = js.exec(text); m !== null; m = js.exec(text)) {
        if (m[0].length === 0) js.lastIndex++;
        const at = m.indices?.[group];
        if (at !== undefined && !each(at[0], at[1])) return;
      }
    },
  };
}

function testerOf(id: string, what: string, source: string, trusted: boolean): Tester {
  if (trusted) {
    const js = new RegExp(source);
    return (bytes) => js.test(bytes.toString("latin1"));
  }
  const re2 = compileRegex(id, what, source);
  return (bytes) => re2.matcher(bytes).find();
}

/** A rule's path pattern, on the same engine as its regex. */
function pathTestOf(id: string, what: string, source: string, trusted: boolean): (path: string) => boolean {
  if (trusted) {
    const js = new RegExp(source);
    return (path) => js.test(path);
  }
  const re2 = compileRegex(id, what, source);
  return (path) => re2.matcher(path).find();
}

/** Compiles one rule; every error names the rule id and is exit 2. `trusted`: a built-in rule (see finderOf). */
export function compileRule({ rule, from }: RuleOrigin, trusted = false): CompiledRule {
  const id = rule.id;
  if (!ID.test(id)) throw usageError(`${from}: rule id ${JSON.stringify(id.slice(0, 100))} must match [A-Za-z0-9._-]+`);
  const fail = (why: string): never => {
    throw usageError(`${from}: rule ${id}: ${why}`);
  };
  const wholeFile = rule.wholeFile === true && (rule.paths ?? []).length > 0;
  const settings = rule.settings === true;
  const derKeys = rule.derKeys === true;
  if (rule.keywords.length === 0 && !wholeFile && !settings && !derKeys) fail("no keywords: safebuild runs a rule's regex only near one of its keywords (add keywords: the literal text every match contains or sits next to)");
  const keywords = derKeys ? [...DER_KEY_KEYWORDS] : rule.keywords.map((k) => Buffer.from(k, "utf8"));
  const wideKeywords = (rule.utf16Keywords ?? []).map((k) => Buffer.from(k, "utf16le"));
  for (const k of [...keywords, ...wideKeywords]) {
    if (k.length < MIN_KEYWORD_BYTES) fail(`keyword ${JSON.stringify(k.toString("utf8"))} is shorter than ${MIN_KEYWORD_BYTES} bytes: it would open a window at almost every byte`);
    if (k.length > MAX_KEYWORD_BYTES) fail(`a keyword is longer than ${MAX_KEYWORD_BYTES} bytes`);
  }
  const before = rule.before ?? DEFAULT_SIDE;
  const after = rule.after ?? DEFAULT_SIDE;
  for (const [name, n] of [["before", before], ["after", after]] as const) {
    if (!Number.isInteger(n) || n < 0 || n > MAX_SIDE_BYTES) fail(`${name} must be a whole number of bytes from 0 to ${MAX_SIDE_BYTES}`);
  }
  const { groups, finder } = finderOf(id, rule.regex, trusted);
  const group = rule.secretGroup ?? (groups > 0 ? 1 : 0);
  if (!Number.isInteger(group) || group < 0 || group > groups) fail(`secretGroup ${group} but the regex has ${groups} group${groups === 1 ? "" : "s"}`);
  const find: Finder = derKeys ? findDerKeys : finder(group);
  const requires = rule.requires === undefined || rule.requires === "" ? undefined : Buffer.from(rule.requires, "utf8");
  const near = rule.near === undefined ? undefined : testerOf(id, "near", rule.near, trusted);
  const allow = (rule.allowRegexes ?? []).map((r) => testerOf(id, "an allow regex", r, trusted));
  const allowPaths = (rule.allowPaths ?? []).map((r) => pathTestOf(id, "an allow path", r, trusted));
  const onlyPaths = (rule.paths ?? []).map((r) => pathTestOf(id, "a path", r, trusted));
  const stopwords = (rule.stopwords ?? []).map((w) => w.toLowerCase()).filter((w) => w.length > 0);
  const entropy = rule.entropy;
  if (entropy !== undefined && !(entropy >= 0 && entropy <= 8)) fail("entropy must be from 0 to 8 (bits per byte)");

  const sameAsUser = rule.allowPasswordSameAsUser === true;
  const exampleHosts = rule.allowExampleHosts === true;
  const settingNames = rule.allowSettingNames === true;
  const checksummed = rule.checksum === "crc32-base62";
  const keyDigests = new Set(rule.allowKeyDigests ?? []);
  const allowed = (secret: Buffer): boolean => {
    if (entropy !== undefined && shannonEntropy(secret) < entropy) return true;
    // an armoured key whose body is a key's structure is no placeholder, whatever its base64 spells
    if (stopwords.length > 0 && !(keyDigests.size > 0 && !derKeys && isArmouredKeyStructure(secret))) {
      const lower = secret.toString("latin1").toLowerCase();
      if (stopwords.some((w) => lower.includes(w))) return true;
    }
    return allow.some((test) => test(secret)) || (keyDigests.size > 0 && keyDigests.has((derKeys ? derKeyDigest : armouredKeyDigest)(secret)));
  };

  return {
    id,
    title: rule.title,
    severity: rule.severity,
    from,
    keywords,
    ...(wideKeywords.length === 0 ? {} : { wideKeywords }),
    ...(rule.base64Files === true ? { base64Files: true } : {}),
    ...(settings ? { settings: true } : {}),
    before,
    after,
    requires,
    ...(rule.userinfo === true ? { userinfo: true } : {}),
    find(window, found) {
      if (requires !== undefined && window.indexOf(requires) === -1) return;
      let isNear: boolean | undefined;
      find(window, (start, end) => {
        if (start < 0 || end <= start) return true;
        const secret = window.subarray(start, end);
        if (allowed(secret) || (sameAsUser && repeatsUser(window, start, end)) || (exampleHosts && (atExampleHost(window, end) || atImageDigest(window, end))) || (settingNames && namesASetting(window, start, end))) return true;
        isNear ??= near === undefined || near(window);
        if (!isNear) return false;
        found(start, end);
        return true;
      });
    },
    ...(wholeFile ? { wholeFile: (path: string) => onlyPaths.some((test) => test(path)), fileNames: rule.fileNames } : {}),
    allowsPath: (path, verified = false) => (!verified && allowPaths.some((test) => test(path))) || (onlyPaths.length > 0 && !onlyPaths.some((test) => test(path))),
    verified: (secret) => checksummed && hasTokenChecksum(secret),
    quietWhenInstalled: rule.quietWhenInstalled === true,
    origin: { rule, from },
    trusted,
  };
}

/**
 * Compiles rules in order; a later rule with an earlier one's id replaces it (a team's file
 * overriding a built-in). `trusted` says which are built-in (see finderOf).
 */
export function compileRules(origins: readonly RuleOrigin[], trusted: (origin: RuleOrigin) => boolean = () => false): CompiledRule[] {
  if (origins.length > MAX_RULES) throw usageError(`${origins.length} pattern rules: more than ${MAX_RULES} (limit); split the file or drop rules`);
  const byId = new Map<string, CompiledRule>();
  for (const origin of origins) {
    const compiled = compileRule(origin, trusted(origin));
    byId.delete(compiled.id);
    byId.set(compiled.id, compiled);
  }
  return [...byId.values()];
}

/** RFC 2606 and 6761 names for examples: `example.com`, `example.org`, `example.net`, `*.example`, `*.test`, `*.invalid`. */
const EXAMPLE_HOST = /(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid)$/;

/** Whether the host after the password at `end` (`…:PASSWORD@HOST`) is a name reserved for examples. */
export function atExampleHost(window: Buffer, end: number): boolean {
  if (window[end] !== 0x40) return false;
  let stop = end + 1;
  while (stop < window.length && stop - end <= 254 && /[A-Za-z0-9.-]/.test(String.fromCharCode(window[stop]!))) stop += 1;
  return EXAMPLE_HOST.test(window.toString("latin1", end + 1, stop).toLowerCase().replace(/\.$/, ""));
}

/**
 * Whether a URL's password is followed by `@sha256:` and hex: an image reference pinned by digest
 * (`docker-image://python:3.12-slim@sha256:…`), whose tag reads as a password.
 */
export function atImageDigest(window: Buffer, end: number): boolean {
  return /^@sha(?:256|384|512):[0-9a-f]{32}/.test(window.toString("latin1", end, end + 44));
}

/** Whether `window[start, end)`, a URL's password, follows `://` + the same bytes + `:`. */
export function repeatsUser(window: Buffer, start: number, end: number): boolean {
  const length = end - start;
  const user = start - 1 - length;
  return user >= 3 && window[start - 1] === 0x3a && window.toString("latin1", user - 3, user) === "://" && window.compare(window, start, end, user, start - 1) === 0;
}

