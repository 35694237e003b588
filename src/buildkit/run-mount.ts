import { csvFields } from "./dockerfile-words.js";

/**
 * One `RUN --mount=` value read as BuildKit's Dockerfile frontend reads it: `parseMount` in
 * moby/buildkit frontend/dockerfile/instructions/commands_runmount.go, field by field in order
 * (so `required` before `type=secret` is refused, as there), with BuildKit's messages verbatim.
 * `expand` is the variable expansion of the value; `undefined` means it cannot be known before
 * the build (that field's checks are then left to BuildKit).
 */
export interface RunMount {
  readonly type: string;
  readonly from: string | undefined;
  readonly source: string | undefined;
  readonly target: string | undefined;
  /** `id=` (BuildKit's CacheID). */
  readonly id: string | undefined;
  readonly required: boolean;
  readonly env: string | undefined;
  /** Fields whose value depends on a variable unknown before the build. */
  readonly unknown: ReadonlySet<string>;
}

export type ParsedMount = { readonly mount: RunMount; readonly error?: undefined } | { readonly error: string; readonly mount?: undefined };

const TYPES = ["bind", "cache", "tmpfs", "secret", "ssh"] as const;
const SHARING = ["shared", "private", "locked"] as const;
const ALL_KEYS = ["type", "from", "source", "target", "readonly", "id", "sharing", "required", "size", "mode", "uid", "gid", "src", "dst", "destination", "ro", "rw", "readwrite", "env"];
const KEY_ALIASES: Readonly<Record<string, string>> = { src: "source", dst: "target", destination: "target", ro: "readonly", rw: "readwrite" };
const UINT32_MAX = 0xffffffff;

export function parseRunMount(value: string, expand: (word: string) => string | undefined): ParsedMount {
  let type = "bind";
  const set = new Map<string, string>();
  const unknown = new Set<string>();
  let required = false;
  let sharing = false;
  for (const field of csvFields(value)) {
    const eq = field.indexOf("=");
    const key = (eq === -1 ? field : field.slice(0, eq)).toLowerCase();
    if (eq === -1) {
      if (["readonly", "ro", "readwrite", "rw"].includes(key)) continue;
      if (key !== "required") return { error: `invalid field '${field}' must be a key=value pair` };
      if (type !== "secret" && type !== "ssh") return { error: `unexpected key '${key}' for mount type '${type}'` };
      required = true;
      continue;
    }
    const raw = field.slice(eq + 1);
    // Checked when the Dockerfile is parsed, before any expansion.
    if (key === "from" && raw.includes("$") && raw.indexOf("$") !== raw.length - 1) {
      return { error: `'${key}' doesn't support variable expansion, define alias stage instead` };
    }
    const expanded = expand(raw);
    const canonical = KEY_ALIASES[key] ?? key;
    if (!ALL_KEYS.includes(key)) return { error: withSuggestion(`unexpected key '${key}' in '${field}'`, key, ALL_KEYS) };
    if (expanded === undefined) {
      // Unknown until the build: a key that changes the type-dependent rules cannot be judged.
      unknown.add(canonical);
      if (canonical === "type") return { mount: { type: "unknown", from: undefined, source: undefined, target: undefined, id: undefined, required, env: undefined, unknown } };
      if (canonical === "sharing") sharing = true;
      set.set(canonical, "");
      continue;
    }
    const bad = checkValue(canonical, key, expanded, type);
    if (bad !== undefined) return { error: bad };
    if (canonical === "type") type = expanded.toLowerCase();
    else if (canonical === "required") required = parseBool(expanded) ?? false;
    else if (canonical === "sharing") sharing = true;
    set.set(canonical, expanded);
  }
  // BuildKit checks mode, then uid, then gid; the order they were written in does not matter.
  const fileInfoKey = ["mode", "uid", "gid"].find((k) => set.has(k));
  if (fileInfoKey !== undefined && !["secret", "ssh", "cache"].includes(type)) {
    return { error: `${fileInfoKey} not allowed for "${type}" type mounts` };
  }
  const mount: RunMount = {
    type,
    from: set.get("from"),
    source: nonEmpty(set.get("source"), unknown.has("source")),
    target: nonEmpty(set.get("target"), unknown.has("target")),
    id: nonEmpty(set.get("id"), unknown.has("id")),
    required,
    env: set.get("env"),
    unknown,
  };
  if (type === "secret") {
    if (nonEmpty(mount.from, unknown.has("from")) !== undefined) return { error: "secret mount should not have a from" };
    if (sharing && set.get("sharing") !== "") return { error: "secret mount should not define sharing" };
    if (mount.source === undefined && mount.target === undefined && mount.id === undefined) return { error: "invalid secret mount. one of source, target required" };
    if (mount.source !== undefined && mount.id !== undefined) return { error: "both source and id can't be set" };
  }
  if (sharing && set.get("sharing") !== "" && type !== "cache") return { error: `invalid cache sharing set for ${type} mount` };
  return { mount };
}

