import { readFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { startLayerScan, type LayerScan } from "../../../src/scan/layer/layer-scan.js";
import { Backlog } from "../../../src/bytes/backlog.js";
import { buildNeedles } from "../../../src/scan/findings/needles.js";
import { sniffFormat } from "../../../src/scan/content/format.js";
import { ContentBudget } from "../../../src/scan/content/limits.js";
import { dockerArchive } from "../../helpers/archives.js";
import { arOf, bzip2Of, cpioOf, gitDirOf, jmodOf, lz4Of, sfxOf, lzipOf, pngOf, rpmOf, sevenZipOf, squashfsOf, xzOf, zipOf, zstdOf } from "../../helpers/content-archives.js";
import { contentHits, noise, scanLayerInChunks, secret, tarOf } from "../helpers.js";

const value = `sbtest-content-${randomBytes(12).toString("hex")}`;
const needles = buildNeedles([secret("token", value)]);

const scan = (layer: Buffer, chunk?: number): Promise<LayerScan> => scanLayerInChunks(needles, layer, chunk);
const found = contentHits;

/** The same shape with the value replaced: its SHA-256 (the usual clean look-alike), and the value with its last byte changed. */
const leakAndLookAlikes = (make: (text: Buffer) => Buffer | Promise<Buffer>) => {
  const text = (v: string): Buffer => Buffer.concat([Buffer.from("spring.datasource.url=jdbc:postgresql://db/app\nspring.datasource.password="), Buffer.from(v), Buffer.from("\n"), noise(3000)]);
  const hash = createHash("sha256").update(value).digest("hex");
  const oneOff = `${value.slice(0, -1)}${value.endsWith("0") ? "1" : "0"}`;
  return { leak: () => make(text(value)), clean: [() => make(text(hash)), () => make(text(oneOff)), () => make(text(value.slice(0, value.length / 2)))] };
};

/** About as long as Spring Boot's `launch.script` (9 KiB of shell), with no zip in it. */
const launchScript = Buffer.from(`#!/bin/bash\n#\n# Spring Boot launch script\n${"[[ -n \"$DEBUG\" ]] && set -x\n".repeat(300)}exit 0\n`);

interface Case {
  readonly name: string;
  readonly make: (text: Buffer) => Buffer | Promise<Buffer>;
  readonly expected: string;
}

const tarOfOne = (name: string, data: Buffer): Promise<Buffer> => tarOf([[name, data]]);

/** A .lzma file with its uncompressed size written in the header, as the LZMA SDK's encoder writes it. */
const lzmaWithSize = (file: Buffer, size: number): Buffer => {
  const sized = Buffer.from(file);
  sized.writeBigUInt64LE(BigInt(size), 5);
  return sized;
};

const cases: Case[] = [
  {
    name: "a jar with a deflated application.properties",
    make: (t) => zipOf([{ name: "META-INF/MANIFEST.MF", data: Buffer.from("Manifest-Version: 1.0\n") }, { name: "BOOT-INF/classes/application.properties", data: t }]),
    expected: "zip:app/app.jar!/BOOT-INF/classes/application.properties",
  },
  {
    name: "a jar written with data descriptors (java's ZipOutputStream)",
    make: (t) => zipOf([{ name: "BOOT-INF/classes/application.properties", data: t }], { dataDescriptor: true }),
    expected: "zip:app/app.jar!/BOOT-INF/classes/application.properties",
  },
  {
    name: "a zip64 zip",
    make: (t) => zipOf([{ name: "a/b.txt", data: Buffer.alloc(10, 0x61) }, { name: "conf/app.properties", data: t }], { zip64: true }),
    expected: "zip:app/app.jar!/conf/app.properties",
  },
  {
    name: "jar-in-jar (a Spring Boot fat jar: stored inner jars)",
    make: (t) => zipOf([{ name: "BOOT-INF/lib/db.jar", stored: true, data: zipOf([{ name: "db.properties", data: t }]) }]),
    expected: "zip:app/app.jar!/BOOT-INF/lib/db.jar!/db.properties",
  },
  {
    name: "a war inside an ear, deflated both",
    make: (t) => zipOf([{ name: "web.war", data: zipOf([{ name: "WEB-INF/web.properties", data: t }]) }]),
    expected: "zip:app/app.jar!/web.war!/WEB-INF/web.properties",
  },
  {
    name: "a tar.gz holding a jar",
    make: async (t) => gzipSync(await tarOfOne("inner.jar", zipOf([{ name: "x.properties", data: t }]))),
    expected: "zip:app/app.jar!/inner.jar!/x.properties",
  },
  {
    name: "a .tgz inside a .tar.gz",
    make: async (t) => gzipSync(await tarOfOne("inner.tgz", gzipSync(await tarOfOne("etc/app.conf", t)))),
    expected: "tar:app/app.jar!/inner.tgz!/etc/app.conf",
  },
  { name: "a tar inside a file", make: (t) => tarOfOne("./etc/app.conf", t), expected: "tar:app/app.jar!/etc/app.conf" },
  {
    name: "a .deb (ar: data.tar.xz)",
    make: async (t) => arOf([["debian-binary", Buffer.from("2.0\n")], ["control.tar.xz", xzOf(await tarOfOne("./control", Buffer.from("Package: x\n")))], ["data.tar.xz", xzOf(await tarOfOne("./etc/app.conf", t))]]),
    expected: "tar:app/app.jar!/data.tar.xz!/etc/app.conf",
  },
  {
    name: "a .deb (ar: data.tar.zst)",
    make: async (t) => arOf([["debian-binary", Buffer.from("2.0\n")], ["data.tar.zst", zstdOf(await tarOfOne("./etc/app.conf", t))]]),
    expected: "tar:app/app.jar!/data.tar.zst!/etc/app.conf",
  },
  { name: "a bzip2 file", make: (t) => bzip2Of(t), expected: "bzip2:app/app.jar" },
  { name: "an xz file", make: (t) => xzOf(t), expected: "xz:app/app.jar" },
  { name: "an xz file with a SHA-256 check", make: (t) => xzOf(t, ["--check=sha256"]), expected: "xz:app/app.jar" },
  { name: "an xz file without a check", make: (t) => xzOf(t, ["--check=none"]), expected: "xz:app/app.jar" },
  { name: "an xz file with a CRC32 check", make: (t) => xzOf(t, ["--check=crc32"]), expected: "xz:app/app.jar" },
  { name: "two xz streams concatenated (cat a.xz b.xz)", make: (t) => Buffer.concat([xzOf(noise(2000)), xzOf(t, ["--check=sha256"])]), expected: "xz:app/app.jar" },
  { name: "an xz stream with stream padding", make: (t) => Buffer.concat([xzOf(t), Buffer.alloc(8)]), expected: "xz:app/app.jar" },
  { name: "an xz file of many blocks (xz -T2 --block-size)", make: (t) => xzOf(Buffer.concat([noise(5000), t]), ["-T2", "--block-size=1000"]), expected: "xz:app/app.jar" },
  { name: "an xz file with a delta filter", make: (t) => xzOf(t, ["--delta=dist=2", "--lzma2"]), expected: "xz:app/app.jar" },
  { name: "a legacy .lzma file (xz --format=lzma: size unknown, end marker)", make: (t) => xzOf(t, ["--format=lzma"]), expected: "lzma:app/app.jar" },
  { name: "a legacy .lzma file whose header says its size", make: (t) => lzmaWithSize(xzOf(t, ["--format=lzma"]), t.length), expected: "lzma:app/app.jar" },
  { name: "a .tar.lzma", make: async (t) => xzOf(await tarOfOne("etc/app.conf", t), ["--format=lzma", "-1"]), expected: "tar:app/app.jar!/etc/app.conf" },
  { name: "a zstd file", make: (t) => zstdOf(t), expected: "zstd:app/app.jar" },
  { name: "an lz4 file", make: (t) => lz4Of(t), expected: "lz4:app/app.jar" },
  { name: "an lz4 file of linked 64 KiB blocks (apt's lists: Acquire::GzipIndexes)", make: (t) => lz4Of(Buffer.concat([noise(100_000), t, noise(70_000)]), ["-B4", "-BD"]), expected: "lz4:app/app.jar" },
  { name: "an lz4 file with block checksums and its content size", make: (t) => lz4Of(t, ["-BX", "--content-size", "-9"]), expected: "lz4:app/app.jar" },
  { name: "an lz4 file in the legacy format (lz4 -l)", make: (t) => lz4Of(t, ["-l"]), expected: "lz4:app/app.jar" },
  { name: "two lz4 frames concatenated, a skippable frame between", make: (t) => Buffer.concat([lz4Of(noise(3000)), Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]), lz4Of(t, ["-BD"])]), expected: "lz4:app/app.jar" },
  { name: "a .tar.lz4", make: async (t) => lz4Of(await tarOfOne("etc/app.conf", t)), expected: "tar:app/app.jar!/etc/app.conf" },
  { name: "a JDK module file (jmod create: a header, then a zip counted from its own start)", make: (t) => jmodOf([["app.properties", t]]), expected: "zip:app/app.jar!/conf/app.properties" },
  { name: "gzip | base64 (a payload kept in a text file), wrapped at 76", make: (t) => Buffer.from(`${gzipSync(t).toString("base64").replace(/.{76}/g, "$&\n")}\n`), expected: "gzip:app/app.jar" },
  { name: "zip | base64 on one line", make: (t) => Buffer.from(zipOf([{ name: "conf/app.properties", data: t }]).toString("base64")), expected: "zip:app/app.jar!/conf/app.properties" },
  { name: "xz | base64, CRLF", make: (t) => Buffer.from(`${xzOf(t).toString("base64").replace(/.{64}/g, "$&\r\n")}\r\n`), expected: "xz:app/app.jar" },
  { name: "a self-extracting zip (unzipsfx, zip -A: offsets from the file's start)", make: (t) => sfxOf(zipOf([{ name: "conf/app.properties", data: t }])), expected: "zip:app/app.jar!/conf/app.properties" },
  { name: "a zip appended to an ELF launcher (cat /bin/true app.zip)", make: (t) => Buffer.concat([readFileSync("/bin/true"), zipOf([{ name: "conf/app.properties", data: t }])]), expected: "zip:app/app.jar!/conf/app.properties" },
  { name: "a tar.gz appended to an ELF launcher", make: async (t) => Buffer.concat([readFileSync("/bin/true"), gzipSync(await tarOfOne("etc/app.conf", t))]), expected: "tar:app/app.jar!/etc/app.conf" },
  { name: "an lzip file", make: (t) => lzipOf(t), expected: "lzip:app/app.jar" },
  { name: "an lzip file of two members (cat a.lz b.lz)", make: (t) => Buffer.concat([lzipOf(noise(5000)), lzipOf(t)]), expected: "lzip:app/app.jar" },
  { name: "a .tar.lz (tar --lzip)", make: async (t) => lzipOf(await tarOfOne("etc/app.conf", t)), expected: "tar:app/app.jar!/etc/app.conf" },
  { name: "a cpio archive (newc, as initramfs)", make: (t) => cpioOf([["etc/app.conf", t]]), expected: "cpio:app/app.jar!/etc/app.conf" },
  { name: "a cpio archive (odc)", make: (t) => cpioOf([["etc/app.conf", t]], "odc"), expected: "cpio:app/app.jar!/etc/app.conf" },
  { name: "a gzipped cpio (initrd.img)", make: (t) => gzipSync(cpioOf([["a", noise(3001)], ["etc/app.conf", t]])), expected: "cpio:app/app.jar!/etc/app.conf" },
  { name: "an rpm (gzip payload)", make: (t) => rpmOf([["app.conf", t]]), expected: "cpio:app/app.jar!/opt/sbtest/app.conf" },
  { name: "an rpm (xz payload)", make: (t) => rpmOf([["app.conf", t]], "w6.xzdio"), expected: "cpio:app/app.jar!/opt/sbtest/app.conf" },
  { name: "an rpm (zstd payload)", make: (t) => rpmOf([["app.conf", t]], "w19.zstdio"), expected: "cpio:app/app.jar!/opt/sbtest/app.conf" },
  { name: "a gzip inside a zip", make: (t) => zipOf([{ name: "notes.gz", stored: true, data: gzipSync(t) }]), expected: "gzip:app/app.jar!/notes.gz" },
  {
    name: "a Spring Boot fully executable jar: its launch script, then the jar (offsets from the file's start)",
    make: (t) => zipOf([{ name: "BOOT-INF/classes/application.properties", data: t }], { prefix: launchScript }),
    expected: "zip:app/app.jar!/BOOT-INF/classes/application.properties",
  },
  {
    name: "a Python zipapp or pex: a `#!` line, then the zip",
    make: (t) => zipOf([{ name: "__main__.py", data: Buffer.from("import app\n") }, { name: "app/settings.py", data: t }], { prefix: Buffer.from("#!/usr/bin/env python3\n") }),
    expected: "zip:app/app.jar!/app/settings.py",
  },
  {
    name: "a script and a zip concatenated (`cat run.sh app.zip`: offsets from the zip's start)",
    make: (t) => Buffer.concat([launchScript, zipOf([{ name: "conf/app.properties", data: t }])]),
    expected: "zip:app/app.jar!/conf/app.properties",
  },
  {
    name: "a PNG's compressed comment (zTXt)",
    make: (t) => pngOf([["tEXt", Buffer.from("Software\0safebuild-test")], ["zTXt", Buffer.concat([Buffer.from("Comment\0\0"), deflateSync(t)])]]),
    expected: "png:app/app.jar",
  },
  {
    name: "a PNG's compressed international text (iTXt, flag 1)",
    make: (t) => pngOf([["iTXt", Buffer.concat([Buffer.from("XML:com.adobe.xmp\0\x01\0en\0\0", "latin1"), deflateSync(t)])]]),
    expected: "png:app/app.jar",
  },
  {
    name: "an image archive (docker save) copied into a layer",
    make: async (t) => dockerArchive([await tarOfOne("etc/app.conf", t)]),
    expected: "tar:app/app.jar!/%LAYER%/layer.tar!/etc/app.conf",
  },
];

