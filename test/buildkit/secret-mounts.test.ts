import { describe, expect, test } from "vitest";
import { secretMountsOf } from "../../src/buildkit/secret-mounts.js";
import { parseInstructions } from "../../src/buildkit/dockerfile-instructions.js";
import { checkSecretMounts } from "../../src/buildkit/mount-check.js";
import { csvFields, splitWords } from "../../src/buildkit/dockerfile-words.js";

const ids = (text: string, target?: string): string[] =>
  secretMountsOf(text, target).filter((m) => m.reachable).map((m) => `${m.id}${m.required ? "!" : ""}@${m.line}`);

describe("secretMountsOf", () => {
  test.each([
    ["id only", "FROM a\nRUN --mount=type=secret,id=npmrc cat /run/secrets/npmrc\n", ["npmrc@2"]],
    ["target basename", "FROM a\nRUN --mount=type=secret,target=/root/.npmrc true\n", [".npmrc@2"]],
    ["dst and destination", "FROM a\nRUN --mount=type=secret,dst=/x/a --mount=type=secret,destination=/y/b true\n", ["a@2", "b@2"]],
    ["id wins over target", "FROM a\nRUN --mount=type=secret,id=tok,target=/root/.npmrc true\n", ["tok@2"]],
    ["required forms", "FROM a\nRUN --mount=type=secret,id=a,required --mount=type=secret,id=b,required=true --mount=type=secret,id=c,required=false true\n", ["a!@2", "b!@2", "c@2"]],
    ["case-insensitive keys and type", "FROM a\nrun --mount=TYPE=Secret,ID=x true\n", ["x@2"]],
    ["not a secret mount", "FROM a\nRUN --mount=type=cache,target=/root/.cache --mount=id=foo true\n", []],
    ["quoted flag", 'FROM a\nRUN "--mount=type=secret,id=q" true\n', ["q@2"]],
    ["csv-quoted field", 'FROM a\nRUN --mount=type=secret,"id=q2",target=/t true\n', ["q2@2"]],
    ["other flags first", "FROM a\nRUN --network=none --mount=type=secret,id=n true\n", ["n@2"]],
    ["a --mount in the command is not a flag", "FROM a\nRUN echo --mount=type=secret,id=no\n", []],
    ["continuation", "FROM a\nRUN --mount=type=secret,id=c1 \\\n  --mount=type=secret,id=c2 \\\n  true\n", ["c1@2", "c2@2"]],
    ["comment inside continuation", "FROM a\nRUN echo \\\n# --mount=type=secret,id=no\n  --mount=type=secret,id=late\n", []],
    ["comment line", "FROM a\n# RUN --mount=type=secret,id=no true\nRUN true\n", []],
    ["escape directive", "# escape=`\nFROM a\nRUN --mount=type=secret,id=e1 `\n  echo \\\nRUN --mount=type=secret,id=e2 true\n", ["e1@3", "e2@5"]],
    [
      "heredoc body skipped",
      "FROM a\nRUN --mount=type=secret,id=h <<EOF\nRUN --mount=type=secret,id=no true\nEOF\nRUN --mount=type=secret,id=after true\n",
      ["h@2", "after@5"],
    ],
    ["heredoc with dash and quotes", 'FROM a\nRUN <<-"END"\n\tRUN --mount=type=secret,id=no x\n\tEND\nRUN --mount=type=secret,id=ok true\n', ["ok@5"]],
    ["here-string is not a heredoc", "FROM a\nRUN cat <<<x\nRUN --mount=type=secret,id=ok true\n", ["ok@3"]],
    ["CRLF", "FROM a\r\nRUN --mount=type=secret,id=crlf true\r\n", ["crlf@2"]],
    ["mount before any FROM ignored", "RUN --mount=type=secret,id=x true\n", []],
  ])("%s", (_name, text, expected) => {
    expect(ids(text)).toEqual(expected);
  });

  test.each([
    ["last stage depends on builder by FROM", "FROM a AS builder\nRUN --mount=type=secret,id=b true\nFROM builder\n", undefined, ["b@2"]],
    ["unused stage skipped", "FROM a AS unused\nRUN --mount=type=secret,id=u,required true\nFROM a\nRUN true\n", undefined, []],
    ["COPY --from pulls the stage in", "FROM a AS dep\nRUN --mount=type=secret,id=d true\nFROM a\nCOPY --from=dep /x /x\n", undefined, ["d@2"]],
    ["COPY --from by index", "FROM a\nRUN --mount=type=secret,id=i true\nFROM a\nCOPY --from=0 /x /x\n", undefined, ["i@2"]],
    ["mount from= pulls the stage in", "FROM a AS src\nRUN --mount=type=secret,id=s true\nFROM a\nRUN --mount=type=bind,from=src,target=/s true\n", undefined, ["s@2"]],
    ["--target chooses the stage", "FROM a AS one\nRUN --mount=type=secret,id=one true\nFROM a AS two\nRUN --mount=type=secret,id=two true\n", "one", ["one@2"]],
    ["unknown --target checks every stage", "FROM a AS one\nRUN --mount=type=secret,id=one true\nFROM a\nRUN --mount=type=secret,id=two true\n", "nope", ["one@2", "two@4"]],
  ])("stages: %s", (_name, text, target, expected) => {
    expect(ids(text, target)).toEqual(expected);
  });

  test("dynamic id is flagged", () => {
    expect(secretMountsOf("FROM a\nRUN --mount=type=secret,id=$ID true\n")[0]?.dynamic).toBe(true);
  });
});

