import { describe, expect, test } from "vitest";
import { nextPage, referrersTag } from "../../src/registry/referrers.js";

describe("the referrers tag schema's tag", () => {
  test.each([
    [`sha256:${"a".repeat(64)}`, `sha256-${"a".repeat(64)}`],
    // the spec cuts the algorithm to 32 characters and the encoded part to 64
    [`sha512:${"b".repeat(128)}`, `sha512-${"b".repeat(64)}`],
    [`${"x".repeat(40)}:${"c".repeat(64)}`, `${"x".repeat(32)}-${"c".repeat(64)}`],
  ])("%s → %s", (digest, tag) => {
    expect(referrersTag(digest)).toBe(tag);
  });
});

describe("the referrers API's next page (Link header)", () => {
  const listing = `referrers/sha256:${"a".repeat(64)}`;
  const prefix = "/v2/team/app/";
  test.each([
    ["no Link", undefined, undefined],
    ["a Link that is not next", `</v2/team/app/${listing}?last=x>; rel="prev"`, undefined],
    ["a relative next", `</v2/team/app/${listing}?n=10&last=abc>; rel="next"`, `${listing}?n=10&last=abc`],
    ["an absolute next on the same host, rel unquoted", `<http://reg.example:5000/v2/team/app/${listing}?last=1>; rel=next`, `${listing}?last=1`],
    ["next after another relation in the same header", `</v2/team/app/${listing}?last=0>; rel="prev", </v2/team/app/${listing}?last=2>; rel="next"`, `${listing}?last=2`],
    ["a next on another host", `<https://elsewhere.example/v2/team/app/${listing}?last=1>; rel="next"`, null],
    ["a next into another repository", `</v2/other/app/${listing}?last=1>; rel="next"`, null],
    ["a next to another listing", `</v2/team/app/referrers/sha256:${"b".repeat(64)}>; rel="next"`, null],
  ])("%s", (_name, link, expected) => {
    expect(nextPage(link, "reg.example:5000", prefix, listing)).toBe(expected);
  });
});
