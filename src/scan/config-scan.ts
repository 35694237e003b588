import { z } from "zod";
import { inputError } from "../errors.js";
import type { FindingWhere } from "./finding.js";
import type { NeedleTable } from "./needles.js";

export interface ConfigHit {
  readonly tag: number;
  readonly where: FindingWhere;
  readonly path: string;
}

export interface ImageConfig {
  readonly hits: readonly ConfigHit[];
  /** `created_by` of each history entry that made a layer (empty_layer entries skipped), in order */
  readonly layerHistory: readonly (string | null)[];
  readonly diffIds: readonly string[];
}

const configSchema = z.looseObject({
  history: z
    .array(z.looseObject({ created_by: z.string().nullish(), empty_layer: z.boolean().nullish() }))
    .nullish(),
  rootfs: z.looseObject({ diff_ids: z.array(z.string()).nullish() }).nullish(),
});

const MAX_DEPTH = 64;
/** The pointer of a finding in the whole raw JSON (a JSON-escaped form no decoded string shows). */
export const RAW_CONFIG_PATH = "$";

type Segment = string | number;

/** Contract names: `Env[2]`, `Labels.token`, `Cmd[0]`, `history[3].created_by`; the rest keep their full path. */
function classify(segments: readonly Segment[]): { where: FindingWhere; path: string } {
  const [top, field] = segments;
  if (top === "config" && (field === "Env" || field === "Labels" || field === "Cmd" || field === "Entrypoint")) {
    const where: FindingWhere = field === "Env" ? "env" : field === "Labels" ? "label" : "config";
    return { where, path: render(segments.slice(1)) };
  }
  if (top === "history" && segments[2] === "created_by" && segments.length === 3) return { where: "history", path: render(segments) };
  return { where: "config", path: render(segments) };
}

function render(segments: readonly Segment[]): string {
  let out = "";
  for (const s of segments) out += typeof s === "number" ? `[${s}]` : out === "" ? s : `.${s}`;
  return out;
}

/**
 * Searches every string and key of the config (decoded, so escapes do not hide a value) and the
 * raw JSON bytes (so JSON-escaped variants match); a raw-only match is reported once at `$`.
 */
export function scanConfig(raw: Buffer, needles: NeedleTable, label: string): ImageConfig {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch {
    throw inputError(`${label}: the image config is not valid JSON`);
  }
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) throw inputError(`${label}: the image config is not a JSON object of the expected shape`);

  const hits: ConfigHit[] = [];
  const seen = new Set<string>();
  const secretsFound = new Set<string>();
  const add = (tag: number, where: FindingWhere, path: string): void => {
    const key = `${tag}\0${where}\0${path}`;
    if (seen.has(key)) return;
    seen.add(key);
    hits.push({ tag, where, path });
    const variant = needles.variants[tag];
    if (variant) secretsFound.add(variant.secretId);
  };
  const search = (text: string, segments: readonly Segment[]): void => {
    if (Buffer.byteLength(text, "utf8") < 8) return;
    const { where, path } = classify(segments);
    needles.matcher.scan(Buffer.from(text, "utf8"), (tag) => add(tag, where, path));
  };
  const walk = (node: unknown, segments: Segment[]): void => {
    if (segments.length > MAX_DEPTH) throw inputError(`${label}: the image config is nested too deeply`);
    if (typeof node === "string") search(node, segments);
    else if (Array.isArray(node)) node.forEach((item, i) => walk(item, [...segments, i]));
    else if (node !== null && typeof node === "object") {
      for (const [key, item] of Object.entries(node)) {
        search(key, [...segments, key]);
        walk(item, [...segments, key]);
      }
    }
  };
  walk(value, []);
  needles.matcher.scan(raw, (tag) => {
    const variant = needles.variants[tag];
    if (variant && !secretsFound.has(variant.secretId)) add(tag, "config", RAW_CONFIG_PATH);
  });

  const layerHistory = (parsed.data.history ?? []).filter((h) => h.empty_layer !== true).map((h) => h.created_by ?? null);
  return { hits, layerHistory, diffIds: parsed.data.rootfs?.diff_ids ?? [] };
}
