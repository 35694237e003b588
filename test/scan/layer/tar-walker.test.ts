import { execFileSync } from "node:child_process";
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { pack } from "tar-stream";
import { afterAll, describe, expect, test } from "vitest";
import { MAX_META_BYTES, TarFormatError, TarWalker, type TarHeader } from "../../../src/scan/layer/tar-walker.js";

interface Spec {
  name?: string;
  flag?: string;
  size?: number;
  /** raw bytes for the 12-byte size field, instead of octal `size` */
  sizeField?: Buffer;
  linkname?: string;
  prefix?: string;
  magic?: "ustar" | "gnu" | "none";
  badChecksum?: boolean;
  uname?: string;
}

/** One 512-byte header with a valid checksum (unless told otherwise). */
function header(spec: Spec): Buffer {
  const h = Buffer.alloc(512);
  h.write(spec.name ?? "", 0);
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  if (spec.sizeField) spec.sizeField.copy(h, 124);
  else h.write((spec.size ?? 0).toString(8).padStart(11, "0") + "\0", 124);
  h.write("00000000000\0", 136);
  h.write(spec.flag ?? "0", 156);
  if (spec.linkname) h.write(spec.linkname, 157);
  const magic = spec.magic ?? "ustar";
  if (magic === "ustar") h.write("ustar\u000000", 257);
  if (magic === "gnu") h.write("ustar  \0", 257);
  if (spec.prefix) h.write(spec.prefix, 345);
  if (spec.uname) h.write(spec.uname, 265);
  h.write("        ", 148);
  let sum = 0;
  for (const b of h) sum += b;
  h.write((spec.badChecksum ? sum + 1 : sum).toString(8).padStart(6, "0") + "\0 ", 148);
  return h;
}

const padded = (body: Buffer): Buffer => Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
const entry = (spec: Spec, body: Buffer = Buffer.alloc(0)): Buffer => Buffer.concat([header({ ...spec, size: spec.size ?? body.length }), padded(body)]);
const eof = Buffer.alloc(1024);

function paxBody(records: ReadonlyArray<readonly [string, string]>): Buffer {
  return Buffer.concat(
    records.map(([k, v]) => {
      const text = ` ${k}=${v}\n`;
      let len = Buffer.byteLength(text) + 1;
      while (String(len).length + Buffer.byteLength(text) !== len) len++;
      return Buffer.from(`${len}${text}`);
    }),
  );
}

interface Seen {
  header: TarHeader;
  body: string;
}

