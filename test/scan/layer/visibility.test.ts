import { describe, expect, test } from "vitest";
import { isDeleted } from "../../../src/scan/layer/visibility.js";
import type { LayerScan } from "../../../src/scan/layer/layer-scan.js";
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
