#!/usr/bin/env node
import { printable } from "./report/printable.js";
import type * as Commander from "@commander-js/extra-typings";
import { createRequire } from "node:module";
import { ExitCode, isSafebuildError, usageError } from "./errors.js";
import type { CommandContext } from "./commands/context.js";
import { createMasker } from "./redact/masker.js";
import type { MaskedStream } from "./redact/masker-api.js";
import { said } from "./redact/own-words.js";
import { createIo } from "./io-process.js";
import { toolVersion } from "./report/tool-version.js";
import { existsSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import { closest } from "./did-you-mean.js";

const require = createRequire(import.meta.url);
const version = toolVersion();
// commander is CommonJS: required directly it loads in half the time of its ESM wrapper,
// which is re-parsed for its exports (~20 ms of every run's startup on Node 20).
// extra-typings is commander's own classes, typed so that options come out of the chain typed.
const { Command, CommanderError, Option } = require("@commander-js/extra-typings") as typeof Commander;
type AnyCommand<A extends unknown[], O extends Commander.OptionValues> = Commander.Command<A, O>;
type Program = Commander.Command;

const REPORT_URL = "https://github.com/safebuild/safebuild/issues";
// No default list: commander would print "(default: [])" in --help; an absent list is [].
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Added first, so `--secret` heads every command's option list in --help. */
function secretOption<A extends unknown[], O extends Commander.OptionValues>(
  command: AnyCommand<A, O>,
  description = "a secret: id=ID,src=PATH | id=ID,env=VAR | ID=PATH | ID=env:VAR | ID=dotenv:PATH#KEY | ID=vault:PATH#FIELD | ID=cmd:COMMAND (repeatable)",
) {
  return command.option("--secret <spec>", description, collect);
}

function reportOptions<A extends unknown[], O extends Commander.OptionValues>(command: AnyCommand<A, O>) {
  return command
    .addOption(new Option("--format <format>", "report format (text to stderr, json/sarif to stdout)").choices(["text", "json", "sarif"] as const).default("text" as const))
    .option("--report <file>", "write the report to this file instead (the verdict line still goes to stderr)");
}

const ALLOW_HELP =
  "let a config inside the repository being built use a power (repeatable): cmd | env | env=VAR | vault | vault=PATH | fs.read=PATH | policy";
const CONFIG_HELP = "the safebuild.yml to use (default: ./safebuild.yml; never the build context's unless you opt in)";

/** Where the config comes from and what a repository config may do (docs/config.md). */
function configOptions<A extends unknown[], O extends Commander.OptionValues>(command: AnyCommand<A, O>) {
  return command.option("--config <file>", CONFIG_HELP).option("--allow <entitlement>", ALLOW_HELP, collect);
}

/** The same, for commands that read a build context, whose own config may be trusted. */
function contextConfigOptions<A extends unknown[], O extends Commander.OptionValues>(command: AnyCommand<A, O>) {
  return command
    .option("--config <file>", CONFIG_HELP)
    .option("--trust-context-config", "use the build context's own safebuild.yml (still confined: see --allow)", false)
    .option("--allow <entitlement>", ALLOW_HELP, collect);
}
/** Pattern rules beside the known values (docs/rules.md). */
function ruleOptions<A extends unknown[], O extends Commander.OptionValues>(command: AnyCommand<A, O>) {
  return command
    .option("--rules <file>", "add pattern rules from a gitleaks-format TOML file (repeatable)", collect)
    .option("--no-rules", "do not run pattern rules (built-in or added): known values only");
}
// --rules FILE and --no-rules share commander's `rules` key: a list of files, false, or unset
const rulesOf = (options: { rules?: string[] | boolean | undefined }) => ({ rulesFiles: Array.isArray(options.rules) ? options.rules : [], rules: options.rules !== false });

const configOf = (options: { config?: string | undefined; trustContextConfig?: boolean | undefined; allow?: string[] | undefined }) => ({
  config: options.config,
  trustContextConfig: options.trustContextConfig === true,
  allow: options.allow ?? [],
});

const SIGNAL_NUMBERS: Record<"SIGHUP" | "SIGINT" | "SIGTERM", number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
/** how long a signalled run may take to stop its builder and clean up before it exits regardless */
const SIGNAL_GRACE_MS = 10_000;

/** A command's action reports its exit code here. */
type Done = (code: number) => void;

async function main(argv: string[]): Promise<number> {
  // `::add-mask::` lines must bypass the masker (the runner has to read the values).
  const masker = createMasker({ emit: (line) => void process.stderr.write(line) });
  const io = createIo(masker);
  guardProcess(io);
  const ctx = commandContext(io, masker);
  let code: number = ExitCode.ok;
  const program = createProgram(io, ctx, argv, (result) => (code = result));

  if (argv.length === 0) {
    // As docker does for a missing argument: a bare `safebuild` must not build `.` with nothing to check.
    program.outputHelp({ error: true });
    await io.drain();
    return ExitCode.usage;
  }
  const mistyped = mistypedCommand(argv, program, ctx.cwd);
  if (mistyped !== undefined) {
    io.err.write(`safebuild: unknown command '${argv[0] ?? ""}'. Did you mean '${mistyped}'? (and no directory '${argv[0] ?? ""}' to build)\n`);
    await io.drain();
    return ExitCode.usage;
  }

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

/** The commands' context, with SIGINT/SIGTERM/SIGHUP turned into its abort signal. */
function commandContext(io: ReturnType<typeof createIo>, masker: ReturnType<typeof createMasker>): CommandContext {
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
    // something that cannot be aborted (a read blocked on a FIFO nobody writes) must not keep the
    // run alive: exit after a grace period all the same (the exit guard removes the secret files)
    setTimeout(() => process.exit(128 + SIGNAL_NUMBERS[signal]), SIGNAL_GRACE_MS).unref();
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
  return { io, masker, env: process.env, cwd: process.cwd(), signal: controller.signal, signalName: () => caught };
}

function createProgram(io: ReturnType<typeof createIo>, ctx: CommandContext, argv: string[], done: Done): Program {
  const program = new Command("safebuild")
    .description("Build container images with secrets, and prove no secret ended up in them.\nWith no command, 'build' runs: safebuild [build] [options] [context].")
    .version(version)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => io.err.write(text),
      outputError: (text, write) => write(text),
    });
  addBuildCommand(program, ctx, argv, done);
  addScanCommand(program, ctx, done);
  addCheckCommand(program, ctx, done);
  addHelp(program);
  return program;
}

