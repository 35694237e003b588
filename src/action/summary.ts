/**
 * The job summary: a short Markdown table of what was checked and found, made from the report
 * file (JSON or SARIF). Reports name secret ids, places and encodings, never values; the table
 * escapes what it copies so a hostile path cannot inject Markdown or HTML.
 */
export interface SummaryRow {
  readonly secret: string;
  readonly where: string;
  readonly place: string;
}

export interface SummaryFacts {
  readonly verdict: string;
  readonly checked: readonly string[];
  readonly rows: readonly SummaryRow[];
}

const cell = (text: string): string =>
  text
    .slice(0, 200)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_{}[\]()#+!|]/g, "\\$&")
    .replace(/\r?\n/g, " ");

export function renderSummary(facts: SummaryFacts): string {
  const lines = [`### safebuild: ${cell(facts.verdict)}`, ""];
  lines.push(`Secrets checked: ${facts.checked.length === 0 ? "none" : facts.checked.map((id) => `\`${id.replace(/`/g, "")}\``).join(", ")}`, "");
  if (facts.rows.length > 0) {
    lines.push("| secret | where | place |", "| --- | --- | --- |");
    for (const row of facts.rows.slice(0, 50)) lines.push(`| ${cell(row.secret)} | ${cell(row.where)} | ${cell(row.place)} |`);
    if (facts.rows.length > 50) lines.push("", `…and ${facts.rows.length - 50} more in the report.`);
  }
  return `${lines.join("\n")}\n`;
}

interface JsonFinding {
  readonly secret?: unknown;
  readonly rule?: unknown;
  readonly where?: unknown;
  readonly path?: unknown;
  readonly layer?: { readonly index?: unknown } | null;
  /** Set on the checks before the build (their SARIF results), which are not image findings. */
  readonly kind?: unknown;
}

interface JsonReport {
  readonly secrets?: readonly { readonly id?: unknown }[];
  readonly findings?: readonly JsonFinding[];
}

interface SarifReport {
  readonly runs?: readonly {
    readonly results?: readonly {
      readonly properties?: JsonFinding;
      readonly suppressions?: unknown;
    }[];
  }[];
}

const text = (value: unknown): string => (typeof value === "string" ? value : value === null || value === undefined ? "" : String(value));

const row = (f: JsonFinding): SummaryRow => ({
  secret: text(f.secret) || `rule ${text(f.rule)}`,
  where: text(f.where),
  place: f.layer ? `layer ${text(f.layer.index)}: ${text(f.path)}` : text(f.path),
});

/** Facts from the report file's text; a text report (or an unreadable one) gives the verdict only. */
export function summaryFacts(format: "text" | "json" | "sarif", report: string, verdict: string): SummaryFacts {
  try {
    if (format === "json") {
      const parsed = JSON.parse(report) as JsonReport;
      return { verdict, checked: (parsed.secrets ?? []).map((s) => text(s.id)), rows: (parsed.findings ?? []).map(row) };
    }
    if (format === "sarif") {
      const parsed = JSON.parse(report) as SarifReport;
      // Suppressed (ignored) results carry suppressions; the summary lists the image findings that stand.
      const rows = (parsed.runs ?? []).flatMap((run) => (run.results ?? []).filter((r) => r.suppressions === undefined && r.properties?.kind === undefined).map((r) => row(r.properties ?? {})));
      return { verdict, checked: [], rows };
    }
  } catch {
    // A report that is not what its format says: the verdict line still tells the outcome.
  }
  return { verdict, checked: [], rows: [] };
}
