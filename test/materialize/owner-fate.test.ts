import { describe, expect, test } from "vitest";
import { OWNERLESS_AGE_MS, ownerFate, type Here } from "../../src/materialize/owner-fate.js";
import type { ProcessIdentity, StartTime } from "../../src/materialize/process-identity.js";

const NOW = 1_800_000_000_000;
const BOOT = NOW - 3_600_000;
const self: ProcessIdentity = { pid: 100, start: "5000", pidNs: "pid:[4026531836]", boot: "boot-a" };

function here(overrides: Partial<Here> & { live?: Record<number, string | "unknown"> } = {}): Here {
  const live = overrides.live ?? {};
  return {
    self,
    procIsOurs: true,
    hasPidNamespaces: true,
    bootTimeMs: BOOT,
    nowMs: NOW,
    startTimeOf: (pid): StartTime => {
      const start = live[pid];
      if (start === undefined) return { kind: "gone" };
      return start === "unknown" ? { kind: "unknown" } : { kind: "start", start };
    },
    pidExists: (pid) => live[pid] !== undefined,
    ...overrides,
  };
}

const owner = (o: Partial<ProcessIdentity> = {}): ProcessIdentity => ({ ...self, pid: 42, start: "4000", ...o });
const recent = NOW - 60_000;
const old = NOW - OWNERLESS_AGE_MS - 1;

describe("ownerFate: a directory is removed only when its owner is provably dead", () => {
  test.each<[string, ProcessIdentity | undefined, number, Here, string]>([
    ["same boot and namespace, pid gone", owner(), recent, here(), "dead"],
    ["same boot and namespace, pid reused (other start time)", owner(), recent, here({ live: { 42: "4999" } }), "dead"],
    ["same boot and namespace, same pid and start time", owner(), recent, here({ live: { 42: "4000" } }), "alive"],
    ["start time unreadable", owner(), recent, here({ live: { 42: "unknown" } }), "unknown"],
    ["owner's start time unknown, pid live", owner({ start: null }), recent, here({ live: { 42: "4000" } }), "unknown"],
    ["another pid namespace, pid absent from ours", owner({ pidNs: "pid:[4026532179]" }), recent, here(), "unknown"],
    ["another pid namespace, even years old", owner({ pidNs: "pid:[4026532179]" }), 0, here(), "unknown"],
    ["/proc is another namespace's", owner(), recent, here({ procIsOurs: false }), "unknown"],
    ["owner wrote no namespace", owner({ pidNs: null }), recent, here(), "unknown"],
    ["owner wrote no boot id", owner({ boot: null }), recent, here(), "unknown"],
    ["we cannot read our boot id", owner(), recent, here({ self: { ...self, boot: null } }), "unknown"],
    ["another boot, directory older than this boot", owner({ boot: "boot-b" }), BOOT - 1000, here(), "dead"],
    ["another boot, touched since this boot (another machine?)", owner({ boot: "boot-b" }), BOOT + 1000, here(), "unknown"],
    ["another boot, our boot time unknown", owner({ boot: "boot-b" }), BOOT - 1000, here({ bootTimeMs: null }), "unknown"],
    ["no owner file, recent, pid gone", undefined, recent, here(), "unknown"],
    ["no owner file, a day old, pid gone", undefined, old, here(), "dead"],
    ["no owner file, a day old, pid live", undefined, old, here({ live: { 42: "1" } }), "unknown"],
    [
      "no /proc and no pid namespaces (macOS), pid gone",
      owner({ start: null, pidNs: null, boot: null }),
      recent,
      here({ hasPidNamespaces: false, self: { pid: 100, start: null, pidNs: null, boot: null } }),
      "dead",
    ],
    [
      "no /proc and no pid namespaces, pid live",
      owner({ start: null, pidNs: null, boot: null }),
      recent,
      here({ hasPidNamespaces: false, self: { pid: 100, start: null, pidNs: null, boot: null }, live: { 42: "1" } }),
      "alive",
    ],
    [
      "no /proc on Linux (namespaces possible), pid gone",
      owner({ start: null, pidNs: null, boot: null }),
      recent,
      here({ self: { pid: 100, start: null, pidNs: null, boot: null } }),
      "unknown",
    ],
  ])("%s", (_name, record, mtimeMs, where, fate) => {
    expect(ownerFate({ namePid: 42, mtimeMs, owner: record }, where)).toBe(fate);
  });
});
