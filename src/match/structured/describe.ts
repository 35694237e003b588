import { analyzeStructured } from "./analyze.js";
import { variantsOf, wipeVariants } from "../variants.js";

function lineList(lines: readonly number[]): string {
  if (lines.length === 0) return "";
  const sorted = [...lines].sort((a, b) => a - b);
  const ranges: string[] = [];
  let from = sorted[0] ?? 0;
  let to = from;
  for (const n of [...sorted.slice(1), Number.NaN]) {
    if (n === to + 1) {
      to = n;
      continue;
    }
    ranges.push(from === to ? String(from) : `${from}-${to}`);
    from = n;
    to = n;
  }
  return ` line${sorted.length > 1 ? "s" : ""} ${ranges.join(", ")}`;
}

/** The shortest line the scanner searches (variants.ts, scan/needles.ts). */
const MIN_LINE_BYTES_SEARCHED = 8;

const withoutNewline = (v: Buffer): Buffer =>
  v[v.length - 1] !== 0x0a ? v : v.subarray(0, v.length - (v.length > 1 && v[v.length - 2] === 0x0d ? 2 : 1));

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * One line for `safebuild check`: what the scan searches of a secret and what it leaves out,
 * by format, key names and line numbers; never a byte of the value.
 */
export function describeSearch(value: Buffer): string {
  const plan = analyzeStructured(withoutNewline(value));
  if (plan === undefined) {
    const variants = variantsOf("describe", value);
    const lines = variants.filter((v) => v.encoding === "line" && v.bytes.length >= MIN_LINE_BYTES_SEARCHED).length;
    const inside = variants.filter((v) => v.encoding === "field").length;
    const numbers = variants.filter((v) => v.encoding === "key-material").length;
    wipeVariants(variants);
    const parts = ["whole value"];
    if (lines > 0) parts.push(`${plural(lines, "line")} of ${MIN_LINE_BYTES_SEARCHED} bytes or more`);
    if (inside > 0) parts.push(plural(inside, "value") + " found inside");
    if (numbers > 0) parts.push(plural(numbers, "private key number") + " found inside");
    return `${lines > 0 ? "no recognised format" : "single value"}; searched: ${parts.join(", ")}`;
  }
  for (const sub of plan.subValues) sub.bytes.fill(0);
  const credentials = plan.credentials.map((c) => `${c.label}${lineList(c.lines)}`);
  const keys = plan.keyMaterial.map((k) => `${k.label}${lineList(k.lines)}`);
  const numbers = keys.length > 0 ? `, private numbers of ${plural(keys.length, "key")} (${keys.join("; ")})` : "";
  const searched = `whole value, ${plural(plan.credentials.length, "credential")}${credentials.length > 0 ? ` (${credentials.join("; ")})` : ""}${numbers}`;
  // Grouped by reason, then by label: `name` three times in a kubeconfig reads as one entry.
  const byReason = new Map<string, Map<string, number[]>>();
  for (const e of plan.excluded) {
    const labels = byReason.get(e.reason) ?? new Map<string, number[]>();
    labels.set(e.label, [...(labels.get(e.label) ?? []), ...e.lines]);
    byReason.set(e.reason, labels);
  }
  const excluded = [...byReason].map(([reason, labels]) => `${[...labels].map(([label, lines]) => label + lineList(lines)).join(", ")} (${reason})`);
  return `${plan.format}; searched: ${searched}${excluded.length > 0 ? `; not searched alone: ${excluded.join("; ")}` : ""}`;
}