describe("content stage: each format, its leak and its clean look-alikes", () => {
  test.each(cases)("$name", async ({ make, expected }) => {
    const { leak, clean } = leakAndLookAlikes(make);
    // the name says nothing: every file is called app.jar here, whatever it holds
    const result = await scan(await tarOfOne("app/app.jar", await leak()));
    expect(result.error).toBeNull();
    expect(result.notSearched).toEqual([]);
    const hits = found(result);
    expect(hits.map((h) => h.replace(/[0-9a-f]{64}\/layer\.tar/, "%LAYER%/layer.tar"))).toContain(expected);
    for (const lookAlike of clean) {
      const cleanResult = await scan(await tarOfOne("app/app.jar", await lookAlike()));
      expect(found(cleanResult)).toEqual([]);
      expect(cleanResult.notSearched).toEqual([]);
    }
  });

  test("an executable's appended archive reads without a warning; an executable with nothing after it opens nothing", async () => {
    const zip = zipOf([{ name: "conf/app.properties", data: Buffer.from(`password=${value}\n`) }]);
    const result = await scan(await tarOf([["opt/app", sfxOf(zip)], ["opt/launcher", Buffer.concat([readFileSync("/bin/true"), zip])], ["bin/true", readFileSync("/bin/true")]]));
    expect(found(result)).toEqual(["zip:opt/app!/conf/app.properties", "zip:opt/launcher!/conf/app.properties"]);
    expect(result.unreadable).toEqual([]);
    expect(result.notSearched).toEqual([]);
  });

  test("a zip appended to a 32-bit ELF (its header 52 bytes, its tables right after)", async () => {
    const elf = Buffer.alloc(264);
    elf.write("\x7fELF", 0, "latin1");
    elf[4] = 1; // 32 bits
    elf[5] = 1; // little-endian
    elf[6] = 1;
    elf.writeUInt16LE(2, 16);
    elf.writeUInt16LE(3, 18);
    elf.writeUInt32LE(1, 20);
    elf.writeUInt32LE(52, 28); // program headers right after the ELF header
    elf.writeUInt32LE(184, 32); // section headers after 100 bytes of code
    elf.writeUInt16LE(52, 40);
    elf.writeUInt16LE(32, 42);
    elf.writeUInt16LE(1, 44);
    elf.writeUInt16LE(40, 46);
    elf.writeUInt16LE(2, 48);
    elf.writeUInt32LE(1, 52); // PT_LOAD of the whole image
    elf.writeUInt32LE(184, 52 + 16);
    elf.writeUInt32LE(1, 184 + 40 + 4); // one PROGBITS section, the code
    elf.writeUInt32LE(84, 184 + 40 + 16);
    elf.writeUInt32LE(100, 184 + 40 + 20);
    const zip = zipOf([{ name: "conf/app.properties", data: Buffer.from(`password=${value}\n`) }]);
    const result = await scan(await tarOf([["opt/app32", Buffer.concat([elf, zip])]]));
    expect(found(result)).toEqual(["zip:opt/app32!/conf/app.properties"]);
  });

  test("an executable's headers changed at random, or cut anywhere, never fail the scan", async () => {
    const exe = Buffer.concat([readFileSync("/bin/true"), zipOf([{ name: "a.txt", data: Buffer.from("x") }])]);
    for (let round = 0; round < 200; round++) {
      const bad = Buffer.from(exe);
      for (let m = 0; m < 4; m++) bad[round % 3 === 0 ? Math.floor(Math.random() * 64) : Math.floor(Math.random() * bad.length)] = Math.floor(Math.random() * 256);
      const cut = round % 5 === 0 ? bad.subarray(0, Math.floor(Math.random() * bad.length)) : bad;
      expect((await scan(await tarOf([["bin/app", cut]]), 4096)).error).toBeNull();
    }
  });

  test("whatever the chunk boundaries (a jar's head split across pieces)", async () => {
    const jar = zipOf([{ name: "application.properties", data: Buffer.from(`password=${value}\n`) }]);
    const layer = await tarOf([["app/app.jar", jar]]);
    for (const chunk of [1, 7, 100, 511, 513]) expect(found(await scan(layer, chunk))).toEqual(["zip:app/app.jar!/application.properties"]);
  });

  test("a zip entry over one output piece, and one whose directory says it is small, across the piece boundary", async () => {
    // the value straddles the reused inflater's 256 KiB output piece
    const data = Buffer.concat([noise(256 * 1024 - 10), Buffer.from(value), noise(1000)]);
    const honest = zipOf([{ name: "big.properties", data }]);
    expect(found(await scan(await tarOfOne("app/app.jar", honest)))).toEqual(["zip:app/app.jar!/big.properties"]);
    // the central directory's uncompressed size set to 100: the reader must not trust it
    const lying = Buffer.from(honest);
    const central = lying.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    lying.writeUInt32LE(100, central + 24);
    expect(found(await scan(await tarOfOne("app/app.jar", lying)))).toEqual(["zip:app/app.jar!/big.properties"]);
  });

  test("a .lzma file has no magic: random bytes are not taken for one", () => {
    expect(sniffFormat(xzOf(Buffer.from("x"), ["--format=lzma"]))).toBe("lzma");
    const taken = Array.from({ length: 100_000 }, () => randomBytes(64)).filter((b) => sniffFormat(b) === "lzma");
    expect(taken).toEqual([]);
    // the commonest lzma properties byte, 0x5d (']'), followed by text
    expect(sniffFormat(Buffer.from("]\n[section]\nkey = value\n"))).toBeNull();
  });

  test("scripts with no zip after them are only scripts: nothing opened, nothing not searched, whatever their size", async () => {
    const plain = Buffer.concat([launchScript, Buffer.from(`TOKEN=${value}\n`)]);
    // one mentions the zip signatures in its text, one is over the gather limit
    const mentions = Buffer.from(`#!/bin/sh\n# PK\x03\x04 starts a zip, PK\x05\x06 ends one\necho ${value}\n`, "latin1");
    const big = Buffer.concat([Buffer.from("#!/bin/sh\n"), noise(65 * 1024 * 1024), Buffer.from(`\n${value}\n`)]);
    const result = await scan(await tarOf([["bin/a", plain], ["bin/b", mentions], ["bin/c", big]]), 1024 * 1024);
    expect(found(result)).toEqual(["-:bin/a", "-:bin/b", "-:bin/c"]);
    expect(result.notSearched).toEqual([]);
    expect(result.unreadable).toEqual([]);
  });

  test("a script over the gather limit that ends like a zip is not searched, never clean", async () => {
    const zip = zipOf([{ name: "conf/app.properties", data: Buffer.from(`password=${value}\n`) }]);
    const big = Buffer.concat([Buffer.from("#!/bin/sh\n"), noise(65 * 1024 * 1024), zip]);
    const result = await scan(await tarOf([["app/run.jar", big]]), 1024 * 1024);
    expect(result.notSearched).toEqual([expect.objectContaining({ path: "app/run.jar", reason: "zip after a script, over 64 MiB (limit for decoding in memory)" })]);
  });

  test("a PNG's image data is never inflated, and a PNG without text chunks is only a PNG", async () => {
    // the value deflated as image data: not text, not searched decoded (as no viewer shows it as text)
    const idatOnly = pngOf([["IDAT", deflateSync(Buffer.from(`x${value}`))]]);
    const result = await scan(await tarOf([["usr/share/icons/a.png", idatOnly]]));
    expect(found(result)).toEqual([]);
    expect(result.notSearched).toEqual([]);
    expect(result.unreadable).toEqual([]);
  });

  test("a file shorter than a sniff needs, and an empty one, are searched as they are", async () => {
    const layer = await tarOf([
      ["short", Buffer.from("PK")],
      ["empty", Buffer.alloc(0)],
      ["plain", Buffer.from(value)],
    ]);
    const result = await scan(layer);
    expect(found(result)).toEqual(["-:plain"]);
    expect(result.notSearched).toEqual([]);
  });
});

