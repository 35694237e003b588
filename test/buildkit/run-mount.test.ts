import { describe, expect, test } from "vitest";
import { parseRunMount, withSuggestion } from "../../src/buildkit/run-mount.js";
import { readRunMounts } from "../../src/buildkit/secret-mounts.js";
import { expandWord } from "../../src/buildkit/word-expansion.js";

/**
 * `RUN --mount` as BuildKit reads it. References are moby/buildkit at 73ed6825 (2026-08-21):
 *   RM  = frontend/dockerfile/instructions/commands_runmount.go `parseMount` (each rejection, message verbatim)
 *   CS  = frontend/dockerfile/dockerfile2llb/convert_secrets.go `dispatchSecret` (the id and target)
 *   MT  = frontend/dockerfile/dockerfile_mount_test.go (test named per case)
 *   ST  = frontend/dockerfile/dockerfile_secrets_test.go, OT = dockerfile_outline_test.go
 */
const literal = (word: string): string => word;
const errorOf = (value: string): string | undefined => parseRunMount(value, literal).error;

describe("rejected --mount values, with BuildKit's message", () => {
  test.each([
    // MT testMountInvalid: a mistyped key, and BuildKit's suggestion.
    ["typ=tmpfs", "unexpected key 'typ' in 'typ=tmpfs' (did you mean type?)"],
    // MT testMountInvalid: an unknown type, and the suggestion.
    ["type=tmp", 'unsupported mount type "tmp" (did you mean tmpfs?)'],
    // RM: unknown key far from every known one: no suggestion.
    ["type=secret,id=a,colour=red", "unexpected key 'colour' in 'colour=red'"],
    // RM: a key without a value other than the flag-like ones.
    ["type=secret,id=a,foo", "invalid field 'foo' must be a key=value pair"],
    // RM: `required` belongs to secret and ssh mounts, judged against the type given before it.
    ["required=true,type=secret,id=a", "unexpected key 'required' for mount type 'bind'"],
    ["required,type=secret,id=a", "unexpected key 'required' for mount type 'bind'"],
    ["type=cache,target=/c,required", "unexpected key 'required' for mount type 'cache'"],
    // RM: strconv.ParseBool.
    ["type=secret,id=a,required=yes", "invalid value for required: yes"],
    ["type=secret,id=a,ro=maybe", "invalid value for ro: maybe"],
    ["type=secret,id=a,readwrite=2", "invalid value for readwrite: 2"],
    // RM: mode is octal (ParseUint base 8), uid/gid decimal, all 32-bit.
    ["type=secret,id=a,mode=0644x", "invalid value 0644x for mode"],
    ["type=secret,id=a,mode=0800", "invalid value 0800 for mode"],
    ["type=secret,id=a,mode=40000000000", "invalid value 40000000000 for mode"],
    ["type=secret,id=a,mode=0o644", "invalid value 0o644 for mode"],
    ["type=secret,id=a,uid=root", "invalid value root for uid"],
    ["type=secret,id=a,uid=-1", "invalid value -1 for uid"],
    ["type=secret,id=a,gid=4294967296", "invalid value 4294967296 for gid"],
    // RM: keys of other mount types.
    ["type=secret,id=a,size=10m", "unexpected key 'size' for mount type 'secret'"],
    ["type=secret,id=a,sharing=locked", "secret mount should not define sharing"],
    ["type=secret,id=a,from=builder", "secret mount should not have a from"],
    ["type=secret,id=a,sharing=lockd", 'unsupported sharing value "lockd" (did you mean locked?)'],
    ["type=bind,target=/x,mode=0600", 'mode not allowed for "bind" type mounts'],
    ["type=tmpfs,target=/x,gid=1,uid=2", 'uid not allowed for "tmpfs" type mounts'],
    ["type=bind,target=/x,sharing=shared", "invalid cache sharing set for bind mount"],
    // RM: the secret's identity.
    ["type=secret", "invalid secret mount. one of source, target required"],
    ["type=secret,required=true,env=TOKEN", "invalid secret mount. one of source, target required"],
    ["type=secret,id=a,source=b", "both source and id can't be set"],
    ["type=secret,src=b,id=a", "both source and id can't be set"],
    // MT testMountFromError: from= is never expanded.
    ["from=$ttt,type=cache,target=/tmp", "'from' doesn't support variable expansion, define alias stage instead"],
  ])("%s", (value, message) => {
    expect(errorOf(value)).toBe(message);
  });

  test.each([
    ["type=secret,id=a,required", "bare required after the type (ST testSecretRequiredWithoutValue)"],
    ["type=secret,required=false,mode=741,uid=100,gid=102,target=/mysecret", "ST testSecretFileParams"],
    ["type=secret,id=mysecret,env=SECRET_ENV", "ST testSecretAsEnviron"],
    ["type=secret,id=mysecret,target=/run/secrets/secret,env=SECRET_ENV", "ST testSecretAsEnvironWithFileMount"],
    ["TYPE=Secret,ID=x,Required=True,RO", "keys and type case-insensitive, ParseBool's True"],
    ["type=secret,id=a,mode=37777777777", "mode at 32 bits"],
    ["type=tmpfs,target=/t,size=64m", "size on tmpfs (MT testMountTmpfsSize)"],
    ["type=cache,target=/c,sharing=private,mode=0700,uid=1", "file info on cache"],
    ["from=stage$,type=bind,target=/x", "a trailing $ in from= is allowed (RM)"],
  ])("accepted: %s (%s)", (value) => {
    expect(errorOf(value)).toBeUndefined();
  });

  test("BuildKit's suggest: fewer than 3 edits, none for an exact match", () => {
    expect(withSuggestion("m", "sorce", ["source", "src"])).toBe("m (did you mean source?)");
    expect(withSuggestion("m", "xyzzy", ["source"])).toBe("m");
    expect(withSuggestion("m", "src", ["source", "src"])).toBe("m");
  });
});