function addBuildCommand(program: Program, ctx: CommandContext, argv: string[], done: Done): void {
  const build = reportOptions(
    secretOption(
      program
        .command("build", { isDefault: true })
        .description("build an image with BuildKit, handing secrets through private temp files, then scan it (the default command)")
        .argument("[context]", "build context", "."),
    )
      .option("-t, --tag <name>", "name and optionally a tag (repeatable)", collect)
      .option("-f, --file <Dockerfile>", "the Dockerfile (default: CONTEXT/Dockerfile)")
      .option("--build-arg <K=V>", "a build-time variable (repeatable); never put secrets here", collect)
      .option("--label <K=V>", "an image label (repeatable)", collect)
      .option("--target <stage>", "the build stage to build")
      .option("--platform <platform>", "the target platform")
      .option("--no-cache", "do not use the build cache")
      .option("--cache-secrets", "keep cached steps that mount a secret whose value changed since the last build (default: they run again)")
      .option("--pull", "always try to pull newer base images")
      .option("-o, --output <exporter>", "docker's exporter: type=docker or type=image (the image lands in the engine, where it is audited); others are refused", collect)
      .option("--no-scan", "build only, do not audit the image")
      .option("--push", "push every -t tag that names a registry, only after a clean scan")
      .option("--metadata-file <file>", "write buildx's build metadata (containerimage.digest, image.name, …) to this file")
      .option("--insecure-registry <host>", "with --push: a registry whose pushed digest may be checked over plain HTTP (repeatable; loopback always may)", collect)
      .option("--iidfile <file>", "also write the image id to this file")
      .addOption(new Option("--progress <type>", "docker's progress flag: auto, plain, tty or quiet (the masked log is always plain)").choices(["auto", "plain", "tty", "quiet", "rawjson"] as const))
      .option("-q, --quiet", "do not stream the build log (it is shown if the build fails)")
      .option("--ssh <spec>", "docker's --ssh: an SSH agent socket or keys for RUN --mount=type=ssh (repeatable)", collect)
      .option("--cache-from <src>", "docker's --cache-from (repeatable)", collect)
      .option("--cache-to <dest>", "docker's --cache-to, buildx only (repeatable)", collect)
      .option("--network <mode>", "docker's --network for RUN steps")
      .option("--add-host <host:ip>", "docker's --add-host (repeatable)", collect)
      .option("--docker <path>", "the docker CLI to use (default: $SAFEBUILD_DOCKER, then docker on PATH)"),
  );
  contextConfigOptions(ruleOptions(build)).action(async (context, options) => {
    const { buildCommand } = await import("./commands/build.js");
    const result = await buildCommand(
      {
        context,
        secrets: options.secret ?? [],
        tags: options.tag ?? [],
        file: options.file,
        buildArgs: options.buildArg ?? [],
        labels: options.label ?? [],
        target: options.target,
        platform: options.platform,
        noCache: options.cache === false,
        cacheSecrets: options.cacheSecrets === true,
        pull: options.pull === true,
        scan: options.scan !== false,
        docker: options.docker,
        iidfile: options.iidfile,
        ...configOf(options),
        ...rulesOf(options),
        format: options.format,
        report: options.report,
        exporters: options.output ?? [],
        quiet: options.quiet === true || options.progress === "quiet",
        builderFlags: builderFlagsOf(options),
        passthrough: passthroughOf(argv),
        push: options.push === true,
        metadataFile: options.metadataFile,
        insecureRegistries: options.insecureRegistry ?? [],
      },
      ctx,
    );
    done(result);
  });
}

