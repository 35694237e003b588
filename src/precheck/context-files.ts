import { lstatSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import dockerignore from "@balena/dockerignore";
import type { ContextCopy } from "./copy-sources.js";
import type { PrecheckFinding } from "./finding.js";
import type { Hit, SecretSearch } from "./secret-search.js";

export interface ContextCheckInput {
  /** Absolute path of the build context. */
  readonly dir: string;
  /** Absolute path of the Dockerfile (`NAME.dockerignore` beside it wins over the context's). */
  readonly dockerfile: string;
  /** As messages name the Dockerfile. */
  readonly dockerfileDisplay: string;
  readonly copies: readonly ContextCopy[];
  readonly search: SecretSearch;
  /** Files larger than this are checked by name only, with a note. */
  readonly maxFileBytes?: number;
}

export interface ContextCheck {
  readonly findings: PrecheckFinding[];
  /** Files over the size limit (checked by name only). */
  readonly skipped: { readonly path: string; readonly bytes: number }[];
  readonly files: number;
  readonly bytes: number;
}

export const MAX_CONTEXT_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Which files the builder would receive (the context minus `.dockerignore`, read by a port of
 * docker's own matcher), and which of them hold a secret value (content or name) or are
 * well-known secret files. The context is hostile: symlinks are never followed (their target
 * text is searched), FIFOs, sockets and devices are skipped, large files are bounded.
 */
export async function checkContext(input: ContextCheckInput): Promise<ContextCheck> {
  const ignore = await ignoreRules(input.dir, input.dockerfile);
  const findings: PrecheckFinding[] = [];
  const skipped: { path: string; bytes: number }[] = [];
  const max = input.maxFileBytes ?? MAX_CONTEXT_FILE_BYTES;
  let files = 0;
  let bytes = 0;
  const queue: { rel: string; abs: string; size: number; link: boolean }[] = [];
  walk(input.dir, "", ignore, queue);
  const nameHits = namesHits(queue.map((e) => e.rel), input.search);
  try {
    for (const [index, entry] of queue.entries()) {
      // The Dockerfile's own values are reported on their lines (dockerfile-values.ts).
      if (entry.abs === input.dockerfile) continue;
      files += 1;
      const hits: Hit[] = [...(nameHits.get(index) ?? [])];
      let text: string | undefined;
      if (entry.link) hits.push(...input.search.inBytes(Buffer.from(tryRead(() => readlinkSync(entry.abs)) ?? "")));
      else if (entry.size > max) skipped.push({ path: entry.rel, bytes: entry.size });
      else {
        bytes += entry.size;
        hits.push(...(tryRead(() => input.search.inFile(entry.abs, entry.size)) ?? []));
        if (path.posix.basename(entry.rel) === ".npmrc") text = tryRead(() => readFileSync(entry.abs, "utf8"));
      }
      findings.push(...fileFindings(entry.rel, dedupe(hits), wellKnown(entry.rel, text), input));
    }
  } finally {
    input.search.wipe();
  }
  findings.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { findings, skipped, files, bytes };
}

type Ignore = { ignores(path: string): boolean; readonly exceptions: boolean };

async function ignoreRules(dir: string, dockerfile: string): Promise<Ignore> {
  const beside = `${dockerfile}.dockerignore`;
  const text = (await readFile(beside, "utf8").catch(() => undefined)) ?? (await readFile(path.join(dir, ".dockerignore"), "utf8").catch(() => ""));
  const rules = dockerignore.default({ ignorecase: false }).add(text);
  return { ignores: (p) => rules.ignores(p), exceptions: /^\s*!/m.test(text) };
}

/** Secrets in the file names, all names searched in one pass (joined by NUL, which no path holds). */
function namesHits(names: readonly string[], search: SecretSearch): Map<number, Hit[]> {
  const starts: number[] = [];
  let offset = 0;
  for (const name of names) {
    starts.push(offset);
    offset += Buffer.byteLength(name) + 1;
  }
  const hits = new Map<number, Hit[]>();
  search.spans(Buffer.from(names.join("\0")), (hit, start, end) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= start) lo = mid;
      else hi = mid - 1;
    }
    const next = starts[lo + 1] ?? offset;
    if (end < next) hits.set(lo, [...(hits.get(lo) ?? []), hit]);
  });
  return hits;
}

