import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { PathIndexBuilder, type PathKind } from "../../../src/scan/layer/path-index.js";

type Record = readonly [path: string, kind: PathKind, isDir: boolean];

describe("PathIndex answers as a Map of every record would", () => {
  test("the last entry at a path wins; kinds are apart; absent paths are absent", () => {
    const b = new PathIndexBuilder();
    b.add("app", "entry", 1, true);
    b.add("app/x", "entry", 2, false);
    b.add("app/x", "entry", 3, true);
    b.add("app/y", "whiteout", 4, false);
    b.add("", "opaque", 5, true);
    const index = b.finish();
    expect([index.latest("app/x"), index.isDirectory("app/x")]).toEqual([3, true]);
    expect([index.latest("app"), index.isDirectory("app")]).toEqual([1, true]);
    expect([index.latest("app/y"), index.isDirectory("app/y"), index.hasWhiteout("app/y")]).toEqual([0, undefined, true]);
    expect([index.hasWhiteout("app/x"), index.isOpaque("app"), index.isOpaque("")]).toEqual([false, false, true]);
    expect([index.latest(""), index.latest("ap"), index.latest("app/x/")]).toEqual([0, 0, 0]);
  });

  test("property: against a Map model, across the growth of the arrays and the radix passes", () => {
    const name = fc.stringMatching(/^[a-c/é.]{0,6}$/);
    const record = fc.tuple(name, fc.constantFrom<PathKind>("entry", "whiteout", "opaque"), fc.boolean());
    fc.assert(
      fc.property(fc.array(record, { maxLength: 3000 }), fc.array(name, { maxLength: 20 }), (records: Record[], probes) => {
        const b = new PathIndexBuilder();
        const model = new Map<string, { entry: number; isDir: boolean }>();
        records.forEach(([path, kind, isDir], i) => {
          b.add(path, kind, i + 1, isDir);
          model.set(`${kind}\0${path}`, { entry: i + 1, isDir });
        });
        const index = b.finish();
        for (const path of [...probes, ...records.map((r) => r[0])]) {
          const entry = model.get(`entry\0${path}`);
          expect(index.latest(path)).toBe(entry?.entry ?? 0);
          expect(index.isDirectory(path)).toBe(entry?.isDir);
          expect(index.hasWhiteout(path)).toBe(model.has(`whiteout\0${path}`));
          expect(index.isOpaque(path)).toBe(model.has(`opaque\0${path}`));
        }
      }),
      { numRuns: 60 },
    );
  });

  test("a hundred thousand distinct paths: every one found, with its own entry", () => {
    const b = new PathIndexBuilder();
    for (let i = 1; i <= 100_000; i++) b.add(`d${i % 97}/f${i}`, "entry", i, i % 3 === 0);
    const index = b.finish();
    expect(index.size).toBe(100_000);
    const wrong: number[] = [];
    for (let i = 1; i <= 100_000; i++) {
      if (index.latest(`d${i % 97}/f${i}`) !== i || index.isDirectory(`d${i % 97}/f${i}`) !== (i % 3 === 0)) wrong.push(i);
    }
    expect(wrong).toEqual([]);
    expect(index.latest("d1/f2")).toBe(0);
  });
});
