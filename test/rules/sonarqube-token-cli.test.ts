import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { dockerArchive, tarOf } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";
import { token } from "./tokens.js";

/** SonarQube tokens through the CLI: found in a scanner's properties; look-alikes quiet. */
const work = mkdtempSync(join(tmpdir(), "sbtest-sonarqube-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("SonarQube tokens through the CLI", () => {
  test("a project token in sonar-project.properties and a user token in the env: found; upper-case and short look-alikes quiet", async () => {
    const project = token.sonarqube("p");
    const user = token.sonarqube("u");
    const layer = await tarOf([
      { name: "app/sonar-project.properties", data: Buffer.from(`sonar.projectKey=acme_payments\nsonar.token=${project}\n`) },
      { name: "app/docs/sonar.md", data: Buffer.from(`sonar.token=squ_${randomBytes(20).toString("hex").toUpperCase()} or sqa_${randomBytes(8).toString("hex")}\n`) },
    ]);
    const image = join(work, "image.tar");
    writeFileSync(image, await dockerArchive([layer], { config: { Env: [`SONAR_TOKEN=${user}`] } }));
    const cli = await runCli(["scan", `docker-archive:${image}`, "--format", "json"], { cwd: work, secrets: [project, user] });
    const report = JSON.parse(cli.stdout.toString()) as { findings: { rule: string | null; path: string; where: string }[] };
    expect(report.findings.filter((f) => f.rule === "sonarqube-token").map((f) => `${f.where} ${f.path}`).sort()).toEqual(["env Env[0]", "file app/sonar-project.properties"]);
    expect(cli.code, cli.stderr.toString()).toBe(1);
  });
});