/** A file that vanished or turned unreadable since the walk is skipped (the builder would fail on it). */
function tryRead<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** Synchronous: a walk of many small directories is dominated by promise round trips otherwise. */
function walk(root: string, rel: string, ignore: Ignore, out: { rel: string; abs: string; size: number; link: boolean }[]): void {
  const dir = path.join(root, rel);
  const entries = tryRead(() => readdirSync(dir, { withFileTypes: true })) ?? [];
  for (const entry of entries) {
    const childRel = rel === "" ? entry.name : `${rel}/${entry.name}`;
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      // An ignored directory is skipped whole unless a `!` line may bring something back.
      if (!ignore.exceptions && ignore.ignores(childRel)) continue;
      walk(root, childRel, ignore, out);
      continue;
    }
    if (ignore.ignores(childRel)) continue;
    if (entry.isSymbolicLink()) out.push({ rel: childRel, abs, size: 0, link: true });
    else if (entry.isFile()) {
      const stat = tryRead(() => lstatSync(abs));
      if (stat?.isFile() === true) out.push({ rel: childRel, abs, size: stat.size, link: false });
    }
  }
}

/** Well-known secret files, by name (an .npmrc only with a credential in it). */
function wellKnown(rel: string, npmrc: string | undefined): string | undefined {
  const base = path.posix.basename(rel);
  if (base === ".npmrc") return npmrc !== undefined && /(_authToken|_auth|_password)\s*=/.test(npmrc) ? "an npm credential file" : undefined;
  if (base === ".env" || (/^\.env\.[^.]+$/.test(base) && !/\.(example|sample|template|dist)$/.test(base))) return "a dotenv file";
  if (/^id_(rsa|dsa|ecdsa|ed25519)$/.test(base)) return "an SSH private key";
  if (base === ".git-credentials") return "a git credential store";
  if (base === ".netrc" || base === "_netrc") return "a netrc credential file";
  if (base === ".pypirc") return "a PyPI credential file";
  if (rel === ".docker/config.json" || rel.endsWith("/.docker/config.json")) return "a docker credential file";
  return undefined;
}

function dedupe(hits: readonly Hit[]): Hit[] {
  const seen = new Map<string, Hit>();
  for (const hit of hits) if (!seen.has(hit.secret)) seen.set(hit.secret, hit);
  return [...seen.values()];
}

function fileFindings(rel: string, hits: readonly Hit[], known: string | undefined, input: ContextCheckInput): PrecheckFinding[] {
  if (hits.length === 0 && known === undefined) return [];
  const takers = input.copies.filter((c) => c.takes(rel));
  const copies = takers.filter((c) => c.kind === "copy");
  const binds = takers.filter((c) => c.kind === "bind");
  // A COPY puts it in a layer: an error. A bind mount lets the step read it, and only what the
  // step writes lands in the image (which the audit searches): a warning on the RUN line.
  const first = copies[0] ?? binds[0];
  const dockerfile = first === undefined ? null : { path: input.dockerfileDisplay, line: first.line };
  const at = (list: readonly ContextCopy[]): string => list.map((c) => `${c.keyword} at ${input.dockerfileDisplay}:${c.line}`).join(", ");
  const read = binds.length === 0 ? "" : `; bind-mounted into ${at(binds)}, where the step can read it`;
  const fate =
    copies.length > 0
      ? `taken into the image by ${at(copies)}${read} (add it to .dockerignore)`
      : binds.length > 0
        ? `bind-mounted into ${at(binds)}: the step can read it and write it into the image (keep it out of the build context, or list it in .dockerignore)`
        : "no COPY/ADD takes it into the image today (keep it out of the build context, or list it in .dockerignore)";
  const severity = copies.length > 0 ? "error" : "warning";
  const out: PrecheckFinding[] = hits.map((hit) => ({
    kind: "context-file",
    severity,
    secret: hit.secret,
    path: rel,
    encoding: hit.encoding,
    dockerfile,
    message: `build context: ${rel} holds secret "${hit.secret}" (${hit.encoding}): ${fate}`,
  }));
  if (known !== undefined && hits.length === 0) {
    out.push({ kind: "context-file", severity, secret: null, path: rel, encoding: null, dockerfile, message: `build context: ${rel} is ${known}: ${fate}` });
  }
  return out;
}
