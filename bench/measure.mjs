// Runs a command once and measures it: wall time, exit code, captured output and,
// through GNU time when it is installed, the peak resident set size and the CPU seconds
// (user + system: on a busy machine a steadier figure than wall time).
import { spawn } from "node:child_process";
import { existsSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

const gnuTime = "/usr/bin/time";
export const canMeasureRss = existsSync(gnuTime);

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ discardStdout?: boolean, rss?: boolean, env?: NodeJS.ProcessEnv, cwd?: string }} [opts]
 * @returns {Promise<{ ms: number, code: number | null, signal: string | null, stdout: string, stderr: string, rssKb: number | null, cpuMs: number | null }>}
 */
export function measure(cmd, args, opts = {}) {
  const rssFile = join(tmpdir(), `safebuild-bench-rss-${process.pid}-${Date.now()}`);
  const wrapped = opts.rss && canMeasureRss;
  const [file, argv] = wrapped ? [gnuTime, ["-f", "%M %U %S", "-o", rssFile, cmd, ...args]] : [cmd, args];
  // stdout straight into /dev/null, like `> /dev/null`, so no pipe costs the baseline anything
  const devNull = opts.discardStdout ? openSync("/dev/null", "w") : null;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, argv, {
      stdio: ["ignore", devNull ?? "pipe", "pipe"],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    const out = [];
    const err = [];
    child.stdout?.on("data", (c) => out.push(c));
    child.stderr.on("data", (c) => err.push(c));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const ms = performance.now() - t0;
      if (devNull !== null) closeSync(devNull);
      let rssKb = null;
      let cpuMs = null;
      if (wrapped && existsSync(rssFile)) {
        // GNU time writes "Command exited with non-zero status N" before the figures
        const [kb, user, sys] = (readFileSync(rssFile, "utf8").trim().split("\n").at(-1) ?? "").split(" ").map(Number);
        rssKb = Number.isFinite(kb) ? kb : null;
        cpuMs = Number.isFinite(user) && Number.isFinite(sys) ? (user + sys) * 1000 : null;
        rmSync(rssFile, { force: true });
      }
      resolve({
        ms,
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        rssKb,
        cpuMs,
      });
    });
  });
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