const secrets = (text: string, buildArgs: Record<string, string> = {}, target?: string) =>
  readRunMounts(text, { target, buildArgs: new Map(Object.entries(buildArgs)) }).mounts.filter((m) => m.reachable).map((m) => ({ id: m.id, target: m.target, env: m.env, required: m.required, line: m.line }));

describe("the secret id and target, as dispatchSecret derives them (CS)", () => {
  test.each([
    ["id only", "type=secret,id=tok", { id: "tok", target: "/run/secrets/tok", env: undefined }],
    ["source is the id", "type=secret,source=tok,target=/t", { id: "tok", target: "/t", env: undefined }],
    ["src alias", "type=secret,src=tok", { id: "tok", target: "/run/secrets/tok", env: undefined }],
    ["target's basename", "type=secret,target=/root/.npmrc", { id: ".npmrc", target: "/root/.npmrc", env: undefined }],
    ["trailing slash on target (Go path.Base)", "type=secret,dst=/etc/creds/", { id: "creds", target: "/etc/creds/", env: undefined }],
    ["destination alias", "type=secret,destination=/x/y", { id: "y", target: "/x/y", env: undefined }],
    ["env only: no file", "type=secret,id=tok,env=TOKEN", { id: "tok", target: undefined, env: "TOKEN" }],
    ["env and target: both", "type=secret,id=tok,target=/t,env=TOKEN", { id: "tok", target: "/t", env: "TOKEN" }],
    ["id with a slash: the default file takes its base", "type=secret,id=a/b", { id: "a/b", target: "/run/secrets/b", env: undefined }],
  ])("%s", (_name, value, expected) => {
    expect(secrets(`FROM a\nRUN --mount=${value} true\n`)).toEqual([{ ...expected, required: false, line: 2 }]);
  });
});