function addScanCommand(program: Program, ctx: CommandContext, done: Done): void {
  const scan = reportOptions(
    secretOption(
      program
        .command("scan")
        .description("audit an image (engine reference, docker save tarball, OCI layout) for secret values")
        .argument("<image>", "app:1, sha256:…, FILE.tar[.gz], OCI dir, skopeo dir:, registry:HOST/REPO:TAG, podman:IMAGE; prefixes docker:, docker-archive:, oci:, oci-archive:, dir:, registry:, podman: force the kind"),
    )
      .option("--platform <platform>", "scan only this platform of a multi-platform index (default: every platform)")
      .option("--file <dockerfile>", "the Dockerfile the image was built from: findings name its lines")
      .option("--target <stage>", "with --file: the stage the image was built to (default: the last)")
      .option("--insecure-registry <host>", "a registry that may be reached over plain HTTP (repeatable; loopback always may)", collect),
  ).option("--output <file>", "the same as --report (as Trivy users type it)");
  configOptions(ruleOptions(scan)).action(async (image, options) => {
    const { scanCommand } = await import("./commands/scan.js");
    const result = await scanCommand(
      {
        image,
        secrets: options.secret ?? [],
        platform: options.platform,
        file: options.file,
        target: options.target,
        insecureRegistries: options.insecureRegistry ?? [],
        ...configOf(options),
        ...rulesOf(options),
        format: options.format,
        report: reportFileOf(options),
      },
      ctx,
    );
    done(result);
  });
}

