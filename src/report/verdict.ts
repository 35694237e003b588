import { RULES_SCOPE, SECRET_SCOPE, type Finding } from "../scan/findings/finding.js";
import { MIN_NEEDLE_BYTES } from "../scan/findings/needles.js";
import type { ReportInput } from "./report-input.js";
import { printable } from "./printable.js";
import { ownWords, said } from "../redact/own-words.js";

/** The words a verdict line starts with; the GitHub Action finds the line by them. */
export const VERDICT_KINDS = ["LEAK", "INCOMPLETE", "OK", "NOTHING CHECKED"] as const;
export type VerdictKind = (typeof VERDICT_KINDS)[number];

/** Locations named in the verdict line; the report lists them all. */
const MAX_PLACES = 3;

const count = (n: number, noun: string): string => {
  ownWords(noun, `${noun}s`);
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
};

export function verdictKind(input: ReportInput): VerdictKind {
  if (input.result.findings.length > 0) return "LEAK";
  if (input.result.notSearched.length > 0) return "INCOMPLETE";
  return input.secrets.length === 0 && (input.rules ?? 0) === 0 ? "NOTHING CHECKED" : "OK";
}

/** Where, in a word or two: metadata outside the config (annotations, attestations) says which. */
const place = (f: Finding): string => {
  if (f.layer !== null) return said`layer ${f.layer.index} ${printable(f.path)}`;
  if (f.where === "annotation") return said`annotation ${printable(f.path)}`;
  if (f.where === "attestation") return said`attestation ${printable(f.path)}`;
  if (f.where === "manifest") return said`manifest ${printable(f.path)}`;
  return said`config ${printable(f.path)}`;
};

/**
 * The one line that ends every run on stderr, whatever the format and destination, so a CI log
 * always says why a job failed: `LEAK: 2 findings of npmrc (layer 2 app/.npmrc, …)`.
 * Built from the masked report input; it holds ids, counts and paths, never a value.
 */
export function verdictLine(input: ReportInput): string {
  const { findings, stats } = input.result;
  const ignored = input.ignored?.length ?? 0;
  const ignoredNote = ignored > 0 ? said` (${count(ignored, "finding")} ignored by policy)` : "";
  switch (verdictKind(input)) {
    case "LEAK": {
      const names = [...new Set(findings.map((f) => f.secret ?? `rule ${f.rule ?? "?"}`))].join(", ");
      const places = [...new Set(findings.map(place))];
      const shown = places.slice(0, MAX_PLACES).join(", ") + (places.length > MAX_PLACES ? ", …" : "");
      return said`LEAK: ${count(findings.length, "finding")} of ${names} (${shown})${ignoredNote}`;
    }
    case "INCOMPLETE": {
      const all = input.result.notSearched;
      const files = all.filter((n) => n.scope === undefined).length;
      const short = all.filter((n) => n.scope === SECRET_SCOPE).length;
      // a rules entry (scope) is no file left unread: known values were searched there
      const why = [
        ...(short > 0 ? [said`${count(short, "secret")} ${short === 1 ? "is" : "are"} shorter than ${MIN_NEEDLE_BYTES} bytes and searched nowhere`] : []),
        ...(files > 0 ? [said`${count(files, "file")} could not be searched in full`] : []),
        ...(all.some((n) => n.scope === RULES_SCOPE) ? [said`the pattern rules stopped at a limit`] : []),
      ];
      return said`INCOMPLETE: no secret found in what was read, but ${why.join(" and ")} (see the report's notSearched)${ignoredNote}`;
    }
    case "OK": {
      const rules = input.rules ?? 0;
      const what = [...(input.secrets.length > 0 || rules === 0 ? [count(input.secrets.length, "secret")] : []), ...(rules > 0 ? [count(rules, "pattern rule")] : [])].join(" and ");
      return said`OK: ${what} checked in ${count(stats.layers, "layer")}${ignoredNote}`;
    }
    case "NOTHING CHECKED":
      return said`NOTHING CHECKED: no secrets given (--secret ID=REF, or secrets: in safebuild.yml)${ignoredNote}`;
  }
}
