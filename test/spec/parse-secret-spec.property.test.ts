import fc from "fast-check";
import { expect, test } from "vitest";
import { isSafebuildError } from "../../src/errors.js";
import { parseSecretSpec } from "../../src/spec/parse-secret-spec.js";

const ID = /^[A-Za-z0-9._-]+$/;

test("any string either parses to a valid ref or fails with a one-line usage error", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: fc.constantFrom("=", ",", '"', "a", "id", "src", "env", "type", ":", "#", "~", "/", " ", "\n") })), (spec) => {
      try {
        const ref = parseSecretSpec(spec);
        expect(ref.id).toMatch(ID);
        expect(["env", "file", "dotenv", "vault", "cmd"]).toContain(ref.kind);
        expect(ref.target.length + (ref.kind === "dotenv" ? 1 : 0)).toBeGreaterThan(0);
      } catch (error) {
        expect(isSafebuildError(error)).toBe(true);
        if (!isSafebuildError(error)) return;
        expect(error.exitCode).toBe(2);
        expect(error.message).not.toMatch(/[\r\n]/);
        expect(error.message.length).toBeLessThan(300);
      }
    }),
    { numRuns: 3000 },
  );
});

test("a docker-form spec built from parts round-trips its id and source", () => {
  const idArb = fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/);
  const pathArb = fc.stringMatching(/^[A-Za-z0-9._/~-]{1,30}$/);
  fc.assert(
    fc.property(idArb, pathArb, fc.constantFrom("src", "source", "SRC", "Source"), fc.boolean(), (id, src, key, typed) => {
      const spec = `${typed ? "type=file," : ""}id=${id},${key}=${src}`;
      expect(parseSecretSpec(spec)).toMatchObject({ id, kind: "file", target: src });
    }),
  );
});
