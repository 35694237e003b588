import { constants, createGunzip } from "node:zlib";
import type { Backlog, ByteSink } from "../../bytes/backlog.js";
import { handleOf } from "../content/zlib-handle.js";

/** One output piece, reused for the whole layer: big enough that a call's fixed cost is small. */
const OUTPUT_BYTES = 256 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * A gzip layer inflated on this thread, into one reused output buffer, as its bytes are written.
 * zlib's stream inflates on libuv's pool but hands every 256 KiB out in a fresh buffer: on a
 * registry scan of the 1 GB bench image those allocations cost more CPU (page faults, some 60
 * full garbage collections) than the inflating (docs/performance.md). Null on a node whose zlib
 * handle lacks the shape this drives (the stream is used then). Errors as decompressing-sink.ts.
 */
export function gunzipSink(downstream: ByteSink, backlog: Backlog, inner: Backlog, onError: (error: unknown) => void): ByteSink | null {
  const stream = createGunzip();
  const opened = handleOf(stream);
  if (opened === null) {
    stream.close();
    return null;
  }
  const { handle, state } = opened;
  const output = Buffer.allocUnsafeSlow(OUTPUT_BYTES);
  let failed = false;
  let zlibError: Error | null = null;
  handle.onerror = (message) => {
    zlibError ??= Object.assign(new Error(message), { code: "Z_DATA_ERROR" });
  };
  const fail = (error: unknown): void => {
    if (failed) return;
    failed = true;
    stream.close();
    onError(error);
  };
  // inflates all it can of `input`; the output goes on in pieces, each borrowed for the call
  const run = (flush: number, input: Buffer): void => {
    let inOffset = 0;
    let inLength = input.length;
    while (!failed) {
      handle.writeSync(flush, input, inOffset, inLength, output, 0, OUTPUT_BYTES);
      if (zlibError !== null) return fail(zlibError);
      const free = state[0]!;
      const left = state[1]!;
      if (free < OUTPUT_BYTES) {
        try {
          downstream.write(output.subarray(0, OUTPUT_BYTES - free));
        } catch (error) {
          return fail(error);
        }
      }
      // output space left over: zlib has nothing more to give from this input
      if (free > 0) return;
      inOffset += inLength - left;
      inLength = left;
    }
  };
  const waitForDownstream = (): void => {
    if (inner.pending) backlog.add(inner.settle());
  };
  return {
    write(chunk) {
      if (failed) return;
      run(constants.Z_NO_FLUSH, chunk);
      waitForDownstream();
    },
    end() {
      if (failed) return;
      // Z_FINISH on no input: a stream cut short fails here ("unexpected end of file")
      run(constants.Z_FINISH, EMPTY);
      if (failed) return;
      stream.close();
      try {
        downstream.end();
      } catch (error) {
        fail(error);
      }
      waitForDownstream();
    },
  };
}
