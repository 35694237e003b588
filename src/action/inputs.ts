/**
 * The action's inputs as a runner hands them to a step (`INPUT_<NAME>`, upper-cased, spaces as
 * `_`), turned into safebuild's own argv. Inputs named like docker/build-push-action's mean the
 * same; list inputs take one item per line (and commas where build-push-action allows them).
 */
export interface ActionInputs {
  readonly argv: readonly string[];
  /** Where the report goes (always a file in the action: the summary is made from it). */
  readonly report: string;
  readonly format: "text" | "json" | "sarif";
  readonly iidfile: string;
  readonly metadataFile: string | undefined;
}

const FORMATS = ["text", "json", "sarif"] as const;

export function input(env: NodeJS.ProcessEnv, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
}

/** One item per line; `#` comment lines and blanks dropped; commas split too when `commas`. */
export function listInput(env: NodeJS.ProcessEnv, name: string, commas = false): string[] {
  const lines = input(env, name).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  return commas ? lines.flatMap((l) => l.split(",").map((p) => p.trim()).filter((p) => p !== "")) : lines;
}

function booleanInput(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = input(env, name).toLowerCase();
  if (value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new Error(`input ${name}: expected true or false, got "${value}"`);
}

/** `tempDir` holds the image id file (and metadata) the outputs are read from. */
export function actionInputs(env: NodeJS.ProcessEnv, tempDir: string): ActionInputs {
  const format = (input(env, "format") || "sarif") as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) throw new Error(`input format: expected one of ${FORMATS.join(", ")}, got "${format}"`);
  const report = input(env, "output") || `safebuild-report.${format === "text" ? "txt" : format}`;
  const iidfile = `${tempDir}/iid`;
  const push = booleanInput(env, "push");
  const failOn = input(env, "fail-on");
  if (failOn !== "" && failOn !== "any") throw new Error(`input fail-on: only "any" is supported yet (set scan.failOn in the trusted config file for other policies), got "${failOn}"`);
  // The `digest` output is read from buildx's metadata file, written only after a clean push.
  const metadataFile = push ? `${tempDir}/metadata.json` : undefined;
  const argv: string[] = ["build"];
  for (const spec of listInput(env, "secrets")) argv.push("--secret", spec);
  const file = input(env, "file");
  if (file !== "") argv.push("--file", file);
  for (const tag of listInput(env, "tags", true)) argv.push("--tag", tag);
  for (const arg of listInput(env, "build-args")) argv.push("--build-arg", arg);
  for (const label of listInput(env, "labels")) argv.push("--label", label);
  const target = input(env, "target");
  if (target !== "") argv.push("--target", target);
  const platforms = listInput(env, "platforms", true);
  if (platforms.length > 0) argv.push("--platform", platforms.join(","));
  if (booleanInput(env, "no-cache")) argv.push("--no-cache");
  if (booleanInput(env, "pull")) argv.push("--pull");
  const config = input(env, "config");
  if (config !== "") argv.push("--config", config);
  for (const allow of listInput(env, "allow", true)) argv.push("--allow", allow);
  if (metadataFile !== undefined) argv.push("--push", "--metadata-file", metadataFile);
  argv.push("--format", format, "--report", report, "--iidfile", iidfile);
  argv.push(input(env, "context") || ".");
  return { argv, report, format, iidfile, metadataFile };
}
