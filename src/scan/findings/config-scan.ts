import { z } from "zod";
import { inputError } from "../../errors.js";
import type { FindingWhere } from "./finding.js";
import { searchJson, type JsonSegment, type SettingsOf } from "./json-search.js";
import { assignmentLine, envLine, historyLines } from "./setting-lines.js";
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
  /** `created_by` of every history entry, as `history[N]` names them */
  readonly history: readonly (string | null)[];
  readonly diffIds: readonly string[];
}

const configSchema = z.looseObject({
  history: z
    .array(z.looseObject({ created_by: z.string().nullish(), empty_layer: z.boolean().nullish() }))
    .nullish(),
  rootfs: z.looseObject({ diff_ids: z.array(z.string()).nullish() }).nullish(),
});

/** The pointer of a finding in the whole raw JSON (a JSON-escaped form no decoded string shows). */
export const RAW_CONFIG_PATH = "$";

type Segment = JsonSegment;

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
 * The settings rules' lines: `config.Env` entries (and the older `container_config`'s), labels
 * as `NAME=value`, and what a history entry's `created_by` assigns.
 */
const configSettings: SettingsOf = (segments, text) => {
  const [top, field, key] = segments;
  if (top === "config" || top === "container_config") {
    if (field === "Env" && segments.length === 3) return envLine(text);
    if (field === "Labels" && segments.length === 3 && typeof key === "string") return assignmentLine(key, text);
  }
  return top === "history" && segments[2] === "created_by" && segments.length === 3 ? historyLines(text) : null;
};

/**
 * Searches every string and key of the config (decoded, so escapes do not hide a value) and the
 * raw JSON bytes (so JSON-escaped variants match); a raw-only match is reported once at `$`.
 */
export function scanConfig(raw: Buffer, needles: NeedleTable, label: string): ImageConfig {
  const { value, hits: found } = searchJson(raw, needles, `${label}: the image config`, configSettings);
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) throw inputError(`${label}: the image config is not a JSON object of the expected shape`);
  const hits: ConfigHit[] = [];
  const seen = new Set<string>();
  for (const hit of found) {
    const { where, path } = hit.raw ? { where: "config" as const, path: RAW_CONFIG_PATH } : classify(hit.segments);
    const key = `${hit.tag}\0${where}\0${path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    hits.push({ tag: hit.tag, where, path });
  }
  const history = parsed.data.history ?? [];
  const layerHistory = history.filter((h) => h.empty_layer !== true).map((h) => h.created_by ?? null);
  return { hits, layerHistory, history: history.map((h) => h.created_by ?? null), diffIds: parsed.data.rootfs?.diff_ids ?? [] };
}