/** Walks `archive` fed in the given pieces, each copied into ONE reused buffer (as the file reader does). */
function walk(archive: Buffer, cuts: readonly number[] = []): Seen[] {
  const seen: Seen[] = [];
  const walker = new TarWalker((h) => {
    const parts: Buffer[] = [];
    return {
      data: (chunk) => parts.push(Buffer.from(chunk)),
      end: () => seen.push({ header: h, body: Buffer.concat(parts).toString("latin1") }),
    };
  });
  const reused = Buffer.alloc(archive.length);
  const points = [...new Set(cuts.map((c) => c % (archive.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...points, archive.length]) {
    const piece = archive.subarray(from, to);
    piece.copy(reused, 0);
    walker.write(reused.subarray(0, piece.length));
    reused.fill(0xee);
    from = to;
  }
  walker.end();
  return seen;
}

const summary = (seen: Seen[]) => seen.map(({ header: h, body }) => ({ name: h.name, type: h.type, linkname: h.linkname, size: h.size, body }));

describe("TarWalker formats", () => {
  const base256 = Buffer.alloc(12);
  base256[0] = 0x80;
  base256.writeUInt32BE(5, 8);
  const cases: Array<[string, Buffer, ReturnType<typeof summary>]> = [
    ["plain ustar file", entry({ name: "a/b.txt" }, Buffer.from("hello")), [{ name: "a/b.txt", type: "file", linkname: "", size: 5, body: "hello" }]],
    ["ustar prefix", entry({ name: "c.txt", prefix: "deep/dir" }, Buffer.from("x")), [{ name: "deep/dir/c.txt", type: "file", linkname: "", size: 1, body: "x" }]],
    ["GNU magic ignores the prefix field", entry({ name: "g.txt", prefix: "junk", magic: "gnu" }), [{ name: "g.txt", type: "file", linkname: "", size: 0, body: "" }]],
    [
      "GNU long name and long link name",
      Buffer.concat([
        entry({ name: "././@LongLink", flag: "L", magic: "gnu" }, Buffer.from(`${"n".repeat(300)}\0`)),
        entry({ name: "././@LongLink", flag: "K", magic: "gnu" }, Buffer.from(`${"t".repeat(200)}\0`)),
        entry({ name: "short", flag: "2", linkname: "shortlink", magic: "gnu" }),
      ]),
      [{ name: "n".repeat(300), type: "symlink", linkname: "t".repeat(200), size: 0, body: "" }],
    ],
    [
      "PAX path, linkpath and size",
      Buffer.concat([
        entry({ name: "PaxHeader", flag: "x" }, paxBody([["path", "p/".repeat(90) + "long"], ["linkpath", "target-of-link"], ["size", "3"]])),
        entry({ name: "trunc", flag: "0", size: 0 }, Buffer.from("abc")),
      ]),
      [{ name: "p/".repeat(90) + "long", type: "file", linkname: "target-of-link", size: 3, body: "abc" }],
    ],
    [
      "a GNU long name whose first 100 bytes end in / is still a file (GNU tar writes the cut name)",
      Buffer.concat([
        entry({ name: "././@LongLink", flag: "L", magic: "gnu" }, Buffer.from(`${"d".repeat(99)}/x\0`)),
        entry({ name: `${"d".repeat(99)}/`, flag: "0", magic: "gnu" }, Buffer.from("body")),
      ]),
      [{ name: `${"d".repeat(99)}/x`, type: "file", linkname: "", size: 4, body: "body" }],
    ],
    [
      "a PAX path likewise: the header's cut name ending in / does not make a directory",
      Buffer.concat([
        entry({ name: "PaxHeader", flag: "x" }, paxBody([["path", `${"e".repeat(99)}/file`]])),
        entry({ name: `${"e".repeat(99)}/`, flag: "0" }, Buffer.from("data")),
      ]),
      [{ name: `${"e".repeat(99)}/file`, type: "file", linkname: "", size: 4, body: "data" }],
    ],
    ["base-256 size", entry({ name: "b256", sizeField: base256 }, Buffer.from("12345")), [{ name: "b256", type: "file", linkname: "", size: 5, body: "12345" }]],
    ["a directory has no body", entry({ name: "d", flag: "5", size: 0 }), [{ name: "d", type: "directory", linkname: "", size: 0, body: "" }]],
    ["old-style trailing slash is a directory", entry({ name: "old/", flag: "\0" }), [{ name: "old/", type: "directory", linkname: "", size: 0, body: "" }]],
    ["hard link", entry({ name: "h", flag: "1", linkname: "a/b.txt" }), [{ name: "h", type: "link", linkname: "a/b.txt", size: 0, body: "" }]],
    ["contiguous file is a file", entry({ name: "c7", flag: "7" }, Buffer.from("7")), [{ name: "c7", type: "file", linkname: "", size: 1, body: "7" }]],
    ["fifo is other", entry({ name: "f", flag: "6" }), [{ name: "f", type: "other", linkname: "", size: 0, body: "" }]],
    [
      "zero blocks between entries and padding after the end",
      Buffer.concat([entry({ name: "one" }, Buffer.from("1")), Buffer.alloc(512), entry({ name: "two" }, Buffer.from("2")), eof, Buffer.alloc(8192)]),
      [
        { name: "one", type: "file", linkname: "", size: 1, body: "1" },
        { name: "two", type: "file", linkname: "", size: 1, body: "2" },
      ],
    ],
    ["no end-of-archive blocks at all", entry({ name: "last" }, Buffer.from("z")), [{ name: "last", type: "file", linkname: "", size: 1, body: "z" }]],
    ["empty input", Buffer.alloc(0), []],
  ];
  test.each(cases)("%s", (_name, archive, expected) => {
    expect(summary(walk(Buffer.concat([archive, eof])))).toEqual(expected);
    expect(summary(walk(Buffer.concat([archive])))).toEqual(expected);
  });

  test("PAX records are all exposed, global ones first and applied to every later entry", () => {
    const archive = Buffer.concat([
      entry({ name: "g", flag: "g" }, paxBody([["comment", "global-one"]])),
      entry({ name: "x", flag: "x" }, paxBody([["SCHILY.xattr.user.note", "attr-value-123"]])),
      entry({ name: "first" }),
      entry({ name: "second" }),
    ]);
    const seen = walk(archive);
    expect(seen.map((s) => s.header.pax)).toEqual([
      [
        ["comment", "global-one"],
        ["SCHILY.xattr.user.note", "attr-value-123"],
      ],
      [["comment", "global-one"]],
    ]);
  });

  test("the owner's name is read from POSIX and GNU headers alike (a value can hide there)", () => {
    const names = (magic: "ustar" | "gnu") => walk(entry({ name: "f", uname: "owner-name-1", magic })).map((s) => s.header.uname);
    expect(names("ustar")).toEqual(["owner-name-1"]);
    expect(names("gnu")).toEqual(["owner-name-1"]);
  });

  test("agrees with tar-stream's packer on long names (PAX) and plain entries", async () => {
    const p = pack();
    const chunks: Buffer[] = [];
    p.on("data", (c: unknown) => chunks.push(Buffer.from(c as Uint8Array)));
    const done = new Promise<void>((resolve) => p.on("end", () => resolve()));
    p.entry({ name: `${"x".repeat(120)}/${"y".repeat(150)}.txt` }, "long one");
    p.entry({ name: "link", type: "symlink", linkname: `${"l".repeat(200)}` });
    p.entry({ name: "dir", type: "directory" });
    p.finalize();
    await done;
    expect(summary(walk(Buffer.concat(chunks)))).toEqual([
      { name: `${"x".repeat(120)}/${"y".repeat(150)}.txt`, type: "file", linkname: "", size: 8, body: "long one" },
      { name: "link", type: "symlink", linkname: "l".repeat(200), size: 0, body: "" },
      { name: "dir", type: "directory", linkname: "", size: 0, body: "" },
    ]);
  });
});

describe("TarWalker: chunk boundaries never matter, and chunks are never kept", () => {
  const archive = Buffer.concat([
    entry({ name: "PaxHeader", flag: "x" }, paxBody([["path", "pax/named/file"]])),
    entry({ name: "ignored" }, Buffer.from("A".repeat(700))),
    entry({ name: "././@LongLink", flag: "L", magic: "gnu" }, Buffer.from(`${"L".repeat(600)}\0`)),
    entry({ name: "s", magic: "gnu" }, Buffer.from("B".repeat(1024))),
    entry({ name: "empty" }),
    entry({ name: "d/", flag: "5" }),
    entry({ name: "tail" }, Buffer.from("C".repeat(513))),
    eof,
  ]);
  const whole = summary(walk(archive));

  test("the whole archive at once", () => {
    expect(whole.map((e) => [e.name.slice(0, 20), e.body.length])).toEqual([
      ["pax/named/file", 700],
      ["L".repeat(20), 1024],
      ["empty", 0],
      ["d/", 0],
      ["tail", 513],
    ]);
  });

  test("one byte at a time", () => {
    expect(summary(walk(archive, Array.from({ length: archive.length }, (_, i) => i)))).toEqual(whole);
  });

  test("any split", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        expect(summary(walk(archive, cuts))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });
});

describe("TarWalker: malformed input is a TarFormatError", () => {
  const negative = Buffer.alloc(12, 0xff);
  test.each<[string, Buffer]>([
    ["bad checksum", entry({ name: "a", badChecksum: true })],
    ["unknown magic", entry({ name: "a", magic: "none" })],
    ["negative base-256 size", Buffer.concat([header({ name: "n", sizeField: negative }), eof])],
    ["PAX size that is no number", Buffer.concat([entry({ name: "x", flag: "x" }, paxBody([["size", "-5"]])), entry({ name: "f" })])],
    ["extended header over the cap", header({ name: "x", flag: "x", size: MAX_META_BYTES + 1 })],
    ["body cut short", entry({ name: "a" }, Buffer.from("x".repeat(1000))).subarray(0, 900)],
    ["header cut short", entry({ name: "a" }).subarray(0, 300)],
    ["a size far past the end", Buffer.concat([header({ name: "huge", size: 8 * 1024 ** 3 }), Buffer.alloc(1024)])],
  ])("%s", (_name, archive) => {
    expect(() => walk(archive)).toThrow(TarFormatError);
  });

  test("write after an error is refused", () => {
    const walker = new TarWalker(() => null);
    expect(() => walker.write(entry({ name: "a", badChecksum: true }))).toThrow(TarFormatError);
    expect(() => walker.write(eof)).toThrow(TarFormatError);
  });
});

describe("TarWalker: the end-of-archive marker", () => {
  /** `ended` after each byte of `archive`, fed one byte at a time. */
  const endedAt = (archive: Buffer): number[] => {
    const walker = new TarWalker(() => ({ data: () => undefined, end: () => undefined }));
    const at: number[] = [];
    for (let i = 0; i < archive.length; i++) {
      walker.write(archive.subarray(i, i + 1));
      if (walker.ended) at.push(i + 1);
    }
    return at;
  };
  // a body of zeros: zero blocks where no header is due are content, not the marker
  const zeros = entry({ name: "zeros" }, Buffer.alloc(2048));
  const file = entry({ name: "a.txt" }, Buffer.from("hello"));

  test("is read once two zero blocks follow the last entry, not before, and not inside a body", () => {
    const archive = Buffer.concat([zeros, file, eof]);
    const marker = zeros.length + file.length + 1024;
    expect(endedAt(archive)).toEqual([marker]);
    expect(endedAt(Buffer.concat([archive, Buffer.alloc(512)]))).toEqual([marker, marker + 512]);
  });

  test("one zero block is not the end; an entry after the zero blocks ends it no more", () => {
    expect(endedAt(Buffer.concat([file, Buffer.alloc(512)]))).toEqual([]);
    const walker = new TarWalker(() => null);
    walker.write(Buffer.concat([file, eof]));
    expect(walker.ended).toBe(true);
    walker.write(header({ name: "late.txt", size: 3 }));
    expect(walker.ended).toBe(false);
  });
});

describe("TarWalker: GNU tar's sparse files, as `tar --sparse` writes them", () => {
  const work = mkdtempSync(join(tmpdir(), "sbtest-sparse-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  // files with holes: a gzip file then a hole (its data must start the body for it to be opened),
  // a value between two holes, and nine pieces (more than an `S` header's four: extension blocks)
  const files = join(work, "files");
  mkdirSync(files);
  const gz = gzipSync(Buffer.from("a gzip member's bytes\n"));
  const fd = (name: string, pieces: readonly (readonly [number, string | Buffer])[], size: number): void => {
    const handle = openSync(join(files, name), "w");
    for (const [at, data] of pieces) writeSync(handle, typeof data === "string" ? Buffer.from(data) : data, 0, data.length, at);
    ftruncateSync(handle, size);
    closeSync(handle);
  };
  fd("a.gz", [[0, gz]], 2 << 20);
  fd("b", [[1 << 20, "VALUE-BETWEEN-HOLES\n"]], 3 << 20);
  fd("c", Array.from({ length: 9 }, (_, i) => [(i + 1) * 131072, `piece-${i}`] as const), 2 << 20);
  const data = (name: string): Buffer => {
    const bytes = readFileSync(join(files, name));
    // the file without its holes: what a sparse entry's body holds after the map
    return Buffer.from(bytes.toString("latin1").replace(/\0{512,}/g, ""), "latin1");
  };

  test.each([
    ["GNU (old, `S` with extension blocks)", ["--format=gnu"]],
    ["PAX 0.0", ["--format=posix", "--sparse-version=0.0"]],
    ["PAX 0.1", ["--format=posix", "--sparse-version=0.1"]],
    ["PAX 1.0 (the map starts the body)", ["--format=posix", "--sparse-version=1.0"]],
  ])("%s: each file under its own name, its body its data without the holes, in any chunks", (_, flags) => {
    const archive = join(work, `${flags.join("")}.tar`);
    execFileSync("tar", ["--sparse", "--hole-detection=seek", ...flags, "-cf", archive, "-C", files, "a.gz", "b", "c"]);
    const bytes = readFileSync(archive);
    // really sparse: the archive is far smaller than the files it holds
    expect(bytes.length).toBeLessThan(200_000);
    const seen = summary(walk(bytes)).map(({ name, type, body }) => ({ name, type, body: body.replace(/\0{512,}/g, "") }));
    const want = ["a.gz", "b", "c"].map((name) => ({ name, type: "file", body: data(name).toString("latin1") }));
    expect(seen).toEqual(want);
    // the gzip file's body starts with its magic, so it can be opened
    expect(seen[0]!.body.startsWith("\x1f\x8b")).toBe(true);
    expect(summary(walk(bytes, [100, 1000, 1537, 2048, 3000, 9000]))).toEqual(summary(walk(bytes)));
    expect(summary(walk(bytes, Array.from({ length: 4096 }, (_, i) => i)))).toEqual(summary(walk(bytes)));
  });

  test("a PAX 1.0 body whose map is not well formed is passed on whole, never dropped", () => {
    const records: [string, string][] = [["GNU.sparse.major", "1"], ["GNU.sparse.minor", "0"], ["GNU.sparse.name", "x"]];
    const body = Buffer.from("2\n0\n5\nnot a map: SECRET-BYTES");
    const seen = summary(walk(Buffer.concat([entry({ name: "PaxHeader", flag: "x" }, paxBody(records)), entry({ name: "GNUSparseFile.1/x" }, body), eof])));
    expect(seen).toEqual([{ name: "x", type: "file", linkname: "", size: body.length, body: body.toString("latin1") }]);
  });
});