describe("a zip over the gather limit (a fat jar) is read as it streams, by its local headers", () => {
  const properties = Buffer.from(`spring.datasource.password=${value}\n`);
  // incompressible, so the zip is over 64 MiB; five entries, as a fat jar's size is many entries' (each under the per-file limit)
  const fillers = Array.from({ length: 5 }, (_, i) => ({ name: `lib/filler-${i}.bin`, data: randomBytes(14 * 1024 * 1024) }));
  const stored = fillers.map((f) => ({ ...f, stored: true }));

  test.each([1024 * 1024, 65_539, 4093])("java's way (every entry deflated, sizes after the data), in pieces of %i bytes", async (chunk) => {
    const jar = zipOf([...fillers, { name: "BOOT-INF/classes/application.properties", data: properties }, { name: "z.txt", data: Buffer.from("end\n") }], { dataDescriptor: true });
    expect(jar.length).toBeGreaterThan(64 * 1024 * 1024);
    const result = await scan(await tarOfOne("app/app.jar", jar), chunk);
    expect(found(result)).toEqual(["zip:app/app.jar!/BOOT-INF/classes/application.properties"]);
    expect(result.notSearched).toEqual([]);
    expect(result.unreadable).toEqual([]);
  });

  test("sizes in the local headers, a stored jar inside (Spring Boot's BOOT-INF/lib), and zip64", async () => {
    const inner = zipOf([{ name: "db.properties", data: properties }]);
    for (const zip64 of [false, true]) {
      const jar = zipOf([...stored, { name: "BOOT-INF/lib/db.jar", data: inner, stored: true }], { zip64 });
      const result = await scan(await tarOfOne("app/app.jar", jar), 1024 * 1024);
      expect(found(result)).toEqual(["zip:app/app.jar!/BOOT-INF/lib/db.jar!/db.properties"]);
      expect(result.notSearched).toEqual([]);
    }
  });

  test("its clean look-alike (the value's hash) is clean, with nothing left unsearched", async () => {
    const hash = createHash("sha256").update(value).digest("hex");
    const jar = zipOf([...fillers, { name: "application.properties", data: Buffer.from(`password=${hash}\n`) }], { dataDescriptor: true });
    const result = await scan(await tarOfOne("app/app.jar", jar), 1024 * 1024);
    expect(found(result)).toEqual([]);
    expect(result.notSearched).toEqual([]);
  });

  test("a stored entry whose size follows its data cannot be delimited: the rest is not searched, named; what came before was", async () => {
    const jar = zipOf([{ name: "a.properties", data: properties }, ...stored, { name: "b.properties", data: properties }], { dataDescriptor: true });
    const result = await scan(await tarOfOne("app/app.jar", jar), 1024 * 1024);
    expect(found(result)).toEqual(["zip:app/app.jar!/a.properties"]);
    expect(result.notSearched).toEqual([
      expect.objectContaining({
        path: "app/app.jar!/lib/filler-0.bin",
        reason: "zip over 64 MiB, read as it streams: a stored or encrypted entry whose size follows its data cannot be delimited; this entry and the rest of the zip were not searched",
      }),
    ]);
  });
});

