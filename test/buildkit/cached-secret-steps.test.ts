import { describe, expect, test } from "vitest";
import { watchCachedSecretSteps } from "../../src/buildkit/cached-secret-steps.js";

const log = [
  "#5 [2/4] WORKDIR /app",
  "#5 CACHED",
  "#7 [3/4] RUN --mount=type=cache,target=/c true",
  "#7 CACHED",
  "#8 [4/4] RUN --mount=type=secret,id=npmrc,target=/root/.npmrc     test -s /root/.npmrc",
  "#8 sha256:667f122fe4966be0f655fad8d54ce200c96e5052d4597269a6a7004fa01f51ca",
  "#8 CACHED",
  "#9 [stage 5/6] RUN --mount=type=bind,from=x --mount=type=secret,id=b true",
  "#9 1.02 building",
  "#9 DONE 1.1s",
  "",
].join("\n");

describe("watchCachedSecretSteps", () => {
  test.each([
    ["whole log in one chunk", [log]],
    ["byte by byte", [...log].map((c) => c)],
    ["CRLF line ends", [log.replace(/\n/g, "\r\n")]],
  ])("%s", (_name, chunks) => {
    const watch = watchCachedSecretSteps();
    for (const chunk of chunks) watch.write(Buffer.from(chunk));
    expect(watch.cached()).toEqual(["[4/4]"]);
  });
});
