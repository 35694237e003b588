import { describe, expect, test } from "vitest";
import { buildArgLine, envLine, historyLines } from "../../../src/scan/findings/setting-lines.js";

describe("the image's settings as NAME=value lines", () => {
  test.each([
    // BuildKit's RUN with the build arguments it used, and the classic builder's (no `RUN `)
    ["RUN |2 NPM_TOKEN=abc123 DB_PASSWORD=p4ss /bin/sh -c npm ci # buildkit", "NPM_TOKEN=abc123\nDB_PASSWORD=p4ss"],
    ["|1 TOKEN=abc /bin/sh -c echo hi", "TOKEN=abc"],
    // a value with blanks runs to the next NAME=; the last argument's to the first blank
    ["RUN |2 A=two words B=x /bin/sh -c make # buildkit", "A=two words\nB=x"],
    // ENV and ARG as BuildKit and the classic builder record them; ENV's values keep their blanks
    ["ENV API_TOKEN=xyz123abc OTHER=1", "API_TOKEN=xyz123abc\nOTHER=1"],
    ["/bin/sh -c #(nop)  ENV DB_PASSWORD=correct horse battery", "DB_PASSWORD=correct horse battery"],
    ["ARG DB_PASSWORD=hunter22", "DB_PASSWORD=hunter22"],
    // assignments at a command's start: inline, exported, quoted; not an argument of a command
    ["RUN /bin/sh -c export DB_PASSWORD=abc && NPM_TOKEN='x y' FOO=1 npm ci; echo B=2 # buildkit", "DB_PASSWORD=abc\nNPM_TOKEN=x y\nFOO=1"],
    ["RUN |1 T=1 /bin/sh -c set -eux;     SECRET_KEY_BASE=\"$(openssl rand -hex 64)\" rails assets:precompile", "T=1\nSECRET_KEY_BASE=$(openssl rand -hex 64)"],
  ])("%s", (createdBy, lines) => {
    expect(historyLines(createdBy)).toBe(lines);
  });

  test.each([
    "RUN /bin/sh -c apt-get update && apt-get install -y curl # buildkit",
    "COPY file:0123 in /app",
    "WORKDIR /app",
    "/bin/sh -c #(nop)  CMD [\"node\" \"server.js\"]",
    'RUN ["/bin/sh","-c","TOKEN=abc make"]',
    "",
  ])("no assignment: %s", (createdBy) => {
    expect(historyLines(createdBy)).toBeNull();
  });

  test("Env entries and provenance build arguments: one line each, nothing without a name or a value", () => {
    expect(envLine("DB_PASSWORD=a=b=c")).toBe("DB_PASSWORD=a=b=c");
    expect(envLine("=value")).toBeNull();
    expect(envLine("EMPTY=")).toBeNull();
    expect(envLine("NO_EQUALS")).toBeNull();
    expect(envLine("TWO=lines\nSECRET=x")).toBeNull();
    expect(buildArgLine("build-arg:NPM_TOKEN", "abc")).toBe("NPM_TOKEN=abc");
    expect(buildArgLine("target", "prod")).toBeNull();
    expect(buildArgLine("build-arg:", "abc")).toBeNull();
  });

  test("a history entry with thousands of assignments gives 256 lines at most", () => {
    const createdBy = `ENV ${Array.from({ length: 5000 }, (_, i) => `V${i}=x`).join(" ")}`;
    expect(historyLines(createdBy)?.split("\n")).toHaveLength(256);
  });
});