describe("content stage: limits and damage are reported as not searched, with the limit", () => {
  test("a zip bomb entry is cut where the scan's allowance ends; what came before it was searched", async () => {
    const zip = zipOf([
      { name: "before.properties", data: Buffer.from(`password=${value}\n`) },
      { name: "bomb.bin", data: Buffer.alloc(100 * 1024 * 1024) },
    ]);
    const result = await scanLayerInChunks(needles, await tarOfOne("app/app.jar", zip), undefined, new ContentBudget(64 * 1024 * 1024));
    expect(found(result)).toEqual(["zip:app/app.jar!/before.properties"]);
    expect(result.notSearched).toEqual([
      expect.objectContaining({ path: "app/app.jar!/bomb.bin", reason: "the scan's decoded bytes reached 64 MiB (limit per scan: 64 MiB and 8 times the image's bytes read)" }),
    ]);
  });

  test("a file streamed through the search is searched past 64 MiB, xz and bzip2 too; one decoded in memory is cut there, said so", async () => {
    const big = (v: string): Buffer => Buffer.concat([noise(1000), Buffer.alloc(80 * 1024 * 1024), Buffer.from(v)]);
    const layer = await tarOf([
      ["data/big.gz", gzipSync(big(value))],
      ["data/big.zst", zstdOf(big(value))],
      ["data/big.lz4", lz4Of(big(value))],
      ["data/big.zip", zipOf([{ name: "dump.sql", data: big(value) }])],
      ["data/big.xz", xzOf(big(value))],
      ["data/big.bz2", bzip2Of(big(value))],
      ["data/big.lz", lzipOf(big(value))],
      // aws-cdk-lib's .jsii.gz (88 MB) in a cached npm tarball and in a Yarn cache zip
      ["data/pkg.tgz", gzipSync(await tarOf([["package/.jsii.gz", gzipSync(big(value))]]))],
      ["data/cache.zip", zipOf([{ name: "node_modules/x/.jsii.gz", stored: true, data: gzipSync(big(value)) }])],
    ]);
    const result = await scan(layer, 1024 * 1024);
    expect(found(result)).toEqual(
      expect.arrayContaining(["gzip:data/big.gz", "lz4:data/big.lz4", "zip:data/big.zip!/dump.sql", "zstd:data/big.zst", "gzip:data/pkg.tgz!/package/.jsii.gz", "gzip:data/cache.zip!/node_modules/x/.jsii.gz", "xz:data/big.xz"]),
    );
    expect(found(result)).toContain("bzip2:data/big.bz2");
    // lzip is still decoded in memory
    expect(found(result).filter((f) => f.endsWith("big.lz"))).toEqual([]);
    expect(result.notSearched).toEqual([expect.objectContaining({ path: "data/big.lz", reason: "decoded content over 64 MiB (limit per file, for what is decoded in memory)" })]);
  });

  test("a file that compresses past any fixed ratio (a blank scan in a .dcm.gz, nibabel's test data) is searched whole, not cut", async () => {
    // 12 MiB of zeros around the value: gzip packs it about 1,000:1, xz, bzip2 and zstd far more
    const blank = (v: string): Buffer => Buffer.concat([Buffer.from("DICM"), Buffer.alloc(6 * 1024 * 1024), Buffer.from(v), Buffer.alloc(6 * 1024 * 1024)]);
    const layer = (v: string): Promise<Buffer> =>
      tarOf([
        ["site-packages/nibabel/tests/data/blank.dcm.gz", gzipSync(blank(v))],
        ["site-packages/data.whl", zipOf([{ name: "tests/data/blank.dcm.gz", stored: true, data: gzipSync(blank(v)) }])],
        ["data/blank.img.xz", xzOf(blank(v))],
        ["data/blank.img.bz2", bzip2Of(blank(v))],
        ["data/blank.img.zst", zstdOf(blank(v))],
        ["data/blank.img.lz4", lz4Of(blank(v))],
      ]);
    const leak = await scan(await layer(value));
    expect(leak.notSearched).toEqual([]);
    // lz4 and zstd keep the value as a literal: found in the file's own bytes too
    expect(found(leak)).toEqual(expect.arrayContaining(["bzip2:data/blank.img.bz2", "gzip:site-packages/data.whl!/tests/data/blank.dcm.gz", "gzip:site-packages/nibabel/tests/data/blank.dcm.gz", "lz4:data/blank.img.lz4", "xz:data/blank.img.xz", "zstd:data/blank.img.zst"]));
    const clean = await scan(await layer("x".repeat(value.length)));
    expect(clean.notSearched).toEqual([]);
    expect(found(clean)).toEqual([]);
  });

  test("nesting deeper than 8 levels stops there, named", async () => {
    let inner = zipOf([{ name: "deep.properties", data: Buffer.from(`password=${value}\n`) }]);
    for (let i = 0; i < 9; i++) inner = zipOf([{ name: `level${i}.jar`, stored: true, data: inner }]);
    const result = await scan(await tarOfOne("app/app.jar", inner));
    expect(result.notSearched).toHaveLength(1);
    expect(result.notSearched[0]!.reason).toBe("zip nested 9 levels deep (limit 8)");
    expect(result.notSearched[0]!.path).toMatch(/^app\/app\.jar(!\/level\d\.jar){8}$/);
  });

  test("a compression adds no level: a package tarball holding its previous versions' tarballs five deep (aes-js in an npm cache) is read whole", async () => {
    let tgz = gzipSync(await tarOf([["package/index.js", Buffer.from(`const key = "${value}";\n`)]]));
    for (let i = 0; i < 5; i++) tgz = gzipSync(await tarOf([["package/index.js", Buffer.from("module.exports = 1;\n")], [`package/aes-js-4.0.0-beta.${i}.tgz`, tgz]]));
    const result = await scan(await tarOfOne("root/.npm/_cacache/content-v2/sha512/ab/cd/0123", tgz));
    expect(result.notSearched).toEqual([]);
    expect(found(result)).toEqual(expect.arrayContaining([expect.stringMatching(/^tar:root\/\.npm\/_cacache\/content-v2\/sha512\/ab\/cd\/0123(!\/package\/aes-js-4\.0\.0-beta\.\d\.tgz){5}!\/package\/index\.js$/)]));
  });

  test("an endless chain of compressions stops, named", async () => {
    let data = Buffer.from(`password=${value}\n`);
    for (let i = 0; i < 70; i++) data = gzipSync(data);
    const result = await scan(await tarOfOne("data/deep.gz", data));
    expect(result.notSearched.map((n) => n.reason)).toEqual(["gzip nested 9 levels deep (limit 8)"]);
  });

  test("an encrypted zip entry: not searched (nobody here can read it), named", async () => {
    const zip = zipOf([{ name: "secret.txt", data: noise(100) }]);
    // flag bit 0 in the central directory entry
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip[central + 8] = zip[central + 8]! | 1;
    const result = await scan(await tarOfOne("data/file.bin", zip));
    expect(result.notSearched.map((n) => n.reason)).toEqual(["zip: encrypted entry"]);
    expect(result.unreadable).toEqual([]);
  });

  test.each([
    ["a 7z archive", () => sevenZipOf([["conf/app.properties", Buffer.from(`password=${value}\n`)]]), "7z archive"],
    ["a squashfs image", () => squashfsOf([["conf/app.properties", Buffer.concat([Buffer.from(`password=${value}\n`), noise(5000)])]]), "squashfs image"],
  ])("%s (made by its own tool): recognised, not decoded, so not searched, never clean", async (_name, make, label) => {
    // a short value may still lie raw in the compressed bytes (a literal) and be found there: what matters is the entry
    const result = await scan(await tarOfOne("data/blob.bin", make()));
    expect(result.notSearched).toEqual([
      expect.objectContaining({ path: "data/blob.bin", reason: `${label}: a format safebuild does not decode (its bytes were searched as they are, not what it holds)` }),
    ]);
  });

  test("a layer of 1,200 files not searched lists the first 1,000, then one entry with the count of the rest", async () => {
    const rar = Buffer.concat([Buffer.from("Rar!\x1a\x07\x00", "latin1"), noise(40)]);
    const files = Array.from({ length: 1200 }, (_, i) => [`data/${String(i).padStart(4, "0")}.rar`, rar] as const);
    const result = await scan(await tarOf(files));
    expect(result.notSearched).toHaveLength(1001);
    expect(result.notSearched[999]!.path).toBe("data/0999.rar");
    expect(result.notSearched[1000]).toEqual({
      path: "data/1000.rar",
      reason: "RAR archive: a format safebuild does not decode (its bytes were searched as they are, not what it holds); and 199 more files of this layer after it, not listed (the report lists 1000 per layer)",
    });
  });

  test("a Unix compress (.Z) file is not searched either (16 and 12 code bits); the magic with reserved flag bits set is not one", async () => {
    const z16 = Buffer.concat([Buffer.from([0x1f, 0x9d, 0x90]), noise(300)]);
    const z12 = Buffer.concat([Buffer.from([0x1f, 0x9d, 0x0c]), noise(300)]);
    const other = Buffer.concat([Buffer.from([0x1f, 0x9d, 0xf0]), noise(300)]);
    const result = await scan(await tarOf([["a.tar.Z", z16], ["b.Z", z12], ["c.bin", other]]));
    expect(result.notSearched).toEqual([
      expect.objectContaining({ path: "a.tar.Z", reason: "Unix compress (.Z) file: a format safebuild does not decode (its bytes were searched as they are, not what it holds)" }),
      expect.objectContaining({ path: "b.Z" }),
    ]);
  });

  test("a RAR archive (RAR 4 and RAR 5 signatures) is not searched either; the signature in text is not one", async () => {
    const rar4 = Buffer.concat([Buffer.from("Rar!\x1a\x07\x00", "latin1"), noise(300)]);
    const rar5 = Buffer.concat([Buffer.from("Rar!\x1a\x07\x01\x00", "latin1"), noise(300)]);
    const text = Buffer.from("Rar! is how a RAR archive starts\n".repeat(10));
    const result = await scan(await tarOf([["a.rar", rar4], ["b.rar", rar5], ["c.txt", text]]));
    expect(result.notSearched.map((n) => n.path)).toEqual(["a.rar", "b.rar"]);
  });

  test("an lzip file whose trailer lies about its member's size is not well-formed (a warning), never a crash", async () => {
    const lz = lzipOf(Buffer.from(`password=${value}\n`));
    lz.writeBigUInt64LE(BigInt(lz.length + 10), lz.length - 8);
    const result = await scan(await tarOfOne("data/a.lz", lz));
    expect(result.error).toBeNull();
    expect(result.unreadable.map((u) => u.reason)).toEqual(["lzip: member size out of the file"]);
  });

  test("an lzip bomb is stopped at the cap", async () => {
    const result = await scan(await tarOfOne("data/zeros.lz", lzipOf(Buffer.alloc(65 * 1024 * 1024))));
    expect(result.notSearched.map((n) => n.reason)).toEqual([expect.stringMatching(/limit per file/)]);
    expect(result.unreadable).toEqual([]);
  });

  test("a cpio cut short and text that starts like one: a warning for the first, nothing for the second", async () => {
    const cut = cpioOf([["etc/app.conf", Buffer.concat([noise(4000), Buffer.from(value)])]]).subarray(0, 2000);
    const digits = Buffer.from(`070701${"0".repeat(103)}x and more text after it, enough to be sniffed at all${" ".repeat(200)}`);
    const result = await scan(await tarOf([["initrd", cut], ["notes.txt", digits]]));
    expect(result.unreadable.map((u) => `${u.path}: ${u.reason}`)).toEqual(["initrd: cpio: cut short"]);
    expect(result.notSearched).toEqual([]);
  });

  test("an xz file with a BCJ filter: not searched, the filter named", async () => {
    const result = await scan(await tarOfOne("data/app.xz", xzOf(noise(3000), ["--x86", "--lzma2"])));
    expect(result.notSearched.map((n) => n.reason)).toEqual(["xz: x86 BCJ filter (only LZMA2 and delta are read)"]);
  });

  test.each([
    ["its size unknown", (zeros: Buffer) => xzOf(zeros, ["--format=lzma"])],
    ["its size in the header", (zeros: Buffer) => lzmaWithSize(xzOf(zeros, ["--format=lzma"]), zeros.length)],
  ])("an .lzma bomb, %s, is stopped at the cap", async (_name, make) => {
    const result = await scan(await tarOfOne("data/zeros.lzma", make(Buffer.alloc(65 * 1024 * 1024))));
    expect(result.notSearched.map((n) => n.reason)).toEqual([expect.stringMatching(/limit per file/)]);
    expect(result.unreadable).toEqual([]);
  });

  test("a MATLAB v4 file (scipy's test data) only looks like an .lzma header: searched as it is, quiet", async () => {
    // type 0 (little-endian doubles), 1 row, 2 columns, no imaginary part, a name of 6 bytes, then the data
    const mat = Buffer.concat([Buffer.from([0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0]), Buffer.from("a_var\0"), randomBytes(16)]);
    expect(sniffFormat(mat)).toBe("lzma");
    const result = await scan(await tarOfOne("site-packages/scipy/io/matlab/tests/data/test_mat4_le_floats.mat", mat));
    expect(result.notSearched).toEqual([]);
    expect(result.unreadable).toEqual([]);
    // a real .lzma cut short still says so
    const cut = lzmaWithSize(xzOf(noise(300_000), ["--format=lzma"]), 300_000).subarray(0, 20);
    expect((await scan(await tarOfOne("data/cut.lzma", cut))).unreadable).toEqual([expect.objectContaining({ reason: expect.stringMatching(/cut short/) })]);
  });

  test("an xz file over 64 MiB in, and one over 64 MiB out, are read as they stream (a kept toolchain .tar.xz)", async () => {
    // the value in text after the random bytes: range-coded, not in a stored chunk
    const incompressible = Buffer.concat([randomBytes(66 * 1024 * 1024), Buffer.from(`${"a line of ordinary text\n".repeat(5000)}token=${value}\n`)]);
    const zeros = Buffer.concat([Buffer.alloc(65 * 1024 * 1024), Buffer.from(`token=${value}\n`)]);
    const layer = await tarOf([
      ["opt/toolchain.tar.xz", xzOf(incompressible, ["-0"])],
      ["opt/zeros.xz", xzOf(zeros)],
    ]);
    const result = await scan(layer);
    expect(result.notSearched).toEqual([]);
    expect(result.unreadable).toEqual([]);
    expect(found(result).sort()).toEqual(["xz:opt/toolchain.tar.xz", "xz:opt/zeros.xz"]);
  });
});

