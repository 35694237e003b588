import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { Backlog } from "../../../src/bytes/backlog.js";
import { startLayerScan, type LayerScan, type LayerScanContext } from "../../../src/scan/layer/layer-scan.js";
import { buildNeedles, type NeedleTable } from "../../../src/scan/findings/needles.js";
import { digestThreadReady, prestartLayerThread } from "../../../src/scan/layer/digest-thread.js";
import { EntryBudget } from "../../../src/scan/layer/entry-budget.js";
import { RULES_STOPPED_TAG, RuleLimits } from "../../../src/scan/findings/rule-limits.js";
import { builtins } from "../../rules/find.js";
import { secret, tarOf } from "../helpers.js";

// The layer thread runs the pattern rules on a layer's tar entries while the walk searches for the
// known values alone: the findings must be exactly those of the rules run in the walk itself.
const token = (n: number): string => `ghp_${"kLmNoPqRwXyZ0123456789abcdefghijkl".slice(0, 32)}${String(n).padStart(4, "0")}`;
const known = `sbtest-known-${"0123456789abcdef".repeat(2)}`;
const githubId = builtins.findIndex((r) => r.id === "github-token");
/** Text with no rule's keyword in it (random bytes would now and then hold one, and move where a limit stops the rules). */
const noise = (bytes: number): Buffer => Buffer.from("lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(Math.ceil(bytes / 57)).slice(0, bytes));

/** A fresh table with the built-in rules, counting the streams the walk searched for known values alone. */
function table(limits?: RuleLimits): { needles: NeedleTable; knownOnly: () => number } {
  // on whatever number of cores this runs (the scan uses the thread from three on)
  const base = buildNeedles([secret("known", known), secret("given-token", token(7))], builtins, limits, true);
  let count = 0;
  const needles: NeedleTable = {
    ...base,
    knownStreamSearch: () => {
      count += 1;
      return base.knownStreamSearch();
    },
  };
  return { needles, knownOnly: () => count };
}

async function scan(layer: Buffer, needles: NeedleTable, cut: number, entries?: EntryBudget): Promise<LayerScan> {
  const backlog = new Backlog();
  const ctx: LayerScanContext = { needles, entries };
  const scanner = startLayerScan(ctx, backlog);
  // the first write shorter than the sniff needs: the thread must hold those bytes back too
  scanner.sink.write(Buffer.from(layer.subarray(0, 3)));
  for (let at = 3; at < layer.length; at += cut) {
    scanner.sink.write(Buffer.from(layer.subarray(at, at + cut)));
    await backlog.settle();
  }
  scanner.sink.end();
  await backlog.settle();
  return scanner.finish();
}

/** Findings as a report names them: a rule's by rule id, preview and offset; a known value's by its id. */
function described(result: LayerScan, needles: NeedleTable): string[] {
  return result.hits
    .filter((h) => h.tag !== RULES_STOPPED_TAG)
    .map((h) => {
      const rule = needles.ruleMatch(h.tag);
      const what = rule === undefined ? `secret:${needles.variants[h.tag]!.secretId}` : `rule:${rule.rule.id}:${rule.preview}@${rule.offset}`;
      return `${what} ${h.where} ${h.container ?? "-"} ${h.path}${h.inner} #${h.entry}`;
    })
    .sort();
}

describe("pattern rules on the layer thread", async () => {
  const files: [string, Buffer][] = [
    ["etc/one.env", Buffer.from(`GH=${token(1)}\n`)],
    // counted by the thread's walk as by the scan's, though there is nothing in it to search
    ["etc/empty", Buffer.alloc(0)],
    ["opt/big.bin", Buffer.concat([noise(300_000), Buffer.from(` ${token(2)} `), noise(200_000), Buffer.from(`x${token(3)}`)])],
    ["opt/given.txt", Buffer.from(`the given one ${token(7)} is a known value, not the rule's`)],
    ["opt/known.txt", Buffer.from(`k=${known}`)],
    [`opt/${token(4)}.name`, Buffer.from("a token in a name: the walk's")],
    ["opt/nested.gz", gzipSync(Buffer.from(`nested ${token(5)} inside`))],
    ["opt/last.txt", Buffer.concat([noise(70_000), Buffer.from(`\n${token(6)}`)])],
  ];
  const layer = await tarOf(files);
  const compressed = gzipSync(layer);

  test("the same findings as the rules run in the walk, for a layer as stored and a gzip one, whatever the chunks", async () => {
    // the first layer of a process is walked before the thread runs: the rules run in the walk
    const first = table();
    const inWalk = described(await scan(layer, first.needles, 65_536), first.needles);
    expect(first.knownOnly()).toBe(0);
    expect(inWalk.filter((d) => d.startsWith("rule:github-token"))).toHaveLength(5);
    expect(inWalk).toContain(`secret:given-token file - opt/given.txt #4`);
    expect(inWalk.some((d) => d.includes("opt/given.txt") && d.startsWith("rule:"))).toBe(false);

    prestartLayerThread();
    for (let i = 0; i < 100 && !digestThreadReady(); i++) await sleep(50);
    expect(digestThreadReady()).toBe(true);
    for (const [bytes, cut] of [[layer, 65_536], [layer, 7], [layer, 1_000_003], [compressed, 4_096]] as const) {
      const t = table();
      const onThread = described(await scan(bytes, t.needles, cut), t.needles);
      expect(t.knownOnly(), `cut ${cut}`).toBe(1);
      expect(onThread, `cut ${cut}`).toEqual(inWalk);
    }
    expect(githubId).toBeGreaterThanOrEqual(0);
  });

  test("past an entry limit neither the walk nor the thread reports what the rules find", async () => {
    prestartLayerThread();
    for (let i = 0; i < 100 && !digestThreadReady(); i++) await sleep(50);
    const t = table();
    const result = await scan(layer, t.needles, 65_536, new EntryBudget(Infinity, 3));
    expect(t.knownOnly()).toBe(1);
    const rules = described(result, t.needles).filter((d) => d.startsWith("rule:"));
    expect(rules.map((d) => d.split(" ").at(-1))).toEqual(["#1", "#3"]);
    expect(result.notSearched.map((n) => n.path)).toEqual(["opt/given.txt"]);
  });

  test("the scan's rule limits hold on the thread: the match cap and the window budget stop the rules where they ran out", async () => {
    prestartLayerThread();
    for (let i = 0; i < 100 && !digestThreadReady(); i++) await sleep(50);
    const stops = (result: LayerScan): string[] => result.hits.filter((h) => h.tag === RULES_STOPPED_TAG).map((h) => `${h.path} #${h.entry}`);

    const capped = table(new RuleLimits(undefined, 2));
    const byCap = await scan(layer, capped.needles, 65_536);
    expect(capped.knownOnly()).toBe(1);
    // the walk's own matches (a name, a gzip member) count first; the thread's first one passes the cap and stops the rules there
    const rulesOf = (result: LayerScan, t: NeedleTable): string[] => described(result, t).filter((d) => d.startsWith("rule:")).map((d) => d.split(" ").at(-1)!);
    expect(rulesOf(byCap, capped.needles)).toEqual(["#6", "#7"]);
    expect(stops(byCap)).toEqual(["etc/one.env #1"]);
    expect(capped.needles.rulesStopped()).toMatch(/more than 2 matches/);

    // a budget smaller than any window: the walk's first (a name) stops the rules there, and the thread finds nothing it may report
    const budget = table(new RuleLimits(10));
    const byBudget = await scan(layer, budget.needles, 65_536);
    expect(budget.knownOnly()).toBe(1);
    expect(rulesOf(byBudget, budget.needles)).toEqual([]);
    expect(stops(byBudget)).toEqual([`opt/${token(4)}.name #6`]);
    expect(budget.needles.rulesStopped()).toMatch(/more than 10 bytes of text near keywords/);
  });
});
