import { describe, expect, test } from "vitest";
import { stripControls } from "../../src/redact/ansi.js";

const shown = (text: string, keepStrings = false): string => stripControls(Buffer.from(text, "latin1"), keepStrings).text.toString("latin1");

/** input → as a terminal draws it, and as a log viewer that ignores string sequences shows it */
const CASES: Record<string, readonly [string, string, string]> = {
  "colour codes and a carriage return": ["a\x1b[31mb\x1b[0mc\rd", "abcd", "abcd"],
  "an OSC title ended by BEL": ["x\x1b]0;title\x07y", "xy", "x0;titley"],
  "an OSC hyperlink ended by ST": ["\x1b]8;;https://h/p\x1b\\link\x1b]8;;\x1b\\", "link", "8;;https://h/plink8;;"],
  "a device control string cut by the next escape": ["\x1bPdata\x1b[31mrest", "rest", "datarest"],
  "a charset designation": ["a\x1b(Bb", "ab", "ab"],
};

describe("stripControls", () => {
  test("escape sequences go; string sequences' text stays only when asked", () => {
    for (const [name, [input, terminal, viewer]] of Object.entries(CASES)) {
      expect(shown(input), name).toBe(terminal);
      expect(shown(input, true), name).toBe(viewer);
    }
  });

  test("each kept byte maps back to its offset in the source", () => {
    const source = Buffer.from("\x1bPab\x1b[1mc\x07d", "latin1");
    const { text, map } = stripControls(source, true);
    expect(text.toString("latin1")).toBe("abcd");
    expect([...map!].map((i) => String.fromCharCode(source[i]!)).join("")).toBe("abcd");
  });
});
