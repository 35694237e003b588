import { describe, expect, test } from "vitest";
import { parseInstructions } from "../../src/buildkit/dockerfile-instructions.js";
import { copySourceMatcher } from "../../src/precheck/copy-glob.js";
import { contextCopies } from "../../src/precheck/copy-sources.js";

const takes = (source: string, path: string): boolean => copySourceMatcher(source)(path);

describe("COPY sources as BuildKit resolves them (fsutil copy.go ResolveWildcards)", () => {
  // moby/buildkit frontend/dockerfile/dockerfile_copy_test.go testCopyWildcards: context foo.go,
  // bar.go, sub/dir1/dir2/foo.
  test.each([
    ["*.go", "foo.go", true],
    ["*.go", "bar.go", true],
    ["*.go", "sub/dir1/dir2/foo", false],
    ["f*.go", "foo.go", true],
    ["f*.go", "bar.go", false],
    ["sub/*", "sub/dir1/dir2/foo", true], // sub/dir1 matches and is taken whole
    ["sub/*/dir2/foo", "sub/dir1/dir2/foo", true],
    [".", "sub/dir1/dir2/foo", true],
    ["sub/dir1/", "sub/dir1/dir2/foo", true],
    ["sub/dir1/.", "sub/dir1/dir2/foo", true],
    ["sub/dir1", "sub/dir1/dir2/foo", true],
    ["sub/dir1", "sub/dir10/x", false],
  ])("testCopyWildcards: %s takes %s: %s", (source, path, expected) => {
    expect(takes(source, path)).toBe(expected);
  });

  // tonistiigi/fsutil copy/copy_test.go TestCopyWildcards: foo.txt, foo.go, bar.txt.
  test("TestCopyWildcards: foo* takes foo.txt and foo.go, not bar.txt", () => {
    expect(["foo.txt", "foo.go", "bar.txt"].filter((p) => takes("foo*", p))).toEqual(["foo.txt", "foo.go"]);
  });

  test("** is not special in a COPY source (unlike .dockerignore and --parents): it is * twice, one element", () => {
    expect(takes("**/.env", "sub/.env")).toBe(true);
    expect(takes("**/.env", ".env")).toBe(false);
    expect(takes("**/.env", "a/b/.env")).toBe(false);
    expect(takes("**", "anything/below")).toBe(true);
  });

  test("the elements before the first wildcard are literal names: a backslash there is part of the name", () => {
    // splitWildcards keeps `a\*b` (its `*` escaped) as a path, never matched: the file is named a\*b
    expect(takes("a\\*b", "a\\*b")).toBe(true);
    expect(takes("a\\*b", "a*b")).toBe(false);
    expect(takes("a\\*b/*.env", "a\\*b/x.env")).toBe(true);
    // after the first wildcard element, filepath.Match reads the backslash as an escape
    expect(takes("d*/a\\*b", "d/a*b")).toBe(true);
    expect(takes("d*/a\\*b", "d/a\\*b")).toBe(false);
  });

  test("`..` and `/` are cleaned against the context root (NormalizePath, filepath.Clean)", () => {
    expect(takes("/app/../conf/*.yml", "conf/a.yml")).toBe(true);
    expect(takes("../../conf", "conf/x")).toBe(true);
    expect(takes("./a//b/", "a/b/c")).toBe(true);
  });

  // Go path/filepath match_test.go matchTests, each behind a wildcard element so BuildKit matches it
  // (d*/PATTERN against d/NAME); ErrBadPattern is `false`: BuildKit drops Match's error and takes nothing.
  test.each([
    ["abc", "abc", true],
    ["*", "abc", true],
    ["*c", "abc", true],
    ["a*", "a", true],
    ["a*", "abc", true],
    // Match says false; BuildKit's walk matches the directory ab first and takes it whole
    ["a*", "ab/c", true],
    ["a*/b", "abc/b", true],
    ["a*/b", "a/c/b", false],
    ["a*b*c*d*e*/f", "axbxcxdxe/f", true],
    ["a*b?c*x", "abxbbxdbxebxczzx", true],
    ["a*b?c*x", "abxbbxdbxebxczzy", false],
    ["ab[c]", "abc", true],
    ["ab[b-d]", "abc", true],
    ["ab[e-g]", "abc", false],
    ["ab[^c]", "abc", false],
    ["ab[^b-d]", "abc", false],
    ["ab[^e-g]", "abc", true],
    ["a\\*b", "a*b", true],
    ["a\\*b", "ab", false],
    ["a?b", "a☺b", true],
    ["a[^a]b", "a☺b", true],
    ["a???b", "a☺b", false],
    ["a[^a][^a][^a]b", "a☺b", false],
    ["[a-ζ]*", "α", true],
    ["*[a-ζ]", "A", false],
    ["a?b", "a/b", false],
    ["a*b", "a/b", false],
    ["[\\]a]", "]", true],
    ["[\\-]", "-", true],
    ["[x\\-]", "x", true],
    ["[x\\-]", "-", true],
    ["[x\\-]", "z", false],
    ["[\\-x]", "x", true],
    ["[\\-x]", "-", true],
    ["[\\-x]", "a", false],
    ["[]a]", "]", false],
    ["[-]", "-", false],
    ["[x-]", "x", false],
    ["[x-]", "-", false],
    ["[-x]", "x", false],
    ["\\", "a", false],
    ["[a-b-c]", "a", false],
    ["[", "a", false],
    ["[^", "a", false],
    ["[^bc", "a", false],
    ["a[", "a", false],
    ["a[", "ab", false],
    ["*x", "xxx", true],
  ])("filepath.Match(%j, %j) = %s", (pattern, name, expected) => {
    expect(takes(`d*/${pattern}`, `d/${name}`)).toBe(expected);
  });

  test("hostile patterns: many stars against a long name answer without backtracking (a regex of them never returns)", () => {
    const name = "a".repeat(250);
    expect(takes(`${"*a".repeat(40)}*b`, name)).toBe(false);
    expect(takes(`${"*a".repeat(40)}*`, name)).toBe(true);
    expect(takes(`${"[a-z]*".repeat(30)}?`, name)).toBe(true);
  });

  test("[!…] is not a negation in Go: ! is one more character of the class", () => {
    expect(takes("[!a]*.env", "!x.env")).toBe(true);
    expect(takes("[!a]*.env", "a.env")).toBe(true);
    expect(takes("[!a]*.env", "b.env")).toBe(false);
  });

  test("through the Dockerfile: word expansion first (quotes, escapes, ARGs), then the glob", () => {
    const df = 'FROM a\nARG EXT=env\nCOPY [ab]*.${EXT} /one/\nCOPY "c*" /two/\nCOPY \\[x\\] /three/\nCOPY [!a]*.cfg x[.cfg /four/\n';
    const copies = contextCopies(parseInstructions(df), "\\", new Map(), undefined);
    const takers = (p: string) => copies.filter((c) => c.takes(p)).map((c) => c.line);
    expect(takers("a1.env")).toEqual([3]);
    expect(takers("b.env")).toEqual([3]);
    expect(takers("c.env")).toEqual([4]);
    expect(takers("ab.yml")).toEqual([]);
    // the shell removes the backslashes: `[x]` is a class again, taking x, not a file named [x]
    expect(takers("x")).toEqual([5]);
    expect(takers("[x]")).toEqual([]);
    // [!a] is the class {!, a}; x[ is malformed for Go and takes nothing (not a file named x[)
    expect(takers("a.cfg")).toEqual([6]);
    expect(takers("!1.cfg")).toEqual([6]);
    expect(takers("b.cfg")).toEqual([]);
    expect(takers("x[.cfg")).toEqual([]);
  });
});
