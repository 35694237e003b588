import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";
import { DATA, DEAD, FINISH, HEAD, META, READY, STATE, TAIL, type DigestMessage, type DigestSetup } from "./digest-protocol.js";

/** A layer's sha256 as its bytes stream by: `update` in order, then `digest` once. */
export interface StreamDigest {
  update(chunk: Buffer): void;
  /** `sha256:<hex>`; rejects if the hashing thread failed. */
  digest(): Promise<string>;
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
  readonly #waiting = new Map<number, { resolve(hex: string): void; reject(error: Error): void }>();
  #nextStream = 1;
  #failed: Error | null = null;

  constructor() {
    const setup: DigestSetup = { ctrl: this.#ctrl.buffer as SharedArrayBuffer, ring: this.#ring.buffer as SharedArrayBuffer, slots: SLOTS, slotBytes: SLOT_BYTES };
    this.#worker = new Worker(digestWorkerModule(), { workerData: setup, resourceLimits: { maxOldGenerationSizeMb: 16 } });
    this.#worker.unref();
    this.#worker.on("message", (m: DigestMessage) => {
      const waiting = this.#waiting.get(m.stream);
      this.#waiting.delete(m.stream);
      waiting?.resolve(`sha256:${m.digest}`);
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

  open(): StreamDigest {
    const stream = this.#nextStream++;
    let result: Promise<string> | undefined;
    return {
      update: (chunk) => {
        for (let from = 0; from < chunk.length; from += SLOT_BYTES) this.#publish(DATA, stream, chunk.subarray(from, from + SLOT_BYTES));
      },
      digest: () => {
        if (result !== undefined) return result;
        result = new Promise<string>((resolve, reject) => {
          if (this.#failed !== null) return reject(this.#failed);
          this.#waiting.set(stream, { resolve, reject });
          this.#worker.ref();
          this.#publish(FINISH, stream, undefined);
        });
        void result.then(this.#unrefWhenIdle, this.#unrefWhenIdle);
        return result;
      },
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
      Atomics.wait(ctrl, TAIL, tail, 100);
    }
    const slot = head % SLOTS;
    ctrl[META + 3 * slot] = kind;
    ctrl[META + 3 * slot + 1] = stream;
    ctrl[META + 3 * slot + 2] = bytes?.length ?? 0;
    bytes?.copy(this.#ring, slot * SLOT_BYTES);
    Atomics.store(ctrl, HEAD, head + 1);
    Atomics.notify(ctrl, HEAD);
  }
}

let shared: DigestThread | undefined;

/** Whether layers opened now are hashed on the thread (tests wait for it). */
export function digestThreadReady(): boolean {
  return shared?.ready ?? false;
}

/**
 * A sha256 for one layer: on the hashing thread once it runs (started by the first call, so the
 * first, usually small, layer of a scan is hashed here while it starts), else on this thread.
 */
export function layerDigest(): StreamDigest {
  shared ??= new DigestThread();
  if (shared.ready) return shared.open();
  const hash = createHash("sha256");
  return {
    update: (chunk) => void hash.update(chunk),
    digest: () => Promise.resolve(`sha256:${hash.digest("hex")}`),
  };
}
