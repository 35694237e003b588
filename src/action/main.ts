// The GitHub Action's entry (action.yml runs it): inputs → one safebuild build → outputs and job
// summary. Everything it shows comes from the CLI, which masks it; it adds no value of its own.
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { runCommand } from "../process/run.js";
import { actionInputs } from "./inputs.js";
import { renderSummary, summaryFacts } from "./summary.js";
import { lastVerdict } from "./verdict.js";

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../bin/safebuild.cjs");

async function run(env: NodeJS.ProcessEnv): Promise<number> {
  const temp = mkdtempSync(path.join(env["RUNNER_TEMP"] || tmpdir(), "safebuild-action-"));
  try {
    let inputs;
    try {
      inputs = actionInputs(env, temp);
    } catch (error) {
      process.stderr.write(`::error title=safebuild::${(error as Error).message}\n`);
      return 2;
    }
    const tail = new PassThrough();
    let last = "";
    tail.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      last = (last + chunk.toString("utf8")).slice(-4096);
    });
    const controller = new AbortController();
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => controller.abort(signal));
    const outcome = await runCommand(
      { command: process.execPath, args: [cli, ...inputs.argv], env: { ...env, GITHUB_ACTIONS: "true" }, inheritEnv: false },
      { signal: controller.signal, hotPath: true, output: { kind: "forward", stdout: process.stdout, stderr: tail } },
    );
    const code = outcome.exitCode ?? 70;
    const verdict = lastVerdict(last) ?? `safebuild exited ${code}`;
    const outputs: Record<string, string> = { report: inputs.report, imageid: readOr(inputs.iidfile).trim(), digest: digestOf(inputs.metadataFile) };
    if (env["GITHUB_OUTPUT"]) appendFileSync(env["GITHUB_OUTPUT"], Object.entries(outputs).map(([k, v]) => `${k}=${v.replace(/[\r\n]/g, "")}\n`).join(""));
    if (env["GITHUB_STEP_SUMMARY"]) {
      const report = readOr(path.resolve(env["GITHUB_WORKSPACE"] || process.cwd(), inputs.report));
      appendFileSync(env["GITHUB_STEP_SUMMARY"], renderSummary(summaryFacts(inputs.format, report, verdict)));
    }
    return code;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

function readOr(file: string | undefined): string {
  try {
    return file === undefined ? "" : readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function digestOf(metadataFile: string | undefined): string {
  try {
    const digest = (JSON.parse(readOr(metadataFile)) as Record<string, unknown>)["containerimage.digest"];
    return typeof digest === "string" ? digest : "";
  } catch {
    return "";
  }
}

process.exitCode = await run(process.env);
