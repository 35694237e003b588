import { existsSync, readdirSync } from "node:fs";

/**
 * This machine's libgnutls (every Debian system has it: apt depends on it), whose self-test
 * private keys the rules must know. Absent, its tests skip, except under CI=true, where they fail.
 */
export function libgnutls(): string | undefined {
  const found = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"]
    .flatMap((dir) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith("libgnutls.so.30")).map((n) => `${dir}/${n}`) : []))
    .at(0);
  if (found === undefined && process.env["CI"] === "true") throw new Error("CI=true but libgnutls30 is missing (apt depends on it): install it");
  return found;
}
