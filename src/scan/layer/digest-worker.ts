/**
 * The layer thread (started by digest-thread.ts from this module's built file): hashes each
 * stream, and walks the tar streams it is asked to for the pattern rules (keyword-walk.ts). It
 * waits for slots without blocking its event loop (waitAsync), so an unreferenced thread never
 * keeps the process alive, and posts each stream's digest with what the rules found.
 */
import { createHash, type Hash } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { DATA, DEAD, FINISH, HEAD, META, OPEN_SNIFF, OPEN_TAR, READY, STARTER_WAITS, STATE, TAIL, THREAD_WAITS, type DigestMessage, type DigestSetup, type RulesMessage, type ThreadRuleSet } from "./digest-protocol.js";
import type { KeywordSearch, KeywordWalk } from "./keyword-walk.js";
import { sniffCompression } from "./sniff-compression.js";

const setup = workerData as DigestSetup;
const ctrl = new Int32Array(setup.ctrl);
const ring = Buffer.from(setup.ring);
// ES2024 (Node 16 on): the lib this project compiles against does not declare it yet
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: unknown } }).waitAsync;

/** Matches one stream keeps, as the starter's cap per scan (rule-limits.ts), which it applies on what comes back. */
const STREAM_MAX_MATCHES = 10_001;
/** Sniffing a layer needs its first 4 bytes (zstd's magic), as the walk's sniff does. */
const MAGIC_BYTES = 4;

interface Stream {
  readonly hash: Hash;
  walk: KeywordWalk | null;
  /** an OPEN_SNIFF stream's rules and first bytes, until there are enough to tell its compression */
  sniff: { readonly search: KeywordSearch; readonly windowBytes: number; head: Buffer } | null;
}

const streams = new Map<number, Stream>();

/** A rule set: its data comes by message, maybe after the first slot that names it. */
interface PendingSet {
  readonly search: Promise<KeywordSearch>;
  resolve(set: ThreadRuleSet): void;
}
const ruleSets = new Map<number, PendingSet>();

// the rules code (regex engines, the tar walker) loads only when a scan has rules
const walkModule = () => import("./keyword-walk.js");

function ruleSet(id: number): PendingSet {
  let pending = ruleSets.get(id);
  if (pending === undefined) {
    let resolve: (set: ThreadRuleSet) => void = () => undefined;
    const data = new Promise<ThreadRuleSet>((r) => (resolve = r));
    const search = data.then(async (set) => (await walkModule()).compileKeywordSearch(set, STREAM_MAX_MATCHES));
    pending = { search, resolve };
    ruleSets.set(id, pending);
  }
  return pending;
}

function streamOf(id: number): Stream {
  let stream = streams.get(id);
  if (stream === undefined) streams.set(id, (stream = { hash: createHash("sha256"), walk: null, sniff: null }));
  return stream;
}

async function open(kind: number, stream: Stream, bytes: Buffer): Promise<void> {
  const search = await ruleSet(bytes.readUInt32LE(0)).search;
  const windowBytes = bytes.readDoubleLE(4);
  if (kind === OPEN_TAR) stream.walk = new (await walkModule()).KeywordWalk(search, windowBytes);
  else stream.sniff = { search, windowBytes, head: Buffer.alloc(0) };
}

/** Bytes of an OPEN_SNIFF stream: held until the first 4 tell whether it is a tar to walk. */
async function sniffed(stream: Stream, bytes: Buffer): Promise<void> {
  const sniff = stream.sniff!;
  const held = sniff.head;
  sniff.head = Buffer.concat([held, bytes.subarray(0, MAGIC_BYTES)]);
  if (sniff.head.length < MAGIC_BYTES) return;
  stream.sniff = null;
  if (sniffCompression(sniff.head) !== "none") return;
  stream.walk = new (await walkModule()).KeywordWalk(sniff.search, sniff.windowBytes);
  stream.walk.write(held);
}

async function data(stream: Stream, bytes: Buffer): Promise<void> {
  stream.hash.update(bytes);
  if (stream.sniff !== null) await sniffed(stream, bytes);
  stream.walk?.write(bytes);
}

function finish(id: number, stream: Stream): void {
  streams.delete(id);
  const rules = stream.walk?.end();
  parentPort!.postMessage({ stream: id, digest: stream.hash.digest("hex"), rules } satisfies DigestMessage);
  // the message holds its own copy of each match
  for (const m of rules?.matches ?? []) m.secret.fill(0);
}

async function run(): Promise<void> {
  for (;;) {
    const at = Atomics.load(ctrl, TAIL);
    const published = Atomics.load(ctrl, HEAD);
    if (published === at) {
      // the flag first, then the wait (which checks HEAD again): a slot published in between is not missed
      Atomics.store(ctrl, THREAD_WAITS, 1);
      const wait = waitAsync(ctrl, HEAD, published);
      if (wait.async) await wait.value;
      Atomics.store(ctrl, THREAD_WAITS, 0);
      continue;
    }
    const slot = at % setup.slots;
    const kind = ctrl[META + 3 * slot]!;
    const id = ctrl[META + 3 * slot + 1]!;
    const length = ctrl[META + 3 * slot + 2]!;
    const bytes = ring.subarray(slot * setup.slotBytes, slot * setup.slotBytes + length);
    const stream = streamOf(id);
    if (kind === DATA) await data(stream, bytes);
    else if (kind === FINISH) finish(id, stream);
    else if (kind === OPEN_TAR || kind === OPEN_SNIFF) await open(kind, stream, bytes);
    Atomics.store(ctrl, TAIL, at + 1);
    const waits = Atomics.load(ctrl, STARTER_WAITS);
    if (waits !== 0 && at + 1 >= waits) Atomics.notify(ctrl, TAIL);
  }
}

parentPort!.on("message", (m: RulesMessage) => {
  if (m.type === "rules") ruleSet(m.set.id).resolve(m.set);
});
Atomics.store(ctrl, STATE, READY);
run().catch(() => {
  Atomics.store(ctrl, STATE, DEAD);
  Atomics.notify(ctrl, TAIL);
});
