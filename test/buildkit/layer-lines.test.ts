import { describe, expect, test } from "vitest";
import { layerLines } from "../../src/buildkit/layer-lines.js";

// History lines as BuildKit 0.x (docker 20.10 and later) writes them for each instruction.
const LEAKY = [
  "# comment",
  "ARG BASE=local/busybox:1",
  "FROM $BASE",
  "WORKDIR /app",
  "RUN --mount=type=secret,id=npmrc,target=/root/.npmrc \\",
  "    cp /root/.npmrc /app/.npmrc-backup",
  'CMD ["ls", "-la", "/app"]',
].join("\n");

describe("layerLines", () => {
  test.each([
    ["RUN /bin/sh -c cp /root/.npmrc /app/.npmrc-backup # buildkit", 5],
    ["WORKDIR /app", 4],
    ["/bin/sh -c #(nop) WORKDIR /app", 4],
    ["ADD file:abc in / ", undefined],
    ["", undefined],
  ])("%j → %s", (createdBy, line) => {
    expect(layerLines(LEAKY, undefined)(createdBy)).toBe(line);
  });

  test("only the target stage and the stages it is built FROM; build args in the RUN prefix", () => {
    const text = "FROM a AS base\nRUN make deps\nFROM a AS other\nRUN make deps\nFROM base\nARG V\nRUN make app V=$V\nCOPY --from=other /x /x\n";
    const lines = layerLines(text, undefined);
    expect(lines("RUN /bin/sh -c make deps # buildkit")).toBe(2);
    expect(lines("RUN |1 V=2 /bin/sh -c make app V=$V # buildkit")).toBe(7);
    expect(lines("COPY /x /x # buildkit")).toBe(8);
    expect(layerLines(text, "other")("RUN /bin/sh -c make deps # buildkit")).toBe(4);
  });

  // the history holds ENV and LABEL values expanded: an instruction with a variable is known by the names it assigns, in order
  const EXPANDED = "FROM a\nARG TOKEN\nENV API_TOKEN=${TOKEN} MODE=prod\nENV HOME_DIR $HOME/app\nLABEL org.acme.key=${TOKEN}\nENV MODE=dev\nENV LEVEL=${L}-x\nENV LEVEL=${L}\n";
  test.each([
    ["ENV API_TOKEN=abc123 MODE=prod", 3],
    ["ENV HOME_DIR=/root/app", 4],
    ["LABEL org.acme.key=abc123", 5],
    // without variables the text must match as before
    ["ENV MODE=dev", 6],
    ["ENV MODE=other", undefined],
    // names in another order, or a name that only ends like one
    ["ENV MODE=prod API_TOKEN=abc123", undefined],
    ["ENV XAPI_TOKEN=abc123 MODE=prod", undefined],
    // two instructions assign the same names: no line rather than a guess
    ["ENV LEVEL=3", undefined],
  ])("variables expanded: %j → %s", (createdBy, line) => {
    expect(layerLines(EXPANDED, undefined)(createdBy)).toBe(line);
  });

  test("two instructions with the same text: no line rather than a guess", () => {
    expect(layerLines("FROM a\nRUN make\nRUN make\n", undefined)("RUN /bin/sh -c make # buildkit")).toBeUndefined();
  });
});
