import { expect, test } from "vitest";
import { closest, editDistance } from "../src/did-you-mean.js";

test.each([
  ["scna", "scan", 1],
  ["biuld", "build", 1],
  ["npmcr", "npmrc", 1],
  ["chek", "check", 1],
  ["abc", "abc", 0],
  ["", "ab", 2],
])("editDistance(%j, %j) = %i", (a, b, d) => {
  expect(editDistance(a, b)).toBe(d);
  expect(editDistance(b, a)).toBe(d);
});

test.each([
  ["scna", ["build", "scan", "check"], "scan"],
  ["biuld", ["build", "scan", "check"], "build"],
  ["BUILD", ["build"], "build"],
  // too far, or too short to guess from
  ["app", ["build", "scan", "check"], undefined],
  ["ab", ["cd"], undefined],
  ["x", ["y"], undefined],
  ["scan", ["scan"], undefined],
])("closest(%j) = %j", (word, candidates, expected) => {
  expect(closest(word, candidates)).toBe(expected);
});
