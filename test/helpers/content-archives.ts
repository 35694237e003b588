import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { deflateRawSync, deflateSync } from "node:zlib";

export interface ZipMember {
  readonly name: string;
  readonly data: Buffer;
  /** deflate (default) or stored */
  readonly stored?: boolean;
}

export interface ZipOptions {
  /** sizes after the data (bit 3), zeros in the local header, as java's ZipOutputStream writes deflated entries */
  readonly dataDescriptor?: boolean;
  /** zip64 extra fields and end records, as a zip over 4 GiB or 65535 entries has them */
  readonly zip64?: boolean;
  /** bytes before the zip, written first (a launch script, a `#!` line): offsets count from the file's start */
  readonly prefix?: Buffer;
}

const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};

/** A zip written by hand, the way jar tools write them (CRCs left 0: readers here do not check them). */
export function zipOf(members: readonly ZipMember[], options: ZipOptions = {}): Buffer {
  const parts: Buffer[] = options.prefix === undefined ? [] : [options.prefix];
  const central: Buffer[] = [];
  // a prefix written first, as zipapp and Spring Boot do: offsets count from the file's start
  let offset = options.prefix?.length ?? 0;
  for (const m of members) {
    const name = Buffer.from(m.name);
    const body = m.stored ? m.data : deflateRawSync(m.data);
    const method = m.stored ? 0 : 8;
    const flags = 0x800 | (options.dataDescriptor ? 8 : 0);
    const zip64 = options.zip64 === true;
    // zip64 with a data descriptor as Python's zipfile writes to a pipe (and stream-zip): saturated sizes, a zip64 field of zeros, 8-byte sizes after the data
    const localSizes = options.dataDescriptor && !zip64 ? [0, 0] : zip64 ? [0xffffffff, 0xffffffff] : [body.length, m.data.length];
    const localExtra = zip64 ? Buffer.concat([u16(1), u16(16), u64(options.dataDescriptor ? 0 : m.data.length), u64(options.dataDescriptor ? 0 : body.length)]) : Buffer.alloc(0);
    const local = Buffer.concat([u32(0x04034b50), u16(45), u16(flags), u16(method), u32(0), u32(0), u32(localSizes[0]!), u32(localSizes[1]!), u16(name.length), u16(localExtra.length), name, localExtra]);
    const descriptor = !options.dataDescriptor ? Buffer.alloc(0) : zip64 ? Buffer.concat([u32(0x08074b50), u32(0), u64(body.length), u64(m.data.length)]) : Buffer.concat([u32(0x08074b50), u32(0), u32(body.length), u32(m.data.length)]);
    const centralExtra = zip64 ? Buffer.concat([u16(1), u16(24), u64(m.data.length), u64(body.length), u64(offset)]) : Buffer.alloc(0);
    central.push(
      Buffer.concat([
        u32(0x02014b50), u16(45), u16(45), u16(flags), u16(method), u32(0), u32(0),
        u32(zip64 ? 0xffffffff : body.length), u32(zip64 ? 0xffffffff : m.data.length),
        u16(name.length), u16(centralExtra.length), u16(0), u16(0), u16(0), u32(0), u32(zip64 ? 0xffffffff : offset), name, centralExtra,
      ]),
    );
    parts.push(local, body, descriptor);
    offset += local.length + body.length + descriptor.length;
  }
  const directory = Buffer.concat(central);
  const tail: Buffer[] = [];
  if (options.zip64) {
    const end64At = offset + directory.length;
    tail.push(Buffer.concat([u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0), u64(members.length), u64(members.length), u64(directory.length), u64(offset)]));
    tail.push(Buffer.concat([u32(0x07064b50), u32(0), u64(end64At), u32(1)]));
    tail.push(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(0xffff), u16(0xffff), u32(0xffffffff), u32(0xffffffff), u16(0)]));
  } else {
    tail.push(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(members.length), u16(members.length), u32(directory.length), u32(offset), u16(0)]));
  }
  return Buffer.concat([...parts, directory, ...tail]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (bytes: Buffer): number => {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

/** A 1×1 PNG with the given chunks before its image data, as Pillow's PngInfo or `convert -set` write text. */
export function pngOf(chunks: ReadonlyArray<readonly [string, Buffer]>): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    ...chunks.map(([type, data]) => chunk(type, data)),
    chunk("IDAT", deflateSync(Buffer.from([0, 0]))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** An ar archive (GNU style, as dpkg-deb writes a `.deb`). */
export function arOf(members: ReadonlyArray<readonly [string, Buffer]>): Buffer {
  const parts: Buffer[] = [Buffer.from("!<arch>\n")];
  for (const [name, data] of members) {
    const header = `${`${name}/`.padEnd(16)}${"0".padEnd(12)}${"0".padEnd(6)}${"0".padEnd(6)}${"100644".padEnd(8)}${String(data.length).padEnd(10)}\`\n`;
    parts.push(Buffer.from(header, "latin1"), data);
    if (data.length % 2 === 1) parts.push(Buffer.from("\n"));
  }
  return Buffer.concat(parts);
}

/**
 * The system's own compressors, as images get their files (bzip2 and zstd have no maintained JS
 * compressor, and lzma-rs writes no matches: 65 MiB of zeros stay 65 MiB): scripts/ci-deps.sh installs them.
 */
export const bzip2Of = (data: Buffer): Buffer => execFileSync("bzip2", ["-c"], { input: data, maxBuffer: 1 << 30 });
export const zstdOf = (data: Buffer): Buffer => execFileSync("zstd", ["-q", "-c"], { input: data, maxBuffer: 1 << 30 });
/** `xz -c -T1`, then `options` (later ones win: `-T2`, `--check=sha256`, `--delta=dist=2 --lzma2`, `--format=lzma`). */
export const xzOf = (data: Buffer, options: readonly string[] = []): Buffer => execFileSync("xz", ["-c", "-T1", ...options], { input: data, maxBuffer: 1 << 30 });

/**
 * The files of a real `.git` folder (paths under `.git/`) where `text` was committed in
 * `conf/app.properties`, then removed in a second commit (or replaced by `then`): with `gc`, the
 * objects are packed (`.git/objects/pack/pack-*.pack`), else left loose (`.git/objects/ab/cdef…`, zlib each).
 */
/** `gc`: pack with `git gc` (offset deltas), or `"ref-delta"`: `git repack` with deltas naming their base by id, as a `git fetch` of a thin pack leaves them. */
export function gitDirOf(text: Buffer, gc: boolean | "ref-delta", then?: Buffer, more: { bulk?: Buffer; bundle?: boolean } = {}): Array<[string, Buffer]> {
  const dir = mkdtempSync(join(tmpdir(), "sbtest-git-"));
  try {
    const git = (...args: string[]): void => {
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main", "-c", "gc.auto=0", ...args], { cwd: dir, stdio: "ignore" });
    };
    git("init", "-q");
    mkdirSync(join(dir, "conf"));
    writeFileSync(join(dir, "conf/app.properties"), text);
    writeFileSync(join(dir, "README"), "app\n");
    // a large file committed with it: the pack outgrows what is gathered
    if (more.bulk !== undefined) writeFileSync(join(dir, "model.bin"), more.bulk);
    git("add", ".");
    git("commit", "-q", "-m", "config");
    if (then === undefined) rmSync(join(dir, "conf"), { recursive: true });
    else writeFileSync(join(dir, "conf/app.properties"), then);
    git("add", "-A");
    git("commit", "-q", "-m", "remove config");
    if (gc === "ref-delta") git("-c", "repack.useDeltaBaseOffset=false", "repack", "-a", "-d", "-q");
    else if (gc) git("gc", "-q", "--prune=now");
    const files: Array<[string, Buffer]> = [];
    for (const entry of readdirSync(join(dir, ".git"), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const full = join(entry.parentPath, entry.name);
      files.push([relative(dir, full), readFileSync(full)]);
    }
    if (more.bundle === true) {
      git("bundle", "create", "-q", join(dir, "repo.bundle"), "--all");
      files.push(["repo.bundle", readFileSync(join(dir, "repo.bundle"))]);
    }
    return files;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const lzipOf = (data: Buffer): Buffer => execFileSync("lzip", ["-c", "-q"], { input: data, maxBuffer: 1 << 30 });
/** `lz4` itself, with its options: `-BD` links blocks (as apt writes its lists), `-l` the legacy format, `-B4` 64 KiB blocks. */
export const lz4Of = (data: Buffer, options: readonly string[] = []): Buffer => execFileSync("lz4", ["-c", "-q", ...options], { input: data, maxBuffer: 1 << 30 });

/** Runs `make` in a fresh temp dir holding `files`, returns its output, and removes the dir. */
function inTempDir(files: ReadonlyArray<readonly [string, Buffer]>, make: (dir: string) => Buffer): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "sbtest-fmt-"));
  try {
    for (const [name, data] of files) {
      mkdirSync(join(dir, "in", dirname(name)), { recursive: true });
      writeFileSync(join(dir, "in", name), data);
    }
    return make(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `find . | cpio -o -H FORMAT` over `files`, as initramfs and rpm payloads are written. */
export const cpioOf = (files: ReadonlyArray<readonly [string, Buffer]>, format: "newc" | "odc" | "crc" = "newc"): Buffer =>
  inTempDir(files, (dir) => {
    const list = execFileSync("find", ["."], { cwd: join(dir, "in") });
    return execFileSync("cpio", ["-o", "--quiet", "-H", format], { cwd: join(dir, "in"), input: list, maxBuffer: 1 << 30 });
  });

/** `7z a` of `files` (LZMA2): a format the content stage reports as not decoded. */
export const sevenZipOf = (files: ReadonlyArray<readonly [string, Buffer]>): Buffer =>
  inTempDir(files, (dir) => {
    execFileSync("7z", ["a", "-bd", "-bso0", join(dir, "out.7z"), "."], { cwd: join(dir, "in") });
    return readFileSync(join(dir, "out.7z"));
  });

/** `mksquashfs` of `files` (gzip blocks): not decoded either. */
export const squashfsOf = (files: ReadonlyArray<readonly [string, Buffer]>): Buffer =>
  inTempDir(files, (dir) => {
    execFileSync("mksquashfs", [join(dir, "in"), join(dir, "out.sqfs"), "-quiet", "-no-progress", "-noappend"]);
    return readFileSync(join(dir, "out.sqfs"));
  });

/** A binary rpm built by the real `rpmbuild` with `files` under /opt/sbtest, its payload compressed with `compression` (w9.gzdio, w6.xzdio, w19.zstdio). */
export const rpmOf = (files: ReadonlyArray<readonly [string, Buffer]>, compression = "w9.gzdio"): Buffer =>
  inTempDir(files, (dir) => {
    const spec = [
      "Name: sbtest",
      "Version: 1.0",
      "Release: 1",
      "Summary: safebuild test package",
      "License: MIT",
      "BuildArch: noarch",
      `%define _binary_payload ${compression}`,
      "%description",
      "test",
      "%install",
      `mkdir -p %{buildroot}/opt/sbtest && cp -a ${join(dir, "in")}/. %{buildroot}/opt/sbtest/`,
      "%files",
      "/opt/sbtest",
      "",
    ].join("\n");
    writeFileSync(join(dir, "sbtest.spec"), spec);
    execFileSync("rpmbuild", ["-bb", "--quiet", "--define", `_topdir ${join(dir, "top")}`, "--define", "__os_install_post %{nil}", join(dir, "sbtest.spec")], { stdio: "pipe" });
    return readFileSync(join(dir, "top", "RPMS", "noarch", "sbtest-1.0-1.noarch.rpm"));
  });

/** A jar written by the JDK's own `jar` tool (deflated entries, sizes after the data): `files` under its root. */
export const jarOf = (files: ReadonlyArray<readonly [string, Buffer]>): Buffer =>
  inTempDir(files, (dir) => {
    execFileSync("jar", ["cf", join(dir, "out.jar"), "-C", join(dir, "in"), "."]);
    return readFileSync(join(dir, "out.jar"));
  });

/** module-info.class of `module app {}`, compiled once by javac (jmod wants one). */
let moduleInfo: Buffer | undefined;
const moduleInfoClass = (): Buffer =>
  (moduleInfo ??= inTempDir([["module-info.java", Buffer.from("module app {}\n")]], (dir) => {
    execFileSync("javac", ["-d", join(dir, "out"), join(dir, "in", "module-info.java")], { stdio: "ignore" });
    return readFileSync(join(dir, "out", "module-info.class"));
  }));

/** A JDK module file made by the JDK's own `jmod create`: `files` under its `conf/` (the --config tree), module `app`. */
export const jmodOf = (files: ReadonlyArray<readonly [string, Buffer]>): Buffer => {
  const info = moduleInfoClass();
  return inTempDir(files, (dir) => {
    mkdirSync(join(dir, "classes"), { recursive: true });
    writeFileSync(join(dir, "classes", "module-info.class"), info);
    execFileSync("jmod", ["create", "--class-path", join(dir, "classes"), "--config", join(dir, "in"), join(dir, "out.jmod")], { stdio: "ignore" });
    return readFileSync(join(dir, "out.jmod"));
  });
};

/** A self-extracting zip as Info-ZIP makes one: `cat unzipsfx app.zip > app && zip -A app` (offsets then count from the file's start). */
export const sfxOf = (zip: Buffer): Buffer =>
  inTempDir([["app.zip", zip]], (dir) => {
    writeFileSync(join(dir, "app"), Buffer.concat([readFileSync(execFileSync("sh", ["-c", "command -v unzipsfx"]).toString().trim()), zip]));
    execFileSync("zip", ["-q", "-A", join(dir, "app")]);
    return readFileSync(join(dir, "app"));
  });
