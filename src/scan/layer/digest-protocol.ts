/** What the layer hashing thread and its starter share: a ring of slots in shared memory. */
export interface DigestSetup {
  readonly ctrl: SharedArrayBuffer;
  readonly ring: SharedArrayBuffer;
  readonly slots: number;
  readonly slotBytes: number;
}

/** ctrl: slots published, slots consumed, thread state; then per slot: kind, stream, length */
export const HEAD = 0;
export const TAIL = 1;
export const STATE = 2;
export const META = 4;
export const READY = 1;
export const DEAD = 2;
export const DATA = 1;
export const FINISH = 2;

/** A finished stream's digest, posted to the starter. */
export interface DigestMessage {
  readonly stream: number;
  readonly digest: string;
}
