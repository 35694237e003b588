import { PassThrough } from "node:stream";
import type { CommandContext } from "../../src/commands/context.js";
import type { Io } from "../../src/io.js";
import { createMasker } from "../../src/redact/masker.js";

export interface FakeContext extends CommandContext {
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly warnings: string[];
  readonly controller: AbortController;
}

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

/** A CommandContext over in-memory streams, with the real masker in front of them as in cli.ts. */
export function fakeContext(options: { interactive?: boolean; env?: NodeJS.ProcessEnv; cwd?: string } = {}): FakeContext {
  const masker = createMasker();
  const out = sink();
  const err = sink();
  const maskedErr = masker.wrap(err.stream);
  const warnings: string[] = [];
  const controller = new AbortController();
  const io: Io = {
    out: masker.wrap(out.stream),
    err: maskedErr,
    interactive: options.interactive ?? false,
    warn: (message) => {
      warnings.push(message);
      maskedErr.write(`safebuild: warning: ${message}\n`);
    },
    info: (message) => void maskedErr.write(`safebuild: ${message}\n`),
  };
  return {
    io,
    masker,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    signal: controller.signal,
    signalName: () => (controller.signal.aborted ? "SIGTERM" : undefined),
    stdout: out.text,
    stderr: err.text,
    warnings,
    controller,
  };
}
