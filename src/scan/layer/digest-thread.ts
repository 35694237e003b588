import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";
import { keepYoungGenerationCapped } from "../../process/young-generation.js";
import { DATA, DEAD, FINISH, HEAD, META, OPEN_BYTES, OPEN_SNIFF, OPEN_TAR, READY, STARTER_WAITS, STATE, TAIL, THREAD_WAITS, type DigestMessage, type DigestSetup, type RulesMessage, type ThreadRuleResult, type ThreadRuleSet } from "./digest-protocol.js";

/** A layer's sha256 as its bytes stream by: `update` in order, then `digest` once. */
export interface StreamDigest {
  update(chunk: Buffer): void;
  /** `sha256:<hex>`; rejects if the hashing thread failed. */
  digest(): Promise<string>;
  /** True when the layer thread runs the rules on this stream's tar entries (see `layerDigest`). */
  readonly rulesOnThread: boolean;
  /** What the rules found on the thread (after `digest`), or undefined when it did not walk the stream. */
  rules(): Promise<ThreadRuleResult | undefined>;
}

/**
 * Pattern rules for the thread to run on a stream's tar entries: `tar` for a stream that is one,
 * `sniff` for a layer as stored, walked when its first bytes say it is not compressed.
 */
export interface ThreadRules {
  readonly set: ThreadRuleSet;
  readonly mode: "tar" | "sniff";
  /** window bytes the rules may examine in this stream: what is left of the scan's budget */
  readonly windowBytes: number;
}

/**
 * The slots of the ring the main thread copies layer bytes into: a copy costs about a quarter of
 * hashing the bytes (0.35 s per GB here), and the thread hashes beside the walk (docs/performance.md).
 */
const SLOTS = 16;
const SLOT_BYTES = 256 * 1024;
/**
 * The thread's module (digest-worker.ts), built beside this one: by tsc into dist/scan/layer/, and
 * by scripts/bundle.mjs next to whichever bundle file holds this code; run from TypeScript source
 * (vitest), tsc's build of it (node cannot start a worker from a .ts file).
 */
export function digestWorkerModule(here: string = import.meta.url): URL {
  return here.endsWith(".ts") ? new URL("../../../dist/scan/layer/digest-worker.js", here) : new URL("./digest-worker.js", here);
}

