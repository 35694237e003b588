#!/usr/bin/env node
import type * as Commander from "commander";
import { createRequire } from "node:module";
import { ExitCode, isSafebuildError } from "./errors.js";
import type { CommandContext, ReportFormat } from "./commands/context.js";
import { createMasker } from "./redact/masker.js";
import { createIo } from "./io-process.js";
import { toolVersion } from "./report/tool-version.js";

const require = createRequire(import.meta.url);
const version = toolVersion();
// commander is CommonJS: required directly it loads in half the time of its ESM wrapper,
// which is re-parsed for its exports (~20 ms of every run's startup on Node 20).
const { Command, CommanderError, Option } = require("commander") as typeof Commander;
type Command = Commander.Command;

const REPORT_URL = "https://github.com/safebuild/safebuild/issues";
const collect = (value: string, previous: string[]): string[] => [...previous, value];

function reportOptions(command: Command): Command {
  return command
    .addOption(new Option("--format <format>", "report format").choices(["text", "json", "sarif"]).default("text"))
    .option("--output <file>", "write the report to a file instead of stdout/stderr")
    .option("--secret <spec>", "a secret: id=ID,src=PATH | id=ID,env=VAR | ID=PATH | ID=env:VAR | ID=dotenv:PATH#KEY | ID=vault:PATH#FIELD | ID=cmd:COMMAND (repeatable)", collect, []);
}

const ALLOW_HELP =
  "let a config inside the repository being built use a power (repeatable): cmd | env | env=VAR | vault | vault=PATH | fs.read=PATH | policy";

/** Where the config comes from and what a repository config may do (docs/config.md). */
function configOptions(command: Command, withContext: boolean): Command {
  command.option("--config <file>", "the safebuild.yml to use (default: ./safebuild.yml; never the build context's unless you opt in)");
  if (withContext) command.option("--trust-context-config", "use the build context's own safebuild.yml (still confined: see --allow)", false);
  return command.option("--allow <entitlement>", ALLOW_HELP, collect, []);
}

const configOf = (options: Record<string, unknown>) => ({
  config: options["config"] as string | undefined,
  trustContextConfig: options["trustContextConfig"] === true,
  allow: options["allow"] as string[],
});

const SIGNAL_NUMBERS: Record<"SIGHUP" | "SIGINT" | "SIGTERM", number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

