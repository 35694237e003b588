import { readFile } from "node:fs/promises";
import path from "node:path";
import { describeFsError, usageError } from "../errors.js";
import type { LoadedConfig } from "./loaded-config.js";

// The YAML parser and the validator cost more to load than a whole cached build takes: they
// are imported only when a file is there to parse.
const parse = async (text: string, file: string, display: string): Promise<LoadedConfig> =>
  (await import("./parse-config.js")).parseConfig(text, file, display);

/** Looked for, in this order, in the build context and then in the current directory. */
export const CONFIG_NAMES = ["safebuild.yml", "safebuild.yaml"] as const;

export interface LoadConfigOptions {
  /** `--config PATH`: must exist. */
  readonly explicit?: string | undefined;
  readonly contextDir: string;
  readonly cwd: string;
}

/** The config in effect, or undefined when there is none (no flag, no file found). */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig | undefined> {
  if (options.explicit !== undefined) {
    const file = path.resolve(options.cwd, options.explicit);
    const text = await readText(file);
    if (text === undefined) throw usageError(`--config ${options.explicit}: no such file`);
    return parse(text, file, displayOf(file, options.cwd));
  }
  const dirs = [...new Set([path.resolve(options.cwd, options.contextDir), path.resolve(options.cwd)])];
  for (const dir of dirs) {
    for (const name of CONFIG_NAMES) {
      const file = path.join(dir, name);
      const text = await readText(file);
      if (text !== undefined) return parse(text, file, displayOf(file, options.cwd));
    }
  }
  return undefined;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if (error && typeof error === "object" && "code" in error && error.code === "ENOENT") return undefined;
    throw usageError(`${file}: ${describeFsError(error)}`);
  }
}

const displayOf = (file: string, cwd: string): string => {
  const relative = path.relative(cwd, file);
  return relative !== "" && !relative.startsWith("..") && relative.length < file.length ? relative : file;
};