class DigestThread {
  readonly #ctrl = new Int32Array(new SharedArrayBuffer(4 * (META + 3 * SLOTS)));
  readonly #ring = Buffer.from(new SharedArrayBuffer(SLOTS * SLOT_BYTES));
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve(m: DigestMessage): void; reject(error: Error): void }>();
  readonly #setsSent = new Set<number>();
  #nextStream = 1;
  #failed: Error | null = null;

  constructor() {
    const setup: DigestSetup = { ctrl: this.#ctrl.buffer as SharedArrayBuffer, ring: this.#ring.buffer as SharedArrayBuffer, slots: SLOTS, slotBytes: SLOT_BYTES };
    // room for the rules' compiled regexes and a stream's matches (at most 10,001, as needles.ts caps a scan)
    this.#worker = keepYoungGenerationCapped(new Worker(digestWorkerModule(), { workerData: setup, resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 4 } }));
    this.#worker.unref();
    this.#worker.on("message", (m: DigestMessage) => {
      const waiting = this.#waiting.get(m.stream);
      this.#waiting.delete(m.stream);
      waiting?.resolve(m);
    });
    const fail = (): void => {
      this.#failed ??= new Error("the layer hashing thread stopped");
      Atomics.store(this.#ctrl, STATE, DEAD);
      for (const w of this.#waiting.values()) w.reject(this.#failed);
      this.#waiting.clear();
    };
    this.#worker.on("error", fail);
    this.#worker.on("exit", fail);
  }

  /** The thread runs its loop: from now on a layer may be hashed there. */
  get ready(): boolean {
    return Atomics.load(this.#ctrl, STATE) === READY;
  }

  open(rules?: ThreadRules): StreamDigest {
    const stream = this.#nextStream++;
    if (rules !== undefined) {
      if (!this.#setsSent.has(rules.set.id)) {
        this.#setsSent.add(rules.set.id);
        this.#worker.postMessage({ type: "rules", set: rules.set } satisfies RulesMessage);
      }
      const open = Buffer.alloc(OPEN_BYTES);
      open.writeUInt32LE(rules.set.id, 0);
      open.writeDoubleLE(rules.windowBytes, 4);
      this.#publish(rules.mode === "tar" ? OPEN_TAR : OPEN_SNIFF, stream, open);
    }
    let result: Promise<DigestMessage> | undefined;
    const finished = (): Promise<DigestMessage> => {
      if (result !== undefined) return result;
      result = new Promise<DigestMessage>((resolve, reject) => {
        if (this.#failed !== null) return reject(this.#failed);
        this.#waiting.set(stream, { resolve, reject });
        this.#worker.ref();
        this.#publish(FINISH, stream, undefined);
      });
      void result.then(this.#unrefWhenIdle, this.#unrefWhenIdle);
      return result;
    };
    return {
      update: (chunk) => {
        for (let from = 0; from < chunk.length; from += SLOT_BYTES) this.#publish(DATA, stream, chunk.subarray(from, from + SLOT_BYTES));
      },
      digest: async () => `sha256:${(await finished()).digest}`,
      rulesOnThread: rules !== undefined,
      rules: async () => (await finished()).rules,
    };
  }

  readonly #unrefWhenIdle = (): void => {
    if (this.#waiting.size === 0) this.#worker.unref();
  };

  /** Copies into the next free slot, waiting (blocked) while the thread is a whole ring behind. */
  #publish(kind: number, stream: number, bytes: Buffer | undefined): void {
    const ctrl = this.#ctrl;
    const head = ctrl[HEAD]!;
    for (;;) {
      if (Atomics.load(ctrl, STATE) === DEAD) throw (this.#failed ??= new Error("the layer hashing thread stopped"));
      const tail = Atomics.load(ctrl, TAIL);
      if (head - tail < SLOTS) break;
      // Woken once half the ring is free, not at every slot (a wake-up is a system call). The
      // flag first, then the wait (which checks TAIL again): a slot freed in between is not missed.
      Atomics.store(ctrl, STARTER_WAITS, head - SLOTS / 2 + 1);
      Atomics.wait(ctrl, TAIL, tail, 100);
      Atomics.store(ctrl, STARTER_WAITS, 0);
    }
    const slot = head % SLOTS;
    ctrl[META + 3 * slot] = kind;
    ctrl[META + 3 * slot + 1] = stream;
    ctrl[META + 3 * slot + 2] = bytes?.length ?? 0;
    bytes?.copy(this.#ring, slot * SLOT_BYTES);
    Atomics.store(ctrl, HEAD, head + 1);
    if (Atomics.load(ctrl, THREAD_WAITS) !== 0) Atomics.notify(ctrl, HEAD);
  }
}

let shared: DigestThread | undefined;

/**
 * Starts the layer thread ahead of the first layer (a thread takes ~0.1 s to start): a first layer
 * hashed here also has the rules run here, and the first layer of an archive can be its largest.
 */
export function prestartLayerThread(): void {
  shared ??= new DigestThread();
}

/** Whether layers opened now are hashed on the thread (tests wait for it). */
export function digestThreadReady(): boolean {
  return shared?.ready ?? false;
}

/**
 * A sha256 for one layer: on the hashing thread once it runs (started by the first call, so the
 * first, usually small, layer of a scan is hashed here while it starts), else on this thread.
 * With `rules`, the thread also runs them on the stream's tar entries (`rulesOnThread`).
 */
export function layerDigest(rules?: ThreadRules): StreamDigest {
  shared ??= new DigestThread();
  if (shared.ready) return shared.open(rules);
  const hash = createHash("sha256");
  return {
    update: (chunk) => void hash.update(chunk),
    digest: () => Promise.resolve(`sha256:${hash.digest("hex")}`),
    rulesOnThread: false,
    rules: () => Promise.resolve(undefined),
  };
}
