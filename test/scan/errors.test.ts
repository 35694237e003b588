import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { scanImage } from "../../src/scan/scan-image.js";
import { TOKEN } from "./fixture-expectations.js";
import { fixtures, secret } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "sbtest-scan-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** A ustar header for `name` claiming `size` bytes, with a valid checksum. */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(size.toString(8).padStart(11, "0") + "\0", 124);
  h.write("00000000000\0", 136);
  h.write("        ", 148);
  h.write("0", 156);
  h.write("ustar\u000000", 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  return h;
}

const leaky = readFileSync(join(fixtures, "leaky.docker.tar"));
const secrets = [secret("token", TOKEN)];
const scan = (ref: string, extra: Partial<Parameters<typeof scanImage>[0]> = {}) =>
  scanImage({ ref, secrets, env: {}, cwd: dir, ...extra });

describe("unreadable inputs are input errors (exit 2) with one clear line", () => {
  test.each([
    ["truncated archive", () => file("trunc.tar", leaky.subarray(0, 40_000)), /corrupt or truncated/],
    ["random bytes", () => file("garbage.tar", Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251))), /corrupt or truncated/],
    ["empty file", () => file("empty.tar", Buffer.alloc(0)), /no manifest\.json or index\.json/],
    ["header claiming 8 GB on a short file", () => file("huge.tar", Buffer.concat([tarHeader("layer.tar", 8 * 1024 ** 3), Buffer.alloc(1024)])), /corrupt or truncated/],
    ["a manifest that is not JSON", () => file("badjson.tar", Buffer.concat([tarHeader("manifest.json", 3), Buffer.from("{x}".padEnd(512, "\0")), Buffer.alloc(1024)])), /not valid JSON/],
    ["a missing file", () => join(dir, "nope.tar"), /no such file/],
    ["a directory that is no layout", () => dir, /no manifest\.json or index\.json/],
  ])("%s", async (_name, make, message) => {
    const error = await scan(make()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ kind: "input", exitCode: 2 });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("\n");
  });

  test("a gzip outer tarball cut short", async () => {
    const gz = readFileSync(join(fixtures, "leaky.docker.tar.gz"));
    await expect(scan(file("cut.tar.gz", gz.subarray(0, gz.length - 100)))).rejects.toMatchObject({ kind: "input" });
  });
});

describe("engine references", () => {
  test("no engine at DOCKER_HOST is an environment error (exit 4)", async () => {
    await expect(scan("sbtest-scan-none:1", { env: { DOCKER_HOST: `unix://${join(dir, "no.sock")}` } })).rejects.toMatchObject({
      kind: "environment",
      exitCode: 4,
    });
  });
});

describe("secrets", () => {
  test("values under 8 bytes are skipped with a warning naming the id only", async () => {
    const result = await scanImage({ ref: "leaky.docker.tar", secrets: [secret("short", "abc1234"), ...secrets], env: {}, cwd: fixtures });
    expect(result.warnings.join("\n")).toContain('"short"');
    expect(result.warnings.join("\n")).not.toContain("abc1234");
    expect(result.findings.every((f) => f.secret === "token")).toBe(true);
  });

  test("no finding field holds the value, even for a file named after it", async () => {
    const result = await scanImage({ ref: "leaky.docker.tar", secrets, env: {}, cwd: fixtures });
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });
});

describe("abort", () => {
  test("an aborted signal ends the scan as interrupted", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(scanImage({ ref: "leaky.oci", secrets, env: {}, cwd: fixtures, signal: controller.signal })).rejects.toMatchObject({
      kind: "interrupted",
    });
  });

  test("progress is reported with the bytes read", async () => {
    const seen: number[] = [];
    await scanImage({ ref: "leaky.docker.tar", secrets, env: {}, cwd: fixtures, progress: { expect: () => undefined, layer: () => undefined, read: (n) => seen.push(n) } });
    expect(seen.at(-1)).toBe(leaky.length);
  });
});
