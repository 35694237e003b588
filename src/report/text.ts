import { SECRET_SCOPE, type Finding, type FindingWhere } from "../scan/findings/finding.js";
import { MIN_NEEDLE_BYTES } from "../scan/findings/needles.js";
import type { Writer } from "./report-input.js";
import { verdictKind, verdictLine } from "./verdict.js";
import { printable } from "./printable.js";
import { ownWords, said } from "../redact/own-words.js";

export { printable };

const whereText: Record<FindingWhere, string> = {
  file: "in file contents",
  path: "in a file name",
  linkname: "in a link target",
  env: "in ENV",
  label: "in a LABEL",
  history: "in the build history",
  config: "in the image config",
  annotation: "in an OCI annotation",
  attestation: "in a build attestation",
  manifest: "in an image index or manifest",
};

/** How to fix each kind of leak; printed once per kind found. */
const fixFor: Record<FindingWhere, string> = {
  file: "mount secrets with RUN --mount=type=secret,id=ID and use them within that RUN; never COPY them or copy /run/secrets into the image (a later rm does not remove them: every layer ships)",
  path: "never name files after a secret value",
  linkname: "never point links at a path made from a secret value",
  env: "never pass secrets with ENV: they are stored in the image config; use RUN --mount=type=secret",
  label: "never put secrets in a LABEL: labels are stored in the image config",
  history: "never pass secrets with ARG/--build-arg: every RUN after the ARG records its value in the image history; use RUN --mount=type=secret",
  config: "keep secrets out of CMD, ENTRYPOINT and the rest of the image config",
  annotation: "never put secrets in --annotation or LABEL values: annotations are stored in the image index and manifests",
  attestation: "never pass secrets as build arguments: BuildKit records them in the provenance attestation; use RUN --mount=type=secret",
  manifest: "keep secrets out of the image's manifests and index (descriptor URLs, subjects, custom fields): they are published with the image",
};

/** A referrer stays attached to the digest it names after a rebuild: it must go too. */
const REFERRER_FIX = "delete the attached artifact (the referrer manifest named, and the tag or index entry that lists it) from the registry or layout and rotate the secret: a rebuild does not detach it from the image already pushed";

type Paint = (text: string) => string;
const ansi = (open: number, close: number): Paint => (text) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain: Paint = (text) => text;

interface Palette {
  readonly bad: Paint;
  readonly good: Paint;
  readonly note: Paint;
  readonly dim: Paint;
  readonly bold: Paint;
}

const palettes: Record<"color" | "plain", Palette> = {
  color: { bad: ansi(31, 39), good: ansi(32, 39), note: ansi(33, 39), dim: ansi(2, 22), bold: ansi(1, 22) },
  plain: { bad: plain, good: plain, note: plain, dim: plain, bold: plain },
};

const MAX_INSTRUCTION = 80;
/** A summary, not a listing: a secret baked into every file of a big tree would flood the terminal. */
const MAX_LISTED = 50;

const more = (total: number, p: Palette): string[] =>
  total > MAX_LISTED ? [p.dim(said`  … and ${total - MAX_LISTED} more (--format json lists them all)`)] : [];

