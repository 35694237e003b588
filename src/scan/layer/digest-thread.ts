import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";
import type * as Crypto from "node:crypto";
import type * as Threads from "node:worker_threads";

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
/** ctrl: slots published, slots consumed, thread state; then per slot: kind, stream, length */
const HEAD = 0;
const TAIL = 1;
const STATE = 2;
const META = 4;
const READY = 1;
const DEAD = 2;
const DATA = 1;
const FINISH = 2;

interface Setup {
  readonly ctrl: SharedArrayBuffer;
  readonly ring: SharedArrayBuffer;
  readonly slots: number;
  readonly slotBytes: number;
}

/**
 * The body of the hashing thread, serialized with `toString` and run with `eval`, so it must not
 * name anything outside itself. It waits for slots without blocking its event loop (waitAsync),
 * so an unreferenced thread never keeps the process alive, and posts each stream's digest.
 */
function digestThread(threads: typeof Threads, crypto: typeof Crypto): void {
  const setup = threads.workerData as Setup;
  const ctrl = new Int32Array(setup.ctrl);
  const ring = Buffer.from(setup.ring);
  const hashes = new Map<number, Crypto.Hash>();
  const [head, tail, state, meta, ready, dead, data, finish] = [0, 1, 2, 4, 1, 2, 1, 2];
  // ES2024 (Node 16 on): the lib this project compiles against does not declare it yet
  const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: unknown } }).waitAsync;
  // a pending waitAsync does not keep a thread alive, a listening port does
  threads.parentPort!.on("message", () => undefined);
  Atomics.store(ctrl, state, ready);
  const run = async (): Promise<void> => {
    for (;;) {
      const at = Atomics.load(ctrl, tail);
      const published = Atomics.load(ctrl, head);
      if (published === at) {
        const wait = waitAsync(ctrl, head, published);
        if (wait.async) await wait.value;
        continue;
      }
      const slot = at % setup.slots;
      const kind = ctrl[meta + 3 * slot]!;
      const stream = ctrl[meta + 3 * slot + 1]!;
      const length = ctrl[meta + 3 * slot + 2]!;
      let hash = hashes.get(stream);
      if (hash === undefined) hashes.set(stream, (hash = crypto.createHash("sha256")));
      if (kind === data) hash.update(ring.subarray(slot * setup.slotBytes, slot * setup.slotBytes + length));
      else if (kind === finish) {
        hashes.delete(stream);
        threads.parentPort!.postMessage({ stream, digest: hash.digest("hex") });
      }
      Atomics.store(ctrl, tail, at + 1);
      Atomics.notify(ctrl, tail);
    }
  };
  run().catch(() => {
    Atomics.store(ctrl, state, dead);
    Atomics.notify(ctrl, tail);
  });
}

const SOURCE = `(${digestThread.toString()})(require("node:worker_threads"), require("node:crypto"))`;

class DigestThread {
  readonly #ctrl = new Int32Array(new SharedArrayBuffer(4 * (META + 3 * SLOTS)));
  readonly #ring = Buffer.from(new SharedArrayBuffer(SLOTS * SLOT_BYTES));
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve(hex: string): void; reject(error: Error): void }>();
  #nextStream = 1;
  #failed: Error | null = null;

  constructor() {
    const setup: Setup = { ctrl: this.#ctrl.buffer as SharedArrayBuffer, ring: this.#ring.buffer as SharedArrayBuffer, slots: SLOTS, slotBytes: SLOT_BYTES };
    this.#worker = new Worker(SOURCE, { eval: true, workerData: setup, resourceLimits: { maxOldGenerationSizeMb: 16 } });
    this.#worker.unref();
    this.#worker.on("message", (m: { stream: number; digest: string }) => {
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
