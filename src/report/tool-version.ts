import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../package-root.js";

let cached: string | undefined;

/** safebuild's version, from our package.json (package-root.ts finds it from src/, dist/ or a bundle chunk). */
export function toolVersion(): string {
  if (cached !== undefined) return cached;
  const root = packageRoot();
  try {
    const version = root === undefined ? undefined : (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: unknown }).version;
    return (cached = typeof version === "string" ? version : "unknown");
  } catch {
    return (cached = "unknown");
  }
}