async function main(argv: string[]): Promise<number> {
  // `::add-mask::` lines must bypass the masker (the runner has to read the values).
  const masker = createMasker({ emit: (line) => void process.stderr.write(line) });
  const io = createIo(masker);
  guardProcess(io);
  const controller = new AbortController();
  let caught: NodeJS.Signals | undefined;
  const onSignal = (signal: "SIGHUP" | "SIGINT" | "SIGTERM"): void => {
    if (caught !== undefined) {
      // A second signal: stop waiting for the builder. The exit guard still removes the
      // secret files synchronously on the way out.
      process.exit(128 + SIGNAL_NUMBERS[signal]);
    }
    caught = signal;
    controller.abort(signal);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);

  const ctx: CommandContext = {
    io,
    masker,
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
    signalName: () => caught,
  };

  let code: number = ExitCode.ok;
  const program = new Command("safebuild")
    .description("Build container images with secrets, and prove no secret ended up in them.")
    .version(version)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => io.err.write(text),
      outputError: (text, write) => write(text),
    });

  const build = reportOptions(
    program
      .command("build", { isDefault: true })
      .description("build an image with BuildKit, handing secrets through private temp files, then scan it")
      .argument("[context]", "build context", ".")
      .option("-t, --tag <name>", "name and optionally a tag (repeatable)", collect, [])
      .option("-f, --file <Dockerfile>", "the Dockerfile (default: CONTEXT/Dockerfile)")
      .option("--build-arg <K=V>", "a build-time variable (repeatable); never put secrets here", collect, [])
      .option("--label <K=V>", "an image label (repeatable)", collect, [])
      .option("--target <stage>", "the build stage to build")
      .option("--platform <platform>", "the target platform")
      .option("--no-cache", "do not use the build cache")
      .option("--pull", "always try to pull newer base images", false)
      .option("--no-scan", "build only, do not audit the image")
      .option("--iidfile <file>", "also write the image id to this file")
      .option("--docker <path>", "the docker CLI to use (default: $SAFEBUILD_DOCKER, then docker on PATH)"),
  );
  configOptions(build, true).action(async (context: string, options: Record<string, unknown>, command: Command) => {
    const { buildCommand } = await import("./commands/build.js");
    code = await buildCommand(
      {
        context,
        secrets: options["secret"] as string[],
        tags: options["tag"] as string[],
        file: options["file"] as string | undefined,
        buildArgs: options["buildArg"] as string[],
        labels: options["label"] as string[],
        target: options["target"] as string | undefined,
        platform: options["platform"] as string | undefined,
        noCache: options["cache"] === false,
        pull: options["pull"] === true,
        scan: options["scan"] !== false,
        docker: options["docker"] as string | undefined,
        iidfile: options["iidfile"] as string | undefined,
        ...configOf(options),
        format: options["format"] as ReportFormat,
        output: options["output"] as string | undefined,
        passthrough: passthroughOf(argv, command),
      },
      ctx,
    );
  });

  const scan = reportOptions(
    program
      .command("scan")
      .description("audit an image (engine reference, docker save tarball, OCI layout) for secret values")
      .argument("<image>", "app:1, sha256:…, FILE.tar[.gz], OCI dir; prefixes docker:, docker-archive:, oci:, oci-archive: force the kind")
      .option("--platform <platform>", "scan only this platform of a multi-platform index (default: every platform)"),
  );
  configOptions(scan, false).action(async (image: string, options: Record<string, unknown>) => {
    const { scanCommand } = await import("./commands/scan.js");
    code = await scanCommand(
      {
        image,
        secrets: options["secret"] as string[],
        platform: options["platform"] as string | undefined,
        ...configOf(options),
        format: options["format"] as ReportFormat,
        output: options["output"] as string | undefined,
      },
      ctx,
    );
  });

  const check = program
    .command("check")
    .description("resolve every secret and run the pre-build checks without building")
    .argument("[context]", "build context", ".")
    .option("--secret <spec>", "a secret spec, as for build (repeatable)", collect, [])
    .option("-f, --file <Dockerfile>", "the Dockerfile (default: CONTEXT/Dockerfile)");
  configOptions(check, true).action(async (context: string, options: Record<string, unknown>) => {
      const { checkCommand } = await import("./commands/check.js");
      code = await checkCommand(
        {
          context,
          secrets: options["secret"] as string[],
          file: options["file"] as string | undefined,
          ...configOf(options),
        },
        ctx,
      );
    });

  try {
    // What follows `--` is the builder's (passthroughOf), never commander's positionals.
    const dashDash = argv.indexOf("--");
    await program.parseAsync(dashDash === -1 ? argv : argv.slice(0, dashDash), { from: "user" });
  } catch (error) {
    code = exitCodeFor(error, io.err, ctx);
  }
  await io.drain();
  masker.wipe();
  return code;
}

/**
 * Whatever escapes the commands' own handling (an error thrown in an event callback, a
 * rejected promise nobody awaited, a Node warning) is still written through the masker, and
 * a crash is exit 70, never Node's default exit 1, which would read as "leak found".
 */
function guardProcess(io: ReturnType<typeof createIo>): void {
  const crash = (error: unknown): void => {
    const where = error instanceof Error && error.stack ? error.stack : String(error);
    io.err.write(`safebuild: internal error (a bug). Please report it at ${REPORT_URL} with this output:\n${where}\n`);
    void io.drain().finally(() => process.exit(ExitCode.internal));
  };
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
  process.removeAllListeners("warning");
  process.on("warning", (warning) => io.warn(`${warning.name}: ${warning.message}`));
}

/** Arguments after a literal `--` belong to the builder, untouched. */
function passthroughOf(argv: string[], _command: Command): string[] {
  const at = argv.indexOf("--");
  return at === -1 ? [] : argv.slice(at + 1);
}

function exitCodeFor(error: unknown, err: NodeJS.WritableStream, ctx: CommandContext): number {
  if (error instanceof CommanderError) {
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") {
      return ExitCode.ok;
    }
    // commander has already printed its one-line message.
    return ExitCode.usage;
  }
  if (isSafebuildError(error)) {
    if (error.kind !== "interrupted" || ctx.signalName() !== undefined) {
      err.write(`safebuild: ${error.message}\n`);
    }
    return error.exitCode;
  }
  const where = error instanceof Error && error.stack ? error.stack : String(error);
  err.write(`safebuild: internal error (a bug). Please report it at ${REPORT_URL} with this output:\n${where}\n`);
  return ExitCode.internal;
}

// main handles every error itself; one escaping here means the masker may not exist, so
// nothing of it is printed.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  () => {
    process.stderr.write(`safebuild: internal error (a bug). Please report it at ${REPORT_URL}\n`);
    process.exit(ExitCode.internal);
  },
);

