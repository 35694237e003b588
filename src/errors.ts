/**
 * Typed errors. Every expected failure is a SafebuildError with the exit code of CONTRACT.md;
 * anything else that reaches cli.ts is a bug (exit 70).
 *
 * Messages name secret ids, paths and statuses, never a secret value: callers must not
 * interpolate anything that could hold one (child stderr, file contents, Vault replies).
 */
export const ExitCode = {
  ok: 0,
  leak: 1,
  usage: 2,
  /** the scan could not read all of the image (CONTRACT Additions: never exit 0 then); the same code as an unreadable image */
  incomplete: 2,
  build: 3,
  environment: 4,
  interrupted: 130,
  terminated: 143,
  internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorKind = "usage" | "input" | "build" | "environment" | "interrupted" | "internal";

const exitCodeOf: Record<ErrorKind, ExitCode> = {
  usage: ExitCode.usage,
  input: ExitCode.usage,
  build: ExitCode.build,
  environment: ExitCode.environment,
  interrupted: ExitCode.interrupted,
  internal: ExitCode.internal,
};

export class SafebuildError extends Error {
  readonly kind: ErrorKind;
  readonly exitCode: number;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SafebuildError";
    this.kind = kind;
    this.exitCode = options?.exitCode ?? exitCodeOf[kind];
  }
}

/** Bad flag, bad --secret spec, bad config file. Exit 2. */
export const usageError = (message: string, cause?: unknown): SafebuildError =>
  new SafebuildError("usage", message, { cause });

/** A secret that cannot be resolved, an unreadable image, a bad Dockerfile reference. Exit 2. */
export const inputError = (message: string, cause?: unknown): SafebuildError =>
  new SafebuildError("input", message, { cause });

/** The builder ran and failed. Exit 3. */
export const buildError = (message: string, cause?: unknown): SafebuildError =>
  new SafebuildError("build", message, { cause });

/** No docker CLI, no engine, no BuildKit. Exit 4. */
export const environmentError = (message: string, cause?: unknown): SafebuildError =>
  new SafebuildError("environment", message, { cause });

/** A signal stopped the run; cleanup has happened. Exit 128 + signal number. */
export const interruptedError = (signal: NodeJS.Signals): SafebuildError => {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
  return new SafebuildError("interrupted", `interrupted by ${signal}`, {
    exitCode: 128 + (numbers[signal] ?? 2),
  });
};

export const isSafebuildError = (error: unknown): error is SafebuildError => error instanceof SafebuildError;

/** The message of an OS error without anything but its code and the path we gave it. */
export function describeFsError(error: unknown): string {
  if (error && typeof error === "object" && "code" in error && typeof error.code === "string") {
    const known: Record<string, string> = {
      ENOENT: "no such file",
      EACCES: "permission denied",
      EPERM: "operation not permitted",
      EISDIR: "is a directory",
      ENOTDIR: "not a directory",
      ELOOP: "too many symlinks",
      // The code too: it is what people search for when a tmpfs fills up.
      ENOSPC: "no space left on device (ENOSPC)",
      EMFILE: "too many open files",
    };
    return known[error.code] ?? error.code;
  }
  return "unreadable";
}