describe("git objects: a `.git` copied into the image keeps a value committed then removed", () => {
  const text = Buffer.concat([Buffer.from("db.password="), Buffer.from(value), Buffer.from("\n"), noise(2000)]);

  test("packed (git gc): found in the pack, as a blob at its offset", async () => {
    const files = gitDirOf(text, true);
    const pack = files.find(([name]) => /^\.git\/objects\/pack\/pack-[0-9a-f]+\.pack$/.test(name));
    expect(pack).toBeDefined();
    const result = await scan(await tarOf(files));
    expect(result.notSearched).toEqual([]);
    expect(result.unreadable).toEqual([]);
    expect(found(result)).toEqual([expect.stringMatching(/^git-pack:\.git\/objects\/pack\/pack-[0-9a-f]+\.pack!\/blob@\d+$/)]);
  });

  test("loose objects: found in the object's zlib stream", async () => {
    const result = await scan(await tarOf(gitDirOf(text, false)));
    expect(result.notSearched).toEqual([]);
    expect(result.unreadable).toEqual([]);
    expect(found(result)).toEqual([expect.stringMatching(/^zlib:\.git\/objects\/[0-9a-f]{2}\/[0-9a-f]{38}$/)]);
  });

  test("a delta object: the version it makes is resolved and searched, named as the blob it is", async () => {
    // two versions of a file: git gc stores one of them as a delta against the other
    const base = noise(20_000);
    const changed = Buffer.concat([base.subarray(0, 10_000), Buffer.from(`password=${value}\n`), base.subarray(10_000)]);
    // git deltifies the smaller against the larger: the later version without the value is the larger
    const files = gitDirOf(changed, true, Buffer.concat([base, noise(500)]));
    const result = await scan(await tarOf(files));
    expect(result.notSearched).toEqual([]);
    expect(found(result)).toEqual([expect.stringMatching(/^git-pack:\.git\/objects\/pack\/pack-[0-9a-f]+\.pack!\/blob@\d+$/)]);
  });

  test("a pack and a bundle over 64 MiB (a big repository's .git) are read as they stream: the scrubbed value found in its resolved delta", async () => {
    const base = noise(20_000);
    const changed = Buffer.concat([base.subarray(0, 10_000), Buffer.from(`password=${value}\n`), base.subarray(10_000)]);
    const files = gitDirOf(changed, true, Buffer.concat([base, noise(500)]), { bulk: randomBytes(66 * 1024 * 1024), bundle: true });
    const pack = files.find(([name]) => name.endsWith(".pack"))!;
    expect(pack[1].length).toBeGreaterThan(64 * 1024 * 1024);
    const result = await scan(await tarOf(files));
    expect(result.notSearched).toEqual([]);
    expect(result.unreadable).toEqual([]);
    // the pack's own offsets, so one blob at one place in both
    const [inPack, inBundle] = found(result).sort();
    expect(inPack).toMatch(/^git-pack:\.git\/objects\/pack\/pack-[0-9a-f]+\.pack!\/blob@\d+$/);
    expect(inBundle).toMatch(/^git-pack:repo\.bundle!\/blob@\d+$/);
    expect(inBundle!.split("@")[1]).toBe(inPack!.split("@")[1]);
    expect(found(result)).toHaveLength(2);

    // in odd pieces (headers and zlib streams split anywhere), and cut short: what came first still found
    const packOnly = await tarOf([[".git/objects/pack/pack-big.pack", pack[1]]]);
    expect(found(await scan(packOnly, 4093))).toEqual([expect.stringMatching(/^git-pack:\.git\/objects\/pack\/pack-big\.pack!\/blob@\d+$/)]);
    const cut = await scan(await tarOf([[".git/objects/pack/pack-cut.pack", pack[1].subarray(0, pack[1].length - 1000)]]));
    expect(cut.unreadable).toEqual([expect.objectContaining({ reason: expect.stringMatching(/^git-pack: object \d+ of \d+ past the end \(cut short\)$/) })]);
  });

  test("a value a delta's 127-byte inserts split (a long token, a JWT) is found in the resolved version", async () => {
    const long = Buffer.from(`${value}.${randomBytes(120).toString("base64url")}`);
    const longNeedles = buildNeedles([secret("jwt", long.toString())]);
    const filler = Buffer.from(Array.from({ length: 60 }, (_, i) => `setting_${i} = value number ${i} for the application\n`).join(""));
    const old = Buffer.concat([filler, Buffer.from("session = "), long, Buffer.from("\n"), filler]);
    const scrubbed = Buffer.concat([filler, Buffer.from("session = ${SESSION}\n"), Buffer.from("flag = on\n".repeat(40)), filler]);
    const files = gitDirOf(old, true, scrubbed);
    const backlog = new Backlog();
    const scanner = startLayerScan({ needles: longNeedles }, backlog);
    scanner.sink.write(await tarOf(files));
    scanner.sink.end();
    await backlog.settle();
    const result = await scanner.finish();
    expect(found(result)).toEqual([expect.stringMatching(/^git-pack:\.git\/objects\/pack\/pack-[0-9a-f]+\.pack!\/blob@\d+$/)]);
    // the delta as it is does not hold the value whole: the split is real
    const pack = files.find(([name]) => name.endsWith(".pack"))![1];
    expect(pack.includes(long)).toBe(false);
  });

  test("a ref-delta (its base named by id, as a fetched thin pack holds them) is resolved too", async () => {
    const long = Buffer.from(`${value}.${randomBytes(120).toString("base64url")}`);
    const longNeedles = buildNeedles([secret("jwt", long.toString())]);
    const filler = Buffer.from(Array.from({ length: 60 }, (_, i) => `setting_${i} = value number ${i} for the application\n`).join(""));
    const old = Buffer.concat([filler, Buffer.from("session = "), long, Buffer.from("\n"), filler]);
    const scrubbed = Buffer.concat([filler, Buffer.from("session = ${SESSION}\n"), Buffer.from("flag = on\n".repeat(40)), filler]);
    const files = gitDirOf(old, "ref-delta", scrubbed);
    const pack = files.find(([name]) => name.endsWith(".pack"))![1];
    expect(pack.includes(long)).toBe(false);
    const result = await scanLayerInChunks(longNeedles, await tarOf(files));
    expect(found(result)).toEqual([expect.stringMatching(/^git-pack:\.git\/objects\/pack\/pack-[0-9a-f]+\.pack!\/blob@\d+$/)]);
    expect(result.notSearched).toEqual([]);
  });

  test("a value every version carries is reported once, where it is whole, not in each version a delta makes", async () => {
    const filler = (n: number): Buffer => Buffer.from(Array.from({ length: 40 }, (_, i) => `line_${n}_${i} = some text of the config file\n`).join(""));
    const v1 = Buffer.concat([filler(1), Buffer.from(`password=${value}\n`), filler(2)]);
    const v2 = Buffer.concat([filler(1), Buffer.from(`password=${value}\n`), filler(2), Buffer.from("extra = 1\n".repeat(30))]);
    const result = await scan(await tarOf(gitDirOf(v1, true, v2)));
    expect(found(result)).toHaveLength(1);
  });

  test("a file that only looks like zlib (two bytes) and fails to inflate is reported nowhere", async () => {
    // a dynamic block declaring 288 literal codes: zlib fails at the third byte
    const lookalike = Buffer.concat([Buffer.from([0x78, 0x9c, 0xfc, 0xff, 0xff]), noise(3000)]);
    expect(sniffFormat(lookalike)).toBe("zlib");
    // random bytes: every one that sniffs as zlib fails quietly
    const randoms = Array.from({ length: 20_000 }, () => randomBytes(64)).filter((b) => sniffFormat(b) === "zlib");
    expect(randoms.length).toBeGreaterThan(0);
    // one over the gather limit is not reported either (it is dropped at its first bytes, never gathered)
    const large = Buffer.concat([lookalike, Buffer.alloc(65 * 1024 * 1024, 0x41)]);
    const result = await scan(await tarOf([["bin/tool", lookalike], ["bin/large", large], ...randoms.map((b, i): [string, Buffer] => [`bin/r${i}`, b])]));
    expect(result.notSearched).toEqual([]);
    expect(result.unreadable).toEqual([]);
  });
});