describe("variables in mount values (BuildKit's shell lexer)", () => {
  test("OT testOutlineSecrets: ids from a build argument, required targets, unused stages skipped", () => {
    const dockerfile = [
      "",
      "FROM busybox AS first",
      "RUN --mount=type=secret,target=/etc/passwd,required=true --mount=type=ssh true",
      "",
      "FROM alpine AS second",
      "RUN --mount=type=secret,id=unused --mount=type=ssh,id=ssh2 true",
      "",
      "FROM scratch AS third",
      "ARG BAR",
      "RUN --mount=type=secret,id=second${BAR} true",
      "",
      "FROM third AS target",
      "COPY --from=first /foo /",
      "RUN --mount=type=ssh,id=ssh3,required true",
      "",
      "FROM second",
    ].join("\n");
    expect(secrets(dockerfile, { BAR: "678" }, "target").map((m) => [m.id, m.required, m.line])).toEqual([
      ["passwd", true, 3],
      ["second678", false, 10],
    ]);
  });

  test.each([
    // MT testMountEnvVar
    ["ENV in the stage", "FROM busybox\nENV SOME_PATH=/mycache\nRUN --mount=type=secret,target=$SOME_PATH true\n", {}, "mycache"],
    // MT testMountArg
    ["ARG default", "FROM busybox\nARG MNT_TYPE=secret\nRUN --mount=type=$MNT_TYPE,id=s2 true\n", {}, "s2"],
    // MT testMountEnvAcrossStages
    ["ENV across stages", "FROM busybox as stage1\nENV MNT_ID=mycache\nFROM stage1\nRUN --mount=type=secret,id=$MNT_ID true\n", {}, "mycache"],
    // MT testMountMetaArg
    ["global ARG re-declared", "ARG META_PATH=/tmp/meta\nFROM busybox\nARG META_PATH\nRUN --mount=type=secret,target=$META_PATH true\n", {}, "meta"],
    ["build arg over a default", "FROM a\nARG ID=dflt\nRUN --mount=type=secret,id=${ID} true\n", { ID: "given" }, "given"],
    ["${X:-word}", "FROM a\nARG ID\nRUN --mount=type=secret,id=${ID:-fallback} true\n", {}, "fallback"],
    ["${X:+word}", "FROM a\nARG ID=1\nRUN --mount=type=secret,id=x${ID:+set} true\n", {}, "xset"],
    // A global ARG is not in a stage until re-declared: the base image's ENV decides, unknown here.
    ["a global ARG not re-declared", "ARG ID=meta\nFROM a\nRUN --mount=type=secret,id=tok${ID:-} true\n", {}, "$"],
  ])("%s", (_name, text, args, id) => {
    expect(secrets(text, args).map((m) => m.id)).toEqual([id]);
  });

  test("an ARG declared without a value and not given is empty: BuildKit refuses the mount", () => {
    const { mounts, problems } = readRunMounts("FROM a\nARG ID\nRUN --mount=type=secret,id=$ID true\n");
    expect(mounts).toEqual([]);
    expect(problems).toEqual([{ line: 3, reason: "invalid secret mount. one of source, target required", reachable: true }]);
  });

  test("a variable the Dockerfile never declares (the base image's ENV) is left to the build", () => {
    const [mount] = readRunMounts("FROM a\nRUN --mount=type=secret,id=$FROM_IMAGE true\n").mounts;
    expect(mount?.dynamic).toBe(true);
  });

  test("bad mounts in a stage the target does not run are not BuildKit's problem", () => {
    const { problems } = readRunMounts("FROM a AS unused\nRUN --mount=type=secret,mode=9 true\nFROM a\nRUN true\n");
    expect(problems.map((p) => p.reachable)).toEqual([false]);
  });

  test.each([
    ["$A-$B", "1-2"],
    ["'$A'", "$A"],
    ['"$A"x', "1x"],
    ["\\$A", "$A"],
    ["${A}${B}", "12"],
    ["${U-d}", "d"],
    ["${E:-d}|${E-d}", "d|"],
    ["$", "$"],
  ])("expandWord(%j)", (word, expected) => {
    const scope = new Map<string, string | null>([
      ["A", "1"],
      ["B", "2"],
      ["U", null],
      ["E", ""],
    ]);
    expect(expandWord(word, scope)).toBe(expected);
  });
});
