import type { ContentSink } from "./content-report.js";
import { memberPath } from "./content-report.js";
import type { Decoder } from "./decoder.js";

const MAGIC = 8;
const HEADER = 60;
/** the GNU long-name table is read whole; real ones are a few KiB */
const MAX_NAMES = 1024 * 1024;

type State = "magic" | "header" | "names" | "bsdName" | "body" | "pad";

/**
 * An ar archive (`.deb`, `.a`), streamed: each member is searched and opened in turn (a
 * `.deb`'s `data.tar.xz` holds the files). GNU (`//` name table, `/N`) and BSD (`#1/N`) long
 * names; the symbol tables (`/`, `/SYM64/`) are searched as they are.
 */
export const arDecoder: Decoder = (dc) => {
  let state: State = "magic";
  const header = Buffer.alloc(HEADER);
  let fill = 0;
  let remain = MAGIC;
  let padding = 0;
  let names: Buffer | null = null as Buffer | null;
  let nameTable: Buffer = Buffer.alloc(0);
  let bsdName: Buffer | null = null;
  let member: ContentSink | null = null;
  let failed = false;

  const fail = (reason: string): void => {
    failed = true;
    member?.end();
    member = null;
    dc.report.notSearched(dc.inner, `ar: ${reason}`);
  };
  const nameOf = (raw: string): string => {
    const gnu = /^\/(\d+)$/.exec(raw);
    if (gnu) {
      const at = Number(gnu[1]);
      const end = nameTable.indexOf("/\n", at);
      return nameTable.toString("utf8", at, end === -1 ? nameTable.length : end);
    }
    return raw.endsWith("/") && raw !== "/" && raw !== "//" ? raw.slice(0, -1) : raw;
  };
  const startBody = (size: number, name: string): void => {
    padding = size % 2;
    remain = size;
    member = dc.open(memberPath(dc.inner, name), "ar");
    state = "body";
    if (size === 0) endBody();
  };
  const endBody = (): void => {
    member?.end();
    member = null;
    state = padding > 0 ? "pad" : "header";
  };
  const onHeader = (): void => {
    if (header[58] !== 0x60 || header[59] !== 0x0a) return fail("invalid member header");
    const raw = header.toString("utf8", 0, 16).trimEnd();
    const size = Number(header.toString("latin1", 48, 58).trim());
    if (!Number.isSafeInteger(size) || size < 0) return fail("invalid member size");
    if (raw === "//") {
      if (size > MAX_NAMES) return fail("name table too large");
      names = Buffer.alloc(size);
      fill = 0;
      remain = size;
      padding = size % 2;
      state = "names";
      if (size === 0) state = padding > 0 ? "pad" : "header";
      return;
    }
    const bsd = /^#1\/(\d+)$/.exec(raw);
    if (bsd) {
      const length = Number(bsd[1]);
      if (length > size || length > 4096) return fail("invalid BSD name");
      bsdName = Buffer.alloc(length);
      fill = 0;
      remain = size;
      padding = size % 2;
      state = "bsdName";
      if (length === 0) startBody(size, "");
      return;
    }
    startBody(size, nameOf(raw));
  };

  const write = (chunk: Buffer): void => {
    let at = 0;
    while (at < chunk.length && !failed) {
      switch (state) {
        case "magic": {
          const take = Math.min(remain, chunk.length - at);
          at += take;
          remain -= take;
          if (remain === 0) {
            state = "header";
            fill = 0;
          }
          break;
        }
        case "header": {
          const take = Math.min(HEADER - fill, chunk.length - at);
          chunk.copy(header, fill, at, at + take);
          fill += take;
          at += take;
          if (fill === HEADER) {
            fill = 0;
            onHeader();
          }
          break;
        }
        case "names": {
          const take = Math.min(remain, chunk.length - at);
          chunk.copy(names!, fill, at, at + take);
          fill += take;
          at += take;
          remain -= take;
          if (remain === 0) {
            nameTable = names!;
            names = null;
            fill = 0;
            state = padding > 0 ? "pad" : "header";
          }
          break;
        }
        case "bsdName": {
          const name = bsdName!;
          const take = Math.min(name.length - fill, chunk.length - at);
          chunk.copy(name, fill, at, at + take);
          fill += take;
          at += take;
          if (fill === name.length) {
            fill = 0;
            bsdName = null;
            const size = remain - name.length;
            const pad = padding;
            startBody(size, name.toString("utf8").replace(/\0+$/, ""));
            padding = pad;
          }
          break;
        }
        case "body": {
          const take = Math.min(remain, chunk.length - at);
          member?.write(at === 0 && take === chunk.length ? chunk : chunk.subarray(at, at + take));
          at += take;
          remain -= take;
          if (remain === 0) endBody();
          break;
        }
        case "pad": {
          at += 1;
          padding = 0;
          fill = 0;
          state = "header";
          break;
        }
      }
    }
  };

  return {
    write(chunk) {
      if (!failed) write(chunk);
    },
    end() {
      if (failed) return;
      if (state === "body" || state === "names" || state === "bsdName" || (state === "header" && fill > 0) || state === "magic") fail("cut short");
    },
  };
};