describe("brotli: no magic bytes, told by the name `*.br`", () => {
  const text = Buffer.concat([Buffer.from("const key = \""), Buffer.from(value), Buffer.from("\";\n"), noise(3000)]);

  test("a precompressed asset in a layer, and one inside a tar.gz, are decoded; the same bytes named otherwise are not", async () => {
    const br = brotliCompressSync(text);
    const inner = gzipSync(await tarOfOne("static/app.js.br", br));
    const result = await scan(await tarOf([["srv/static/main.js.br", br], ["srv/site.tgz", inner], ["srv/static/main.js.bin", br]]));
    expect(found(result)).toEqual(["brotli:srv/site.tgz!/static/app.js.br", "brotli:srv/static/main.js.br"]);
    expect(result.notSearched).toEqual([]);
    expect(result.unreadable).toEqual([]);
  });

  test("a .br file that does not decode is not well-formed (a warning); a brotli bomb is cut at the cap", async () => {
    // fixed text: one random base64 text in twelve happens to decode as brotli
    const broken = Buffer.from("not brotli, a plain text file named .br by mistake\n".repeat(10));
    const result = await scan(await tarOf([["srv/broken.js.br", broken], ["srv/zeros.br", brotliCompressSync(Buffer.alloc(70 * 1024 * 1024))]]));
    expect(result.unreadable).toEqual([{ path: "srv/broken.js.br", reason: expect.stringMatching(/^brotli: corrupt/) }]);
    expect(result.notSearched).toEqual([{ path: "srv/zeros.br", reason: expect.stringMatching(/limit per file/) }]);
  });
});

