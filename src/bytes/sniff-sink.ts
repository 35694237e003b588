import type { ByteSink } from "./backlog.js";

/**
 * Keeps a stream's first `need` bytes (copied: chunks are borrowed) until its format can be
 * told, then hands them and everything after to the sink `decide` picks. A stream shorter than
 * `need` is decided on what there is, at its end.
 */
export function sniffingSink(need: number, decide: (head: Buffer) => ByteSink): ByteSink {
  let head: Buffer | null = null;
  let target: ByteSink | null = null;
  return {
    write(chunk) {
      if (target) return target.write(chunk);
      const have = head === null ? chunk : Buffer.concat([head, chunk]);
      if (have.length < need) {
        head = Buffer.from(have);
        return;
      }
      head = null;
      target = decide(have.subarray(0, need));
      target.write(have);
    },
    get complete() {
      return target?.complete === true;
    },
    end() {
      if (!target) {
        const have = head ?? Buffer.alloc(0);
        target = decide(have);
        if (have.length > 0) target.write(have);
        head = null;
      }
      target.end();
    },
  };
}
