import { usageError } from "../../errors.js";

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string | undefined;
}

/** Node's process.arch → GOARCH, the names image indexes use. */
const goarch: Partial<Record<NodeJS.Architecture, string>> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ia32: "386",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
};

export function hostPlatform(): Platform {
  return { os: "linux", architecture: goarch[process.arch] ?? process.arch };
}

/** `linux/arm64`, `linux/arm/v7`; `all` is handled by the caller. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant, extra] = text.split("/");
  if (!os || !architecture || extra !== undefined) throw usageError(`--platform ${text}: expected os/arch[/variant]`);
  return { os, architecture, variant };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

export function platformMatches(wanted: Platform, have: Platform): boolean {
  return (
    wanted.os === have.os &&
    wanted.architecture === have.architecture &&
    (wanted.variant === undefined || wanted.variant === have.variant)
  );
}