describe("archives gathered one after another in a reused buffer", () => {
  test("a small zip after a large one is read as itself: nothing of the larger one's bytes is found again", async () => {
    const text = Buffer.concat([Buffer.from("db.password="), Buffer.from(value), Buffer.from("\n")]);
    // the value at the end of the first zip, whose directory then sits where a smaller file's bytes end
    const big = zipOf([{ name: "filler.bin", stored: true, data: noise(600_000) }, { name: "conf/app.properties", data: text }]);
    const small = zipOf([{ name: "README", data: noise(2000) }]);
    const clean = zipOf([{ name: "other.txt", data: noise(40_000) }]);
    for (const chunk of [64 * 1024, 4096]) {
      const result = await scan(await tarOf([["app/big.jar", big], ["app/small.jar", small], ["app/clean.zip", clean]]), chunk);
      expect(found(result)).toEqual(["zip:app/big.jar!/conf/app.properties"]);
      expect(result.notSearched).toEqual([]);
    }
  });

  test("a zip whose size is not known before it is inflated (a .jar.gz) is gathered as it grows", async () => {
    const text = Buffer.concat([Buffer.from("db.password="), Buffer.from(value), Buffer.from("\n")]);
    const jar = zipOf([{ name: "conf/app.properties", data: text }, { name: "lib/filler.bin", stored: true, data: noise(900_000) }]);
    const result = await scan(await tarOf([["app/app.jar.gz", gzipSync(jar)]]));
    expect(found(result)).toEqual(["zip:app/app.jar.gz!/conf/app.properties"]);
  });
});

