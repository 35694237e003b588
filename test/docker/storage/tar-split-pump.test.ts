import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { Backlog, type ByteSink } from "../../../src/bytes/backlog.js";
import { safeRelative, tarSplitPump } from "../../../src/docker/storage/tar-split-pump.js";
import { StorageMismatch } from "../../../src/docker/storage/storage-mismatch.js";
import { tarSplitRecord, type RecordPart } from "./tar-split-record.js";

const work = mkdtempSync(join(tmpdir(), "sbtest-tar-split-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let made = 0;

/** A layer folder with `files`, and its record of `parts`. */
function layer(files: Record<string, Buffer | string>, parts: readonly RecordPart[]): { tarSplit: string; files: string } {
  const at = join(work, `layer-${made++}`);
  const folder = join(at, "diff");
  mkdirSync(folder, { recursive: true });
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(join(folder, name, ".."), { recursive: true });
    writeFileSync(join(folder, name), data);
  }
  writeFileSync(join(at, "tar-split.json.gz"), tarSplitRecord(parts));
  return { tarSplit: join(at, "tar-split.json.gz"), files: folder };
}

async function assemble(stored: { tarSplit: string; files: string }): Promise<{ bytes: Buffer; writes: number; ended: boolean; counted: number }> {
  const parts: Buffer[] = [];
  let ended = false;
  let counted = 0;
  const sink: ByteSink = { write: (chunk) => void parts.push(Buffer.from(chunk)), end: () => void (ended = true) };
  await tarSplitPump(stored, { onBytes: (n) => void (counted += n) })(sink, new Backlog());
  return { bytes: Buffer.concat(parts), writes: parts.length, ended, counted };
}

describe("a layer's tar put back together from docker's record and its folder", () => {
  test("headers as recorded, files' bytes from the folder, in order, across 1 MiB chunks", async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 0x5a);
    const head = (n: number): Buffer => Buffer.alloc(512, n);
    const stored = layer({ "etc/passwd": "root:x:0:0\n", "opt/big": big, "caf\u00e9": "raw\n" }, [
      { segment: head(1) },
      { file: "./etc/", size: 0 },
      { segment: head(2) },
      { file: "./etc/passwd", size: 11 },
      { segment: Buffer.concat([Buffer.alloc(501), head(3)]) },
      { file: "opt/big", size: big.length },
      { segment: null },
      { file: "ignored", size: 4, raw: Buffer.from("caf\u00e9") },
      { segment: Buffer.alloc(1024) },
    ]);
    const { bytes, writes, ended, counted } = await assemble(stored);
    expect(ended).toBe(true);
    expect(bytes.equals(Buffer.concat([head(1), head(2), Buffer.from("root:x:0:0\n"), Buffer.alloc(501), head(3), big, Buffer.from("raw\n"), Buffer.alloc(1024)]))).toBe(true);
    expect(counted).toBe(bytes.length);
    expect(writes).toBe(Math.ceil(bytes.length / (1024 * 1024)));
  });

  test("a file shorter than its record: a mismatch, not a tar cut short", async () => {
    const stored = layer({ short: "abc" }, [{ file: "short", size: 10 }]);
    await expect(assemble(stored)).rejects.toThrow(StorageMismatch);
  });

  test("the record itself gone or not gzip: the error, never a wait for an end that never comes", async () => {
    const gone = layer({}, []);
    rmSync(gone.tarSplit);
    await expect(assemble(gone)).rejects.toMatchObject({ code: "ENOENT" });
    const garbled = layer({}, []);
    writeFileSync(garbled.tarSplit, "not gzip at all");
    await expect(assemble(garbled)).rejects.toThrow();
  });

  test("a file gone from the folder: the system's error (the store says which layer)", async () => {
    const stored = layer({}, [{ file: "gone", size: 10 }]);
    await expect(assemble(stored)).rejects.toMatchObject({ code: "ENOENT" });
  });

  const outside = join(work, "host-secret");
  writeFileSync(outside, "host bytes that are not the layer's\n");

  test.each([
    ["a name that climbs out", "../../host-secret", {} as Record<string, string>, "outside its folder"],
    ["a folder on the way that links out (a loaded image's lib -> /)", "lib/host-secret", {}, "behind a link out of its folder"],
  ])("%s: refused, nothing outside read", async (_, name, files, message) => {
    const stored = layer(files, [{ file: name, size: 36 }]);
    if (name.startsWith("lib/")) symlinkSync(work, join(stored.files, "lib"));
    await expect(assemble(stored)).rejects.toThrow(message);
  });

  test("a link at the end of the name: not followed", async () => {
    const stored = layer({}, [{ file: "key", size: 36 }]);
    symlinkSync(outside, join(stored.files, "key"));
    await expect(assemble(stored)).rejects.toThrow("not a regular file");
  });

  test("a FIFO in a file's place: refused at once, never waited on", async () => {
    const stored = layer({}, [{ file: "pipe", size: 8 }]);
    execFileSync("mkfifo", [join(stored.files, "pipe")]);
    await expect(assemble(stored)).rejects.toThrow("not a regular file");
  });

  test("a folder whose name is not UTF-8: read, as bytes", async () => {
    const folder = Buffer.from([0x63, 0x61, 0x66, 0xe9]);
    const stored = layer({}, [{ file: "ignored", size: 6, raw: Buffer.concat([folder, Buffer.from("/readme")]) }]);
    mkdirSync(Buffer.concat([Buffer.from(`${stored.files}/`), folder]));
    writeFileSync(Buffer.concat([Buffer.from(`${stored.files}/`), folder, Buffer.from("/readme")]), "hello\n");
    expect((await assemble(stored)).bytes.toString()).toBe("hello\n");
  });

  test("a link out of the folder whose name is not UTF-8, beside a folder named as its UTF-8 reading: refused, nothing outside read", async () => {
    // node's JavaScript realpath reads `d\xff` as `d\ufffd` (bytes ef bf bd), a real folder inside
    const link = Buffer.from([0x64, 0xff]);
    const stored = layer({ "d\ufffd/host-secret": "inside\n" }, [{ file: "ignored", size: 36, raw: Buffer.concat([link, Buffer.from("/host-secret")]) }]);
    symlinkSync(work, Buffer.concat([Buffer.from(`${stored.files}/`), link]));
    await expect(assemble(stored)).rejects.toThrow("behind a link out of its folder");
  });

  test("a name that steps into a folder and back (`a/x/../b`): the file at a/b", async () => {
    const stored = layer({ "a/b": "bee\n", "a/x/keep": "" }, [{ file: "a/x/../b", size: 4 }]);
    expect((await assemble(stored)).bytes.toString()).toBe("bee\n");
  });

  // a device node in a file's place is never opened: opening some acts (a watchdog, a tape's rewind)
  test.skipIf(process.geteuid?.() !== 0 && process.env["CI"] !== "true")("a device node in a file's place: refused before any open (a tty would say ENXIO)", async () => {
    if (process.geteuid?.() !== 0) throw new Error("CI=true: this test needs root (mknod)");
    const stored = layer({}, [{ file: "tty", size: 5 }]);
    execFileSync("mknod", [join(stored.files, "tty"), "c", "5", "0"]);
    await expect(assemble(stored)).rejects.toThrow("not a regular file");
  });

  test("a folder in a file's place: refused", async () => {
    const stored = layer({ "dir/inner": "x" }, [{ file: "dir", size: 8 }]);
    await expect(assemble(stored)).rejects.toThrow();
  });
});

describe("names a record gives, made relative", () => {
  test.each([
    ["./etc/passwd", "etc/passwd"],
    ["/etc//passwd", "etc/passwd"],
    ["a/./b/", "a/b"],
    ["..", undefined],
    ["a/../../b", undefined],
    ["a/x/../b", "a/b"],
    ["a/../b", "b"],
    ["./", undefined],
    ["", undefined],
    ["a\u0000b", undefined],
    ["..hidden/x..", "..hidden/x.."],
  ])("%j -> %j", (name, relative) => {
    expect(safeRelative(Buffer.from(name))?.toString()).toBe(relative);
  });
});