function addCheckCommand(program: Program, ctx: CommandContext, done: Done): void {
  const check = secretOption(
    program
      .command("check")
      .description("resolve every secret and run the pre-build checks without building")
      .argument("[context]", "build context", "."),
    "a secret spec, as for build (repeatable)",
  )
    .option("-f, --file <Dockerfile>", "the Dockerfile (default: CONTEXT/Dockerfile)")
    .option("--target <stage>", "check the stages this build target runs (as for build)")
    .option("--build-arg <K=V>", "a build-time variable, as for build (repeatable): ids and stages can come from ARGs", collect)
    .addOption(new Option("--format <format>", "text (a table on stdout) or json").choices(["text", "json"] as const).default("text" as const));
  contextConfigOptions(ruleOptions(check)).action(async (context, options) => {
    const { checkCommand } = await import("./commands/check.js");
    const result = await checkCommand(
      {
        context,
        secrets: options.secret ?? [],
        file: options.file,
        target: options.target,
        buildArgs: options.buildArg ?? [],
        ...rulesOf(options),
        ...configOf(options),
        format: options.format,
      },
      ctx,
    );
    done(result);
  });
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
function passthroughOf(argv: string[]): string[] {
  const at = argv.indexOf("--");
  return at === -1 ? [] : argv.slice(at + 1);
}

/** docker build flags safebuild takes with docker's meaning and hands on as typed. */
function builderFlagsOf(options: { ssh?: string[]; cacheFrom?: string[]; cacheTo?: string[]; network?: string; addHost?: string[] }): string[] {
  const { network } = options;
  return [
    ...(options.ssh ?? []).flatMap((v) => ["--ssh", v]),
    ...(options.cacheFrom ?? []).flatMap((v) => ["--cache-from", v]),
    ...(options.cacheTo ?? []).flatMap((v) => ["--cache-to", v]),
    ...(network === undefined ? [] : ["--network", network]),
    ...(options.addHost ?? []).flatMap((v) => ["--add-host", v]),
  ];
}

/** `scan --output` is `--report` under Trivy's name; both at once must agree. */
function reportFileOf(options: { report?: string; output?: string }): string | undefined {
  const { report, output } = options;
  if (report !== undefined && output !== undefined && report !== output) {
    throw usageError(`--report ${report} and --output ${output} name two report files; give one of them`);
  }
  return report ?? output;
}

/**
 * `safebuild scna img` would otherwise build a context named `scna` ("too many arguments").
 * A first word close to a command name, naming no existing path, is a typo.
 */
function mistypedCommand(argv: readonly string[], program: Program, cwd: string): string | undefined {
  const first = argv[0];
  if (first === undefined || first.startsWith("-") || first.includes("/") || first === ".") return undefined;
  const names = program.commands.map((c) => c.name());
  if (names.includes(first) || existsSync(resolvePath(cwd, first))) return undefined;
  return closest(first, names);
}

const EXIT_CODES = `
Exit codes:
  0   no leak found (or built with --no-scan)
  1   leak: at least one secret value (or encoding of one) is in the image
  2   usage or input error (bad flag or --secret, a secret that cannot be resolved, unreadable image)
  3   the build failed
  4   environment error (no docker CLI, no engine, no BuildKit)
  70  internal error (a bug)`;

function addHelp(program: Program): void {
  program.addHelpText(
    "after",
    `
'build' is the default command: 'safebuild --secret npmrc=~/.npmrc .' is 'safebuild build --secret npmrc=~/.npmrc .'.

Examples:
  safebuild --secret npmrc=~/.npmrc -t app:1 .
  safebuild scan app:1 --secret npmrc=~/.npmrc
  safebuild check --secret id=npmrc,src=.npmrc
${EXIT_CODES}`,
  );
  const examples: Record<string, string> = {
    build: `
Examples:
  safebuild build --secret npmrc=~/.npmrc -t app:1 .
  safebuild --secret id=npm,env=NPM_TOKEN --format sarif --report safebuild.sarif .
  safebuild --secret token=vault:secret/ci#npm -f docker/Dockerfile . -- --shm-size 1g
  safebuild --secret npmrc=~/.npmrc -t registry.example.com/app:1 --push --metadata-file build.json .
Anything after -- goes to the builder as typed, except flags that would bypass the audit (--secret, -o, --push).
A verdict line (LEAK / OK / NOTHING CHECKED) is the last line on stderr whatever --format and --report say.
${EXIT_CODES}`,
    scan: `
Examples:
  safebuild scan app:1 --secret npmrc=~/.npmrc
  safebuild scan image.tar.gz --secret tok=env:TOKEN --format json --report scan.json
  safebuild scan oci-archive:app.oci.tar --secret id=npmrc,src=.npmrc
A verdict line (LEAK / OK) is the last line on stderr whatever --format and --report say.
${EXIT_CODES}`,
    check: `
Examples:
  safebuild check --secret npmrc=~/.npmrc .
  safebuild check --format json --secret tok=env:TOKEN
Prints ids, sources, sizes and keyed fingerprints, never values. Exit 0 when every secret resolves, 2 otherwise.`,
  };
  for (const command of program.commands) {
    const text = examples[command.name()];
    if (text !== undefined) command.addHelpText("after", text);
  }
}

function exitCodeFor(error: unknown, err: MaskedStream, ctx: CommandContext): number {
  if (error instanceof CommanderError) {
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") {
      return ExitCode.ok;
    }
    // commander has already printed its one-line message.
    return ExitCode.usage;
  }
  if (isSafebuildError(error)) {
    if (error.kind !== "interrupted" || ctx.signalName() !== undefined) {
      // no escape sequence a path of the repository's put in it reaches the terminal (lines stay lines)
      err.say(said`safebuild: ${error.message.split("\n").map(printable).join("\n")}\n`);
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

