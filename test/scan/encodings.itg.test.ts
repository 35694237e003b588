import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { DOCKER, engineAnswers, removeImages, runCli } from "../build/cli.js";

// Leaks the way real builds write them (base64 -w 76, a PEM re-folded, UTF-16 text), built by
// the real engine and found by the real CLI; and the clean look-alikes beside them.
const hasEngine = engineAnswers();
const work = mkdtempSync(join(tmpdir(), "sbtest-encodings-itg-"));
const operator = mkdtempSync(join(tmpdir(), "sbtest-encodings-operator-"));
const tags: string[] = [];
afterAll(() => {
  removeImages(tags);
  rmSync(work, { recursive: true, force: true });
  rmSync(operator, { recursive: true, force: true });
});

interface Finding {
  readonly secret: string;
  readonly path: string;
  readonly encoding: string;
}

describe.runIf(hasEngine)("encodings written by a real build", () => {
  test("base64 -w 76 and -w 20, a PEM key folded at 76, UTF-16LE: each found with its encoding; hashes and a changed copy are not", async () => {
    const token = `sbtest-enc-${randomBytes(48).toString("base64url")}`;
    const pem = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const changed = `${token.slice(0, 20)}${token[20] === "A" ? "B" : "A"}${token.slice(21)}`;
    const dir = mkdtempSync(join(work, "ctx-"));
    writeFileSync(join(work, "tok"), token);
    writeFileSync(join(work, "key"), pem);
    writeFileSync(join(dir, "run.ps1"), Buffer.from(`$env:TOKEN = '${token}'\r\n`, "utf16le"));
    writeFileSync(join(dir, "changed.txt"), changed);
    writeFileSync(
      join(dir, "Dockerfile"),
      [
        "FROM local/busybox:1",
        "COPY run.ps1 changed.txt /app/",
        "RUN --mount=type=secret,id=tok,required=true base64 -w 76 /run/secrets/tok > /b76.txt",
        "RUN --mount=type=secret,id=tok,required=true base64 -w 20 /run/secrets/tok > /b20.txt",
        "RUN --mount=type=secret,id=key,required=true grep -v -- ----- /run/secrets/key | tr -d '\\n' | fold -w 76 > /key76.pem",
        "RUN --mount=type=secret,id=tok,required=true sha256sum /run/secrets/tok > /tok.sha && base64 -w 76 /app/changed.txt > /changed.b64",
        "",
      ].join("\n"),
    );
    // The build would be refused before it starts (the context file is copied): the operator accepts it, so the scan runs.
    // the operator's config beside the source tree, not above it (a file above a context with no
    // checkout around it is that tree's own: docs/config.md)
    writeFileSync(join(operator, "safebuild.yml"), "scan:\n  ignore:\n    - path: run.ps1\n      reason: the leak this test builds on purpose\n");
    const tag = `sbtest-encodings-${randomBytes(5).toString("hex")}`;
    tags.push(tag);
    const run = await runCli(
      ["build", "--docker", DOCKER, "--no-cache", "--config", join(operator, "safebuild.yml"), "--secret", `tok=${join(work, "tok")}`, "--secret", `key=${join(work, "key")}`, "-t", tag, "--format", "json", dir],
      { secrets: [token, pem, changed] },
    );
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as { findings: Finding[] };
    const found = report.findings.map((f) => `${f.secret} ${f.path} ${f.encoding}`).sort();
    // the key's last body line, shorter than a full line, may also be found as it is
    expect(found.filter((f) => !f.startsWith("key key76.pem line"))).toEqual([
      "key key76.pem pem-wrapped",
      "tok app/run.ps1 utf16le",
      "tok b20.txt base64-wrapped",
      "tok b76.txt base64-wrapped",
    ]);
    expect(run.stdout + run.stderr).not.toContain(token);
  }, 240_000);

  test("a password with `$` and `%` doubled (compose, configparser) and every byte percent-escaped: each found; the value changed is not", async () => {
    const pw = `sbtest-enc-${randomBytes(9).toString("base64url")}$${randomBytes(9).toString("base64url")}%${randomBytes(6).toString("hex")}`;
    const other = pw.replace("sbtest-enc-", "sbtest-cne-");
    const dir = mkdtempSync(join(work, "ctx-"));
    writeFileSync(join(work, "pw"), pw);
    writeFileSync(join(work, "other"), other);
    writeFileSync(
      join(dir, "Dockerfile"),
      [
        "FROM local/busybox:1",
        "RUN --mount=type=secret,id=pw,required=true sed 's/[$]/&&/g' /run/secrets/pw > /compose.yml",
        "RUN --mount=type=secret,id=pw,required=true sed 's/%/%%/g' /run/secrets/pw > /app.ini",
        "RUN --mount=type=secret,id=pw,required=true od -An -v -tx1 /run/secrets/pw | tr -d ' \\n' | sed 's/../%&/g' > /pct.txt",
        "RUN --mount=type=secret,id=other,required=true sed 's/[$]/&&/g' /run/secrets/other > /other.yml",
        "",
      ].join("\n"),
    );
    const tag = `sbtest-encodings-${randomBytes(5).toString("hex")}`;
    tags.push(tag);
    const run = await runCli(["build", "--docker", DOCKER, "--no-cache", "--secret", `pw=${join(work, "pw")}`, "--secret", `other=${join(work, "other")}`, "-t", tag, "--format", "json", dir], { secrets: [pw, other] });
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as { findings: Finding[] };
    const found = report.findings.filter((f) => f.secret === "pw").map((f) => `${f.path} ${f.encoding}`).sort();
    expect(found).toEqual(["app.ini quoted", "compose.yml quoted", "pct.txt url"]);
    expect(run.stdout + run.stderr).not.toContain(pw);
  }, 240_000);

  test("a registry token in a Kubernetes .dockerconfigjson (base64 of a config.json whose auth is base64), `base64 | base64` and base32: each found; another token so written is not", async () => {
    const token = `sbtest-enc-${randomBytes(20).toString("base64url")}`;
    const other = `sbtest-enc-${randomBytes(20).toString("base64url")}`;
    const b64 = (s: string): string => Buffer.from(s).toString("base64");
    // docker login's config.json (auth alone) made into a Secret: `kubectl create secret generic --from-file=.dockerconfigjson=…`
    const manifest = (t: string): string =>
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: ${b64(JSON.stringify({ auths: { "registry.example.com": { auth: b64(`ci:${t}`) } } }))}\n`;
    const base32 = (t: string): string => execFileSync("python3", ["-c", "import base64,sys;print(base64.b32encode(sys.argv[1].encode()).decode())", t]).toString();
    const dir = mkdtempSync(join(work, "ctx-"));
    writeFileSync(join(dir, "regcred.yaml"), manifest(token));
    writeFileSync(join(dir, "other.yaml"), manifest(other));
    writeFileSync(join(dir, "totp.txt"), base32(token));
    writeFileSync(join(dir, "twice.txt"), b64(b64(`prefix ${token}`)));
    writeFileSync(join(dir, "other.txt"), `${b64(b64(other))}\n${base32(other)}`);
    writeFileSync(join(dir, "Dockerfile"), "FROM local/busybox:1\nCOPY . /deploy/\n");
    writeFileSync(join(work, "regtok"), token);
    const tag = `sbtest-encodings-${randomBytes(5).toString("hex")}`;
    tags.push(tag);
    execFileSync(DOCKER, ["build", "-q", "-t", tag, dir], { env: { ...process.env, DOCKER_BUILDKIT: "1" }, stdio: "ignore" });
    const run = await runCli(["scan", tag, "--no-rules", "--secret", `regtok=${join(work, "regtok")}`, "--format", "json"], { secrets: [token] });
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as { findings: Finding[] };
    expect(report.findings.map((f) => `${f.path} ${f.encoding}`).sort()).toEqual(["deploy/regcred.yaml base64-twice", "deploy/totp.txt base32", "deploy/twice.txt base64-twice"]);
    expect(run.stdout + run.stderr).not.toContain(token);
  }, 240_000);

  test("bytes as code writes them (octal escapes, BitConverter's dashes, an array without blanks) and base32 in lower case, by a real build: each found", async () => {
    const token = `sbtest-enc-${randomBytes(20).toString("base64url")}`;
    const dir = mkdtempSync(join(work, "ctx-"));
    writeFileSync(join(work, "codetok"), token);
    const lowerBase32 = execFileSync("python3", ["-c", "import base64,sys;print(base64.b32encode(sys.argv[1].encode()).decode().lower().rstrip('='))", token]).toString();
    writeFileSync(join(dir, "otpauth.txt"), `otpauth://totp/acme:ci?secret=${lowerBase32.trim()}&issuer=acme\n`);
    writeFileSync(
      join(dir, "Dockerfile"),
      [
        "FROM local/busybox:1",
        "COPY otpauth.txt /app/",
        `RUN --mount=type=secret,id=codetok,required=true hexdump -v -e '/1 "\\\\%03o"' /run/secrets/codetok > /app/octal.sh`,
        `RUN --mount=type=secret,id=codetok,required=true hexdump -v -e '/1 "%02X-"' /run/secrets/codetok > /app/dashed.txt`,
        `RUN --mount=type=secret,id=codetok,required=true (printf 'char k[]={'; hexdump -v -e '/1 "0x%02x,"' /run/secrets/codetok; printf '};') > /app/key.h`,
        "",
      ].join("\n"),
    );
    const tag = `sbtest-encodings-${randomBytes(5).toString("hex")}`;
    tags.push(tag);
    // built by the engine itself: the context holds the base32 form, which safebuild build would refuse
    // to send; --no-cache: BuildKit reuses a RUN whose secret changed
    execFileSync(DOCKER, ["build", "-q", "--no-cache", "--secret", `id=codetok,src=${join(work, "codetok")}`, "-t", tag, dir], { env: { ...process.env, DOCKER_BUILDKIT: "1" }, stdio: "ignore" });
    const run = await runCli(["scan", tag, "--no-rules", "--secret", `codetok=${join(work, "codetok")}`, "--format", "json"], { secrets: [token] });
    const report = JSON.parse(run.stdout) as { findings: Finding[] };
    expect(report.findings.map((f) => `${f.path} ${f.encoding}`).sort()).toEqual(["app/dashed.txt hex-dump", "app/key.h hex-dump", "app/octal.sh hex-dump", "app/otpauth.txt base32"]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout + run.stderr).not.toContain(token);
  }, 240_000);
});
