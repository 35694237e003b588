import { existsSync, readdirSync } from "node:fs";

/**
 * A shared library of this machine whose self-test private keys the rules must know: the first
 * file named `NAME*` in the system's library folders. Absent, its tests skip, except under
 * CI=true, where they fail (scripts/ci-deps.sh installs `debianPackage`).
 */
export function systemLibrary(name: string, debianPackage: string): string | undefined {
  const found = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"]
    .flatMap((dir) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith(name)).map((n) => `${dir}/${n}`) : []))
    .at(0);
  if (found === undefined && process.env["CI"] === "true") throw new Error(`CI=true but ${name} is missing: install ${debianPackage}`);
  return found;
}

/** libgnutls (every Debian system has it: apt depends on it) */
export const libgnutls = (): string | undefined => systemLibrary("libgnutls.so.30", "libgnutls30");

/** mbedTLS 2.x's libmbedx509, whose test certificates' keys (library/certs.c) are compiled in */
export const libmbedx509 = (): string | undefined => systemLibrary("libmbedx509.so.1", "libmbedx509-1");

/** The `openssl` command (scripts/ci-deps.sh installs it), whose `speed` test keys are compiled in. */
export function opensslBinary(): string | undefined {
  const found = ["/usr/bin/openssl", "/usr/local/bin/openssl"].find((p) => existsSync(p));
  if (found === undefined && process.env["CI"] === "true") throw new Error("CI=true but openssl is missing: install openssl");
  return found;
}
