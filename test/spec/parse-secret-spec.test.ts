import { describe, expect, test } from "vitest";
import { parseSecretSpec, parseSecretSpecs } from "../../src/spec/parse-secret-spec.js";
import { isSafebuildError } from "../../src/errors.js";

describe("parseSecretSpec: accepted specs", () => {
  test.each([
    // docker form
    ["id=npmrc,src=/home/u/.npmrc", { id: "npmrc", kind: "file", target: "/home/u/.npmrc" }],
    ["id=npmrc,source=rel/.npmrc", { id: "npmrc", kind: "file", target: "rel/.npmrc" }],
    ["type=file,id=a,src=f", { id: "a", kind: "file", target: "f" }],
    ["id=tok,env=GH_TOKEN", { id: "tok", kind: "env", target: "GH_TOKEN" }],
    ["type=env,id=tok,src=GH_TOKEN", { id: "tok", kind: "env", target: "GH_TOKEN" }],
    ["type=env,id=tok", { id: "tok", kind: "env", target: "tok", fallbackFile: "tok" }],
    ["type=file,id=tok", { id: "tok", kind: "env", target: "tok", fallbackFile: "tok" }],
    ["id=tok", { id: "tok", kind: "env", target: "tok", fallbackFile: "tok" }],
    ["ID=x,SRC=f", { id: "x", kind: "file", target: "f" }],
    ["Id=x,Env=V", { id: "x", kind: "env", target: "V" }],
    ['id=x,"src=a,b"', { id: "x", kind: "file", target: "a,b" }],
    ["id=x,src=a=b", { id: "x", kind: "file", target: "a=b" }],
    // short form
    ["npmrc=~/.npmrc", { id: "npmrc", kind: "file", target: "~/.npmrc" }],
    ["npmrc=./.npmrc", { id: "npmrc", kind: "file", target: "./.npmrc" }],
    ["npmrc=/abs/.npmrc", { id: "npmrc", kind: "file", target: "/abs/.npmrc" }],
    ["a=file:some:path", { id: "a", kind: "file", target: "some:path" }],
    ["a=env:TOKEN_1", { id: "a", kind: "env", target: "TOKEN_1" }],
    ["a=dotenv:.env.ci#NPM_TOKEN", { id: "a", kind: "dotenv", target: ".env.ci#NPM_TOKEN" }],
    ["a=dotenv:#NPM_TOKEN", { id: "a", kind: "dotenv", target: "#NPM_TOKEN" }],
    ["a=vault:secret/app#token", { id: "a", kind: "vault", target: "secret/app#token" }],
    ["a=vault:secret/app#token@3", { id: "a", kind: "vault", target: "secret/app#token@3" }],
    ["a=cmd:op read op://vault/item/field", { id: "a", kind: "cmd", target: "op read op://vault/item/field" }],
    ["a=cmd:aws x --query a=b,c=d", { id: "a", kind: "cmd", target: "aws x --query a=b,c=d" }],
    ["my.id_2-x=f", { id: "my.id_2-x", kind: "file", target: "f" }],
    ["a=b,c", { id: "a", kind: "file", target: "b,c" }],
    // a first field that is no docker key: the short form, whatever follows
    ["npmrc=a,typo=1", { id: "npmrc", kind: "file", target: "a,typo=1" }],
  ])("%s", (spec, expected) => {
    expect(parseSecretSpec(spec)).toEqual({ ...expected, spec });
  });
});

describe("parseSecretSpec: rejected specs name the problem, exit 2", () => {
  test.each([
    ["npmrc", /expected ID=REF/],
    ["=x", /id is empty/],
    ["a b=x", /may only hold/],
    ["a/b=x", /may only hold/],
    ["a=", /nothing after "a="/],
    ["src=f", /missing id= \("src" is a key of docker's form: write id=src,src=PATH, or name the secret otherwise\)/],
    ["env=cmd:sops -d secrets.enc.env", /missing id= \("env" is a key of docker's form/],
    ["id=,src=f", /id is empty/],
    ["type=ssh,id=a", /unsupported type/],
    ["id=a,src=f,env=V", /either src= or env=/],
    ["id=a,src=", /src= is empty/],
    ["a=env:", /nothing after "env:"/],
    ["a=env:1BAD", /not an environment variable name/],
    ["a=dotenv:.env", /needs #KEY/],
    ["a=vault:secret/app", /needs #FIELD/],
    ["a=vault:#f", /needs a PATH/],
    ["a=cmd:", /nothing after "cmd:"/],
    ["a=op://vault/item", /unknown source "op:"/],
    ["a=id:\n", /unknown source "id:"/],
    // two or more fields led by a docker key: the docker form, where an unknown key is an error (as buildx)
    ["id=npmrc,src=.npmrc,typo=1", /unknown key "typo" \(did you mean type\?\); the docker form knows type, id, src, source, env/],
    ["id=x,foo=bar", /unknown key "foo"/],
    ["ID=x,Scr=f", /unknown key "Scr" \(did you mean src\?\)/],
    ["type=file,id=a,src", /"src" is not key=value/],
    ["src=f,id=a,mode=0400", /unknown key "mode"/],
  ])("%s", (spec, message) => {
    let caught: unknown;
    try {
      parseSecretSpec(spec);
    } catch (error) {
      caught = error;
    }
    expect(isSafebuildError(caught)).toBe(true);
    if (!isSafebuildError(caught)) return;
    expect(caught.exitCode).toBe(2);
    expect(caught.message).toMatch(message);
    expect(caught.message).not.toContain("\n");
  });
});

test("the same id twice is an error naming the id", () => {
  expect(() => parseSecretSpecs(["a=f", "id=a,env=X"])).toThrow(/"a" is given twice/);
  expect(parseSecretSpecs(["a=f", "b=env:X"]).map((r) => r.id)).toEqual(["a", "b"]);
});