/** The per-field checks of parseMount's switch, with its messages. */
function checkValue(canonical: string, key: string, value: string, type: string): string | undefined {
  switch (canonical) {
    case "type":
      return (TYPES as readonly string[]).includes(value.toLowerCase()) ? undefined : withSuggestion(`unsupported mount type ${goQuote(value)}`, value, TYPES);
    case "readonly":
    case "readwrite":
      return parseBool(value) === undefined ? `invalid value for ${key}: ${value}` : undefined;
    case "required":
      if (type !== "secret" && type !== "ssh") return `unexpected key '${key}' for mount type '${type}'`;
      return parseBool(value) === undefined ? `invalid value for ${key}: ${value}` : undefined;
    case "size":
      // units.RAMInBytes: a number, an optional space, then an optional k/m/g/t/p, i, b.
      if (type !== "tmpfs") return `unexpected key '${key}' for mount type '${type}'`;
      return /^\d+(\.\d+)* ?[kmgtp]?i?b?$/i.test(value) ? undefined : `invalid value for ${key}: ${value}`;
    case "sharing":
      return (SHARING as readonly string[]).includes(value.toLowerCase()) ? undefined : withSuggestion(`unsupported sharing value ${goQuote(value)}`, value, SHARING);
    case "mode":
      return parseUint32(value, /^[0-7]+$/, 8) ? undefined : `invalid value ${value} for mode`;
    case "uid":
    case "gid":
      return parseUint32(value, /^[0-9]+$/, 10) ? undefined : `invalid value ${value} for ${canonical}`;
    default:
      return undefined;
  }
}

const nonEmpty = (value: string | undefined, isUnknown: boolean): string | undefined => (isUnknown ? "$" : value === "" ? undefined : value);

/** Go's strconv.ParseBool. */
export function parseBool(value: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  return undefined;
}

/** strconv.ParseUint(value, base, 32): digits of the base only (no sign, prefix or `_`), at most 2^32-1. */
function parseUint32(value: string, digits: RegExp, base: number): boolean {
  return digits.test(value) && Number.parseInt(value, base) <= UINT32_MAX;
}

/** Go's %q for the printable ASCII BuildKit's messages meet. */
const goQuote = (value: string): string => JSON.stringify(value);

/**
 * BuildKit's util/suggest: the first option within fewer than 3 edits (Levenshtein, strictly
 * closer than any earlier one); an exact match suggests nothing.
 */
export function withSuggestion(message: string, value: string, options: readonly string[]): string {
  let match: string | undefined;
  let best = 3;
  for (const option of options) {
    if (option === value) return message;
    const distance = levenshtein(value, option);
    if (distance < best) {
      match = option;
      best = distance;
    }
  }
  return match === undefined ? message : `${message} (did you mean ${match}?)`;
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}