describe("parseInstructions", () => {
  test("joins continuations and keeps the first line number", () => {
    expect(parseInstructions("FROM a\n\nRUN a \\\n\n  b\nCMD x")).toEqual([
      { keyword: "FROM", rest: "a", line: 1 },
      { keyword: "RUN", rest: "a   b", line: 3 },
      { keyword: "CMD", rest: "x", line: 6 },
    ]);
  });
});

describe("lexers", () => {
  test.each([
    ["a b", ["a", "b"]],
    ['"a b" c', ["a b", "c"]],
    ["'a\\ b'", ["a\\ b"]],
    ["a\\ b", ["a b"]],
  ])("splitWords(%j)", (text, expected) => {
    expect(splitWords(text).map((w) => w.word)).toEqual(expected);
  });
  test.each([
    ["a,b", ["a", "b"]],
    ['"a,b",c', ["a,b", "c"]],
    ['"a""b"', ['a"b']],
    ["", [""]],
  ])("csvFields(%j)", (text, expected) => {
    expect(csvFields(text)).toEqual(expected);
  });
});

describe("checkSecretMounts", () => {
  const df = "FROM a\nRUN --mount=type=secret,id=need,required true\nRUN --mount=type=secret,id=opt true\n";
  test("required mount without a secret is an input error naming the id", () => {
    expect(() => checkSecretMounts(secretMountsOf(df), ["opt"], "Dockerfile")).toThrow(/secret "need" is required .*Dockerfile:2/);
    try {
      checkSecretMounts(secretMountsOf(df), [], "Dockerfile");
    } catch (error) {
      expect((error as { exitCode: number }).exitCode).toBe(2);
    }
  });
  test.each([
    [["need", "opt"], []],
    [["need"], ['Dockerfile:3 mounts secret "opt"']],
    [["need", "opt", "extra"], ['secret "extra" is not mounted']],
  ])("secrets %j warn %j", (given, expected) => {
    const warnings = checkSecretMounts(secretMountsOf(df), given, "Dockerfile");
    expect(warnings).toHaveLength(expected.length);
    expected.forEach((fragment, i) => expect(warnings[i]).toContain(fragment));
  });
  test.each([
    // a swapped pair, a missing letter, a different case: the typo is named with the mount's line
    [["need", "otp"], /--secret otp: no RUN mounts "otp"; did you mean "opt" \(mounted at Dockerfile:3\)\?/],
    [["ned", "opt"], /--secret ned: no RUN mounts "ned"; did you mean "need" \(mounted at Dockerfile:2\)\?/],
    [["NEED", "opt"], /did you mean "need"/],
  ])("a mistyped id %j is an input error with did-you-mean", (given, message) => {
    let caught: unknown;
    try {
      checkSecretMounts(secretMountsOf(df), given, "Dockerfile");
    } catch (error) {
      caught = error;
    }
    expect((caught as { exitCode?: number } | undefined)?.exitCode).toBe(2);
    expect(String((caught as Error | undefined)?.message)).toMatch(message);
  });
  test("an unused id far from every mount, or near one already given, only warns", () => {
    expect(checkSecretMounts(secretMountsOf(df), ["need", "opt", "npmrc"], "Dockerfile")).toEqual([expect.stringContaining('secret "npmrc" is not mounted')]);
    // "opt2" is near "opt", but opt is given: two real secrets, not a typo
    expect(checkSecretMounts(secretMountsOf(df), ["need", "opt", "opt2"], "Dockerfile")).toHaveLength(1);
  });
  test("a dynamic mount silences unused-secret warnings", () => {
    expect(checkSecretMounts(secretMountsOf("FROM a\nRUN --mount=type=secret,id=${X} true\n"), ["x"], "D")).toEqual([]);
  });
});