/** A short human summary for stderr. */
export const writeText: Writer = (input, options) => {
  const p = palettes[options.color ? "color" : "plain"];
  // the fixed words of this report pass the masker as written (own-words.ts)
  ownWords(...Object.values(whereText), ...Object.values(fixFor), "How to fix, then rebuild and scan again:", "NOT SEARCHED", "ignored", "LEAK");
  ownWords("image config", "image index", "image index / manifest annotations", " (deleted in a later layer, still shipped)");
  const { result } = input;
  const ignored = input.ignored ?? [];
  const lines: string[] = [];

  const id = result.image.id === null ? "" : ` (${shortDigest(result.image.id)})`;
  const { layers, files, bytes, durationMs } = result.stats;
  lines.push(
    said`Scanned ${p.bold(printable(result.image.ref))}${id}: ${count(input.secrets.length - result.notSearched.filter((n) => n.scope === SECRET_SCOPE).length, "secret")}${(input.rules ?? 0) > 0 ? said` and ${count(input.rules ?? 0, "pattern rule")}` : ""} checked, ` +
      said`${count(layers, "layer")}, ${count(files, "file")}, ${formatBytes(bytes)} in ${formatDuration(durationMs)}`,
  );

  for (const finding of result.findings.slice(0, MAX_LISTED)) lines.push(...findingLines(finding, p, p.bad("LEAK")));
  lines.push(...more(result.findings.length, p));
  if (ignored.length > 0) {
    lines.push(p.note(said`Ignored by policy (${ignored.length}):`));
    for (const finding of ignored.slice(0, MAX_LISTED)) {
      lines.push(...findingLines(finding, p, p.note("ignored")), said`      reason: ${printable(finding.reason)}`);
    }
    lines.push(...more(ignored.length, p));
  }

  const skipped = result.notSearched;
  if (skipped.length > 0) {
    lines.push(p.note(said`Not searched in full (${skipped.length}):`));
    for (const n of skipped.slice(0, MAX_LISTED)) {
      const image = n.image === undefined ? "" : said`image ${n.image}, `;
      // only the pattern rules stopped there (a limit): known values were searched
      const tag = n.scope === undefined || n.scope === SECRET_SCOPE ? "NOT SEARCHED" : "RULES STOPPED";
      const place = n.path === "" ? said`image metadata` : n.path.startsWith("blobs/") ? said`image index` : said`image config`;
      const layer = n.scope === SECRET_SCOPE ? said`every layer and the config` : n.layer === null ? place : said`layer ${n.layer.index} ${shortDigest(n.layer.digest)}`;
      // composed here, not the reason (data): a value that is one of these words ("than") stays masked in the data only
      const what = n.scope === SECRET_SCOPE ? said`secret "${printable(n.secret ?? "")}" is shorter than ${MIN_NEEDLE_BYTES} bytes: searched nowhere` : said`${printable(n.path)}: ${printable(n.reason)}`;
      lines.push(said`  ${p.note(tag)} ${image}${what}`, `      ${p.dim(layer)}`);
    }
    lines.push(...more(skipped.length, p));
  }

  const found = result.findings;
  if (found.length > 0) {
    const kinds = [...new Set(found.map((f) => f.where))];
    lines.push("How to fix, then rebuild and scan again:", ...kinds.map((k) => `  - ${fixFor[k]}`));
    if (found.some((f) => f.referrer !== undefined)) lines.push(`  - ${REFERRER_FIX}`);
  }
  // Last, so the report's final line is the run's verdict (report-output prints no second one).
  const verdict = verdictLine(input);
  const paint = { LEAK: p.bad, INCOMPLETE: p.bad, OK: p.good, "NOTHING CHECKED": p.note }[verdictKind(input)];
  lines.push(paint(verdict));
  return `${lines.join("\n")}\n`;
};

function findingLines(f: Finding, p: Palette, tag: string): string[] {
  const image = [f.image === undefined ? "" : said`image ${f.image}`, f.platform ?? ""].filter(Boolean).map((w) => `${w}, `).join("");
  const inside = f.container === undefined ? "" : said` (inside the ${f.container} file)`;
  const first = said`  ${tag} ${p.bold(label(f))} [${f.encoding}] ${whereText[f.where]}: ${image}${printable(f.path)}${inside}`;
  const deleted = f.deleted ? p.note(" (deleted in a later layer, still shipped)") : "";
  // its own line, so the finding's first line keeps its shape
  const visible = f.visibleAt === undefined ? [] : [`      ${p.note(said`still visible at ${f.visibleAt.map(printable).join(", ")}`)}`];
  const second =
    f.layer === null
      ? f.where === "annotation"
        ? "image index / manifest annotations"
        : f.where === "attestation"
          ? said`attestation${f.predicateType === undefined ? "" : ` ${f.predicateType}`}`
          : f.where === "manifest"
            ? "image index / manifest"
            : "image config"
      : said`layer ${f.layer.index} ${shortDigest(f.layer.digest)}` +
        (f.dockerfile === undefined ? "" : `  ${printable(f.dockerfile.path)}:${f.dockerfile.line}`) +
        (f.layer.createdBy === null ? "" : `  ${instruction(f.layer.createdBy)}`);
  const attached = f.referrer === undefined ? "" : said`  referrer ${shortDigest(f.referrer.manifest)} of ${shortDigest(f.referrer.subject)} (${f.referrer.via})`;
  return [first + deleted, `      ${p.dim(second + attached)}`, ...visible];
}

const label = (f: Finding): string => f.secret ?? `rule ${f.rule ?? "?"}${f.severity === undefined ? "" : ` (${f.severity})`}${f.preview === undefined ? "" : ` ${f.preview}`}${f.fingerprint === undefined ? "" : ` ${f.fingerprint}`}`;

/** `sha256:` and 12 hex digits, as `docker images` shows them. */
export function shortDigest(digest: string): string {
  const at = digest.indexOf(":");
  return at === -1 ? digest.slice(0, 12) : digest.slice(0, at + 13);
}

/** A history line on one line, at most MAX_INSTRUCTION characters. */
export function instruction(createdBy: string): string {
  const line = printable(createdBy.replace(/^\/bin\/sh -c #\(nop\)\s+/, "").replace(/\s+/g, " ").trim());
  return line.length <= MAX_INSTRUCTION ? line : `${line.slice(0, MAX_INSTRUCTION - 1)}…`;
}


const count = (n: number, noun: string): string => {
  ownWords(noun, `${noun}s`);
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
};

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"] as const;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
