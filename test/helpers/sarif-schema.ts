import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import AjvDraft04 from "ajv-draft-04";
import addFormats from "ajv-formats";

/**
 * SARIF 2.1.0's official JSON schema (OASIS, draft-04; see test/fixtures/sarif/README.md),
 * checked by Ajv with its formats (uri, uri-reference, date-time) on.
 */
const schemaFile = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/sarif/sarif-schema-2.1.0.json");
const ajv = new AjvDraft04.default({ allErrors: true, strict: false });
addFormats.default(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, "utf8")) as object);

/** What the schema rejects in a SARIF log, one line each (empty when valid). */
export function sarifProblems(text: string): string[] {
  let log: unknown;
  try {
    log = JSON.parse(text);
  } catch (error) {
    return [`not JSON: ${String(error)}`];
  }
  if (validate(log)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`);
}

export function assertValidSarif(text: string, what = "SARIF"): void {
  const problems = sarifProblems(text);
  if (problems.length > 0) throw new Error(`${what} does not validate against sarif-schema-2.1.0.json:\n  ${problems.slice(0, 20).join("\n  ")}`);
}

/**
 * A CLI run asked for SARIF: the report it wrote (the `--report`/`--output` file, else stdout),
 * when it wrote one, must validate. So every SARIF output of the suite is checked.
 */
export function checkSarifRun(args: readonly string[], cwd: string, stdout: Buffer): void {
  const format = flagValue(args, ["--format"]);
  if (format !== "sarif") return;
  const file = flagValue(args, ["--report", ...(args[0] === "scan" ? ["--output", "-o"] : [])]);
  if (file === undefined) {
    if (stdout.length > 0) assertValidSarif(stdout.toString(), `stdout of safebuild ${args.join(" ")}`);
    return;
  }
  const at = path.resolve(cwd, file);
  if (existsSync(at)) assertValidSarif(readFileSync(at, "utf8"), `${file} of safebuild ${args.join(" ")}`);
}

function flagValue(args: readonly string[], names: readonly string[]): string | undefined {
  let value: string | undefined;
  args.forEach((arg, i) => {
    if (arg === "--") return;
    for (const name of names) {
      if (arg === name) value = args[i + 1];
      else if (arg.startsWith(`${name}=`)) value = arg.slice(name.length + 1);
    }
  });
  return value;
}
