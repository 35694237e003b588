import { TarWalker } from "../layer/tar-walker.js";
import type { ContentSink } from "./content-report.js";
import { memberPath } from "./content-report.js";
import type { Decoder } from "./decoder.js";

/**
 * A tar inside a file (a `.tar` copied in, the inside of a `.tar.gz`, a `docker save` archive
 * and its layer tars): streamed through the layer's own walker, each file a member.
 */
export const tarDecoder: Decoder = (dc) => {
  let open: ContentSink | null = null;
  let failed = false;
  const walker = new TarWalker((header) => {
    if (header.type !== "file") return null;
    const sink = dc.open(memberPath(dc.inner, header.name), "tar");
    open = sink;
    return {
      data: (chunk) => sink.write(chunk),
      end: () => {
        open = null;
        sink.end();
      },
    };
  });
  const fail = (error: unknown): void => {
    failed = true;
    const member = open;
    open = null;
    member?.end();
    dc.report.unreadable(dc.inner, error instanceof Error ? error.message.slice(0, 160) : "tar: unreadable");
  };
  return {
    write(chunk) {
      if (failed) return;
      try {
        walker.write(chunk);
      } catch (error) {
        fail(error);
      }
    },
    end() {
      if (failed) return;
      try {
        walker.end();
      } catch (error) {
        fail(error);
      }
    },
  };
};
