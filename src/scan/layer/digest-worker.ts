/**
 * The layer hashing thread (started by digest-thread.ts from this module's built file). It waits
 * for slots without blocking its event loop (waitAsync), so an unreferenced thread never keeps the
 * process alive, and posts each stream's digest.
 */
import { createHash, type Hash } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { DATA, DEAD, FINISH, HEAD, META, READY, STATE, TAIL, type DigestMessage, type DigestSetup } from "./digest-protocol.js";

const setup = workerData as DigestSetup;
const ctrl = new Int32Array(setup.ctrl);
const ring = Buffer.from(setup.ring);
const hashes = new Map<number, Hash>();
// ES2024 (Node 16 on): the lib this project compiles against does not declare it yet
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: unknown } }).waitAsync;

async function run(): Promise<void> {
  for (;;) {
    const at = Atomics.load(ctrl, TAIL);
    const published = Atomics.load(ctrl, HEAD);
    if (published === at) {
      const wait = waitAsync(ctrl, HEAD, published);
      if (wait.async) await wait.value;
      continue;
    }
    const slot = at % setup.slots;
    const kind = ctrl[META + 3 * slot]!;
    const stream = ctrl[META + 3 * slot + 1]!;
    const length = ctrl[META + 3 * slot + 2]!;
    let hash = hashes.get(stream);
    if (hash === undefined) hashes.set(stream, (hash = createHash("sha256")));
    if (kind === DATA) hash.update(ring.subarray(slot * setup.slotBytes, slot * setup.slotBytes + length));
    else if (kind === FINISH) {
      hashes.delete(stream);
      parentPort!.postMessage({ stream, digest: hash.digest("hex") } satisfies DigestMessage);
    }
    Atomics.store(ctrl, TAIL, at + 1);
    Atomics.notify(ctrl, TAIL);
  }
}

// a pending waitAsync does not keep a thread alive, a listening port does
parentPort!.on("message", () => undefined);
Atomics.store(ctrl, STATE, READY);
run().catch(() => {
  Atomics.store(ctrl, STATE, DEAD);
  Atomics.notify(ctrl, TAIL);
});