describe("content stage: a file that is not well-formed in its format is a warning, not a failure", () => {
  // test suites ship broken archives on purpose (CPython's testtar.tar, Go's archive testdata):
  // their bytes were searched as they are, and what decoded before the fault was searched too
  test.each([
    ["a zip cut short (no central directory)", () => zipOf([{ name: "a.txt", data: noise(5000) }]).subarray(0, 3000), /^zip: no end of central directory/],
    ["an xz cut short", () => xzOf(noise(5000)).subarray(0, 1000), /^xz: index unreadable/],
    ["a bzip2 file with a bad block", () => Buffer.concat([bzip2Of(noise(5000)).subarray(0, 40), Buffer.alloc(2000, 7)]), /^bzip2: corrupt/],
    ["a zstd file cut short", () => zstdOf(noise(200_000)).subarray(0, 5000), /^zstd: corrupt/],
    ["a tar cut inside a header", async () => (await tarOfOne("a/b.txt", noise(600))).subarray(0, 700), /^tar: /],
    ["an .lzma file (the encoders' properties) cut short", () => xzOf(noise(5000), ["--format=lzma"]).subarray(0, 2000), /^lzma: corrupt/],
  ])("%s", async (_name, make, reason) => {
    const result = await scan(await tarOfOne("data/file.bin", await make()));
    expect(result.notSearched).toEqual([]);
    expect(result.unreadable).toEqual([{ path: "data/file.bin", reason: expect.stringMatching(reason) }]);
  });

  test("a binary that only looks like an .lzma header (a Kotlin .kotlin_metadata, in every Kotlin jar) and does not decode: no warning", async () => {
    // the first bytes every .kotlin_metadata file has: properties 0, a dictionary of 3 x 2^16, a known size, then 0
    const metadata = Buffer.concat([Buffer.from("0000000300000001000000000000000700", "hex"), noise(400)]);
    expect(sniffFormat(metadata)).toBe("lzma");
    const result = await scan(await tarOfOne("app/app.jar", zipOf([{ name: "kotlin/ArithmeticException.kotlin_metadata", data: metadata }])));
    expect(result.unreadable).toEqual([]);
    expect(result.notSearched).toEqual([]);
  });

  test.each([
    ["sizes in the local headers", { dataDescriptor: false }],
    ["sizes after the data (data descriptors, as java's ZipOutputStream writes)", { dataDescriptor: true }],
  ])("a zip cut short: its entries are read from their local headers, %s, and it is still a warning", async (_name, options) => {
    const text = Buffer.concat([Buffer.from("password="), Buffer.from(value), Buffer.from("\n")]);
    const zip = zipOf([
      { name: "a.bin", data: noise(4000) },
      // java writes a stored entry's sizes in its local header, data descriptor or not
      ...(options.dataDescriptor ? [] : [{ name: "b/stored.txt", stored: true, data: noise(100) }]),
      { name: "conf/app.properties", data: text },
      { name: "z.bin", data: noise(9000) },
    ], options);
    // cut inside the last entry: no central directory
    const cut = zip.subarray(0, zip.indexOf(Buffer.from("z.bin")) + 3000);
    const result = await scan(await tarOfOne("app/app.jar", cut));
    expect(found(result)).toEqual(["zip:app/app.jar!/conf/app.properties"]);
    expect(result.notSearched).toEqual([]);
    expect(result.unreadable).toEqual([{ path: "app/app.jar", reason: expect.stringMatching(/^zip: no end of central directory/) }]);
  });

  test("a value before the fault is still found", async () => {
    const tar = await tarOfOne("conf/app.properties", Buffer.from(`password=${value}\n`));
    const cut = Buffer.concat([tar.subarray(0, 1024), noise(300)]);
    const result = await scan(await tarOfOne("data/broken.tar", cut));
    expect(found(result)).toContain("tar:data/broken.tar!/conf/app.properties");
    expect(result.unreadable).toHaveLength(1);
  });
});
