import { isUtf8 } from "node:buffer";
import { basicAuth } from "./field.js";
import type { FormatName, PlanBuilder, StructuredPlan } from "./plan.js";
import { addSetting } from "./setting.js";

/** One `key = value` setting, its value unquoted, and the lines it spans (1-based). */
interface Entry {
  readonly key: string;
  readonly value: string;
  readonly lines: number[];
  readonly section: string | undefined;
}

interface Parsed {
  readonly entries: Entry[];
  readonly sections: string[];
  /** Section headers, comments: the shape of the file. */
  readonly boilerplate: number[];
}

// Bounded repetitions keep a long single line linear.
const ENTRY = /^[ \t]*(?:export[ \t]+)?([^=\s#;[][^=\r\n]{0,255}?)[ \t]*=[ \t]*(.*?)[ \t]*$/;
const SECTION = /^[ \t]*\[([^\]\r\n]{1,128})\][ \t]*$/;
const COMMENT = /^[ \t]*[#;]/;
/** An env file written as a shell script: `set -eu`, `export NAME`, `unset NAME`, `exec "$@"` carry no value. */
const SCRIPT_LINE = /^[ \t]*(?:set(?:[ \t]+[-+][a-zA-Z]{1,8}(?:[ \t]+pipefail)?){1,4}|(?:export|unset|readonly)(?:[ \t]+[A-Za-z_][A-Za-z0-9_]{0,127}){1,16}|exec[ \t]+"\$@")[ \t]*$/;

function unquote(raw: string): string {
  if (raw.length >= 2 && (raw[0] === '"' || raw[0] === "'" || raw[0] === "`") && raw[raw.length - 1] === raw[0]) return raw.slice(1, -1);
  return raw.replace(/[ \t]+#.*$/, "");
}

/**
 * Lines of `key = value`, `[section]`, comments, blank lines and a shell script's lines with no
 * value in them (`set -eu`, `export NAME`, `exec "$@"`); an indented line after an
 * entry continues it (INI), a double-quoted value may span lines (.env). Anything else: not
 * this family (undefined), and the value keeps the plain line search.
 */
function parse(plan: PlanBuilder): Parsed | undefined {
  const index = plan.index;
  const entries: Entry[] = [];
  const sections: string[] = [];
  const boilerplate: number[] = [];
  let section: string | undefined;
  const count = index.lines.length;
  for (let n = 1; n <= count; n++) {
    const line = index.text(n);
    if (line.trim().length === 0) continue;
    if (COMMENT.test(line) || SCRIPT_LINE.test(line)) {
      boilerplate.push(n);
      continue;
    }
    const header = SECTION.exec(line);
    if (header) {
      section = header[1]?.trim();
      sections.push(section ?? "");
      boilerplate.push(n);
      continue;
    }
    const m = ENTRY.exec(line);
    if (!m) {
      const previous = entries[entries.length - 1];
      if (previous && /^[ \t]+\S/.test(line) && sections.length > 0) {
        entries[entries.length - 1] = { ...previous, value: `${previous.value}\n${line.trim()}`, lines: [...previous.lines, n] };
        continue;
      }
      return undefined;
    }
    const key = (m[1] ?? "").trim();
    let raw = m[2] ?? "";
    // `abc==`: the padding of a base64 token, not a setting.
    if (raw.startsWith("=")) return undefined;
    const lines = [n];
    if (raw.startsWith('"') && (raw.length === 1 || !raw.endsWith('"'))) {
      // A multi-line double-quoted value (dotenv): up to the line that closes it.
      let closed = false;
      while (!closed && n < count) {
        n++;
        const more = index.text(n);
        raw += "\n" + more;
        lines.push(n);
        closed = /"[ \t]*$/.test(more);
      }
      if (!closed) return undefined;
    }
    entries.push({ key, value: unquote(raw), lines, section });
  }
  return entries.some((e) => e.value.length > 0) ? { entries, sections, boilerplate } : undefined;
}

const NPM_KEY = /^(?:\/\/[^\s=]{0,512}:[A-Za-z_-]{1,64}|@[\w.-]{1,128}:registry|registry|_authToken|_auth|_password|always-auth|strict-ssl)$/;
const NPM_GRAMMAR = /^[@/\w.:-]{1,600}(?:\[\])?$/;
/** The npm keys that hold a credential (`//host/:_authToken` by its last part); every other npm setting is public. */
const NPM_AUTH_KEY = /^(?:_authToken|_auth|_password|username|email|token|otp)$/;
const NPM_SETTING_REASON = "npm setting";
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_.]{0,127}$/;
const AWS_KEY = /^(?:aws_|region$|output$|role_arn$|source_profile$|sso_|credential_process$|mfa_serial$)/;
const PYPI_SECTION = /^(?:distutils|pypi|testpypi)$/;

function formatOf(parsed: Parsed): FormatName {
  const keys = parsed.entries.map((e) => e.key);
  if (parsed.sections.length > 0) {
    if (parsed.sections.some((s) => PYPI_SECTION.test(s)) || keys.includes("index-servers")) return "pypirc";
    if (keys.some((k) => AWS_KEY.test(k))) return "aws";
    return "ini";
  }
  if (keys.some((k) => NPM_KEY.test(k)) && keys.every((k) => NPM_GRAMMAR.test(k))) return "npmrc";
  if (keys.every((k) => ENV_KEY.test(k))) return "dotenv";
  return "ini";
}

/** The credential key an npm setting names: `//registry.npmjs.org/:_authToken` → `_authToken`. */
const npmKey = (key: string): string => key.replace(/^\/\/.*:(?=[^:]*$)/, "");

/** Whether a key is one npm (and Yarn 1, which reads the same settings) knows. */
export const isNpmKey = (key: string): boolean => NPM_KEY.test(key);

/** One npm setting (also Yarn 1's `.yarnrc`): a credential by its key, every other setting public. */
export function addNpmSetting(plan: PlanBuilder, key: string, value: string, lines: number[]): void {
  addEntry({ key, value, lines, section: undefined }, "npmrc", plan);
}

function addEntry(entry: Entry, format: FormatName, plan: PlanBuilder): void {
  const key = format === "npmrc" ? npmKey(entry.key) : entry.key;
  // `node-options=--max-old-space-size=4096` is in many images' NODE_OPTIONS: an npm setting, not a credential.
  const setting = format === "npmrc" && !NPM_AUTH_KEY.test(key) ? NPM_SETTING_REASON : undefined;
  if (!addSetting(plan, key, entry.value, entry.lines, [], setting)) return;
  if (key === "_auth" || /^auth$/i.test(key)) basicAuth(entry.value).forEach((text) => plan.derived({ encoding: "field", bytes: Buffer.from(text, "utf8") }));
  if (key === "_password" && /^[A-Za-z0-9+/]+=*$/.test(entry.value)) {
    const decoded = Buffer.from(entry.value, "base64");
    if (isUtf8(decoded)) plan.derived({ encoding: "field", bytes: decoded });
  }
}

/** `.npmrc`, INI (AWS config and credentials, `.pypirc`) and `.env` files. */
export function keyValue(plan: PlanBuilder): StructuredPlan | undefined {
  const parsed = parse(plan);
  if (parsed === undefined) return undefined;
  const format = formatOf(parsed);
  for (const entry of parsed.entries) addEntry(entry, format, plan);
  if (parsed.boilerplate.length > 0) plan.exclude("comments and section headers", "structure", parsed.boilerplate);
  return plan.done(format);
}
