import { describe, expect, test } from "vitest";
import { withoutContainers } from "../../../src/scan/findings/assemble.js";
import type { Finding } from "../../../src/scan/findings/finding.js";

const layer = (index: number) => ({ index, digest: `sha256:${String(index).repeat(64)}`, createdBy: null });
const known = (path: string, extra: Partial<Finding> = {}): Finding => ({ secret: "tok", rule: null, where: "file", layer: layer(1), path, encoding: "raw", deleted: false, ...extra });
const rule = (path: string, preview: string): Finding => ({ secret: null, rule: "jwt", where: "file", layer: layer(1), path, encoding: "raw", deleted: false, preview, severity: "medium" });
const paths = (fs: Finding[]) => fs.map((f) => `${f.secret ?? f.rule}:${f.path}`);

describe("withoutContainers: one leak inside an archive is one finding, at the member", () => {
  test("the archive that holds the member's bytes is dropped, at every level", () => {
    const got = withoutContainers([known("lib/libx.a"), known("lib/libx.a!/x.o"), known("srv.tar.gz"), known("srv.tar.gz!/inner.tgz"), known("srv.tar.gz!/inner.tgz!/conf/db.conf")]);
    expect(paths(got)).toEqual(["tok:lib/libx.a!/x.o", "tok:srv.tar.gz!/inner.tgz!/conf/db.conf"]);
  });

  test("kept: another value, another form, another layer, a sibling of the same prefix, metadata", () => {
    const findings = [
      known("a.tar", { secret: "other" }),
      known("a.tar!/f"),
      known("b.tar", { encoding: "base64" }),
      known("b.tar!/f"),
      known("c.tar", { layer: layer(2) }),
      known("c.tar!/f"),
      known("d.tar"),
      known("d.tar.bak!/f"),
      known("Env[0]", { where: "env" }),
    ];
    expect(withoutContainers(findings)).toHaveLength(findings.length);
  });

  test("rules: the same token (by preview) is dropped outside, a different one is kept", () => {
    const got = withoutContainers([rule("cache.tgz", "ey…5c"), rule("cache.tgz!/pkg/README.md", "ey…5c"), rule("other.tgz", "ey…Ab"), rule("other.tgz!/x", "ey…Zz")]);
    expect(paths(got)).toEqual(["jwt:cache.tgz!/pkg/README.md", "jwt:other.tgz", "jwt:other.tgz!/x"]);
  });

  test("rules: a match in a member whose path the rule allows silences its archive's match of the same bytes, at every level, and nothing else", () => {
    const quiet = [
      rule("app/node_modules.tar!/node_modules/ssh2/test/fixtures/id_rsa", "ey…5c"),
      rule("blobs/sha256/ab!/usr/lib/python3/dist-packages/Crypto/SelfTest/k.py", "ey…7Q"),
      rule("pkgs/x.conda!/pkg-x.tar.zst!/lib/python3.11/site-packages/k.py", "ey…9z"),
    ];
    const got = withoutContainers(
      [
        rule("app/node_modules.tar", "ey…5c"),
        // another token in the same archive: the author's, kept
        rule("app/node_modules.tar", "ey…Ab"),
        rule("blobs/sha256/ab", "ey…7Q"),
        rule("pkgs/x.conda!/pkg-x.tar.zst", "ey…9z"),
        rule("pkgs/x.conda", "ey…9z"),
        // the same preview in another file, and a known value in the archive: kept
        rule("app/other.tar", "ey…5c"),
        known("app/node_modules.tar"),
      ],
      quiet,
    );
    expect(paths(got)).toEqual(["jwt:app/node_modules.tar", "jwt:app/other.tar", "tok:app/node_modules.tar"]);
    expect(got[0]?.preview).toBe("ey…Ab");
  });
});
