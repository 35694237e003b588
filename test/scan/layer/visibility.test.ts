import { describe, expect, test } from "vitest";
import { isDeleted, visibleLinks } from "../../../src/scan/layer/visibility.js";
import type { HardLink, LayerHit, LayerScan } from "../../../src/scan/layer/layer-scan.js";
import { PathIndexBuilder } from "../../../src/scan/layer/path-index.js";

function layer(entries: Record<string, boolean>, whiteouts: string[] = [], opaque: string[] = []): LayerScan {
  const paths = new PathIndexBuilder();
  Object.entries(entries).forEach(([path, isDir], i) => paths.add(path, "entry", i + 1, isDir));
  for (const path of whiteouts) paths.add(path, "whiteout", 1, false);
  for (const path of opaque) paths.add(path, "opaque", 1, true);
  return {
    hits: [],
    paths: paths.finish(),
    files: 0,
    bytes: 0,
    error: null,
    digest: "sha256:" + "0".repeat(64),
    diffId: "sha256:" + "0".repeat(64),
    notSearched: [],
    unreadable: [],
    hardLinks: [],
  };
}

const base = layer({ app: true, "app/x": false, "app/dir": true, "app/dir/y": false, top: false });

describe("isDeleted", () => {
  test.each([
    ["no later layer", [], "app/x", false],
    ["whiteout of the file", [layer({ "app/.wh.x": false }, ["app/x"])], "app/x", true],
    ["whiteout of a parent", [layer({}, ["app/dir"])], "app/dir/y", true],
    ["opaque parent", [layer({ "app/dir/.wh..wh..opq": false }, [], ["app/dir"])], "app/dir/y", true],
    ["opaque sibling dir leaves it", [layer({}, [], ["other"])], "app/dir/y", false],
    ["replaced by a file at the same path", [layer({ "app/x": false })], "app/x", true],
    ["directory re-listed in a later layer", [layer({ "app/dir": true })], "app/dir", false],
    ["parent replaced by a file", [layer({ app: false })], "app/x", true],
    ["parent re-listed as a directory", [layer({ app: true, "app/z": false })], "app/x", false],
    ["whiteout of a longer name", [layer({}, ["app/xx"])], "app/x", false],
  ])("%s", (_name, later, path, expected) => {
    expect(isDeleted([base, ...later], 0, path)).toBe(expected);
  });

  test("a layer's own whiteouts do not delete its own files", () => {
    expect(isDeleted([layer({ "a/f": false }, ["a/f"])], 0, "a/f")).toBe(false);
  });
});

describe("visibleLinks: hard links that keep a file's bytes visible", () => {
  /** one layer: entries in order (a link names its target), then the later layers' whiteouts */
  function linked(entries: readonly (readonly [string, string?])[]): LayerScan {
    const paths = new PathIndexBuilder();
    const hardLinks: HardLink[] = [];
    entries.forEach(([path, target], i) => {
      paths.add(path, "entry", i + 1, false);
      if (target !== undefined) hardLinks.push({ path, target, entry: i + 1 });
    });
    return { ...layer({}), paths: paths.finish(), hardLinks };
  }
  const hit = (path: string, entry: number): LayerHit => ({ tag: 0, where: "file", path, inner: "", container: null, entry });

  test.each([
    ["a link, then a link to the link", [["a"], ["b", "a"], ["c", "b"]], 1, [], ["b", "c"]],
    ["a link written before the file is another file", [["b", "a"], ["a"]], 2, [], []],
    ["the target written again before the link: the link is the new file", [["a"], ["a"], ["b", "a"]], 1, [], []],
    ["a link replaced later in its layer", [["a"], ["b", "a"], ["b"]], 1, [], []],
    ["a link deleted by a later layer", [["a"], ["b", "a"]], 1, ["b"], []],
    ["a link under a deleted directory", [["a"], ["d/b", "a"]], 1, ["d"], []],
    // the name itself linked back to the same file: it shows those bytes again
    ["a cycle of links ends", [["a"], ["b", "a"], ["a", "b"]], 1, [], ["b", "a"]],
  ] as const)("%s", (_name, entries, entry, whiteouts, expected) => {
    const upper = layer({}, [...whiteouts]);
    expect(visibleLinks([linked(entries), upper], 0, hit("a", entry))).toEqual(expected);
  });
});
