import { createRequire } from "node:module";

/** From package.json, two levels up from both src/report and dist/report. */
export function toolVersion(): string {
  const require = createRequire(import.meta.url);
  const { version } = require("../../package.json") as { version: string };
  return version;
}
