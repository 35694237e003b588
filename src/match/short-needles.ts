import { equalAt } from "./wu-manber.js";

/**
 * Short needles (searched with Buffer.indexOf, one native pass each) grouped by their first two
 * bytes: a group of several is found with one pass over that pair, each member compared where
 * it occurs (GitHub's five `gh?_` token prefixes cost one pass, not five).
 */
/** A needle as matcher.ts holds it (declared here too: matcher.ts imports this file). */
interface Needle {
  readonly bytes: Buffer;
  readonly tag: number;
}

export interface ShortGroup {
  /** what indexOf looks for: the needle itself, or the pair its group shares */
  readonly find: Buffer;
  readonly members: readonly Needle[];
}

export function groupShort(short: readonly Needle[]): ShortGroup[] {
  const byPair = new Map<string, Needle[]>();
  const out: ShortGroup[] = [];
  for (const n of short) {
    if (n.bytes.length < 3) {
      out.push({ find: n.bytes, members: [n] });
      continue;
    }
    const key = n.bytes.toString("latin1", 0, 2);
    const list = byPair.get(key);
    if (list === undefined) byPair.set(key, [n]);
    else list.push(n);
  }
  for (const members of byPair.values()) {
    out.push(members.length === 1 ? { find: members[0]!.bytes, members } : { find: members[0]!.bytes.subarray(0, 2), members });
  }
  return out;
}

/** Every occurrence of the group's needles starting in [from, limit), each wholly inside `hay`. */
export function findShort(hay: Buffer, group: ShortGroup, from: number, limit: number, onMatch: (tag: number, at: number) => void): void {
  const single = group.members.length === 1 ? group.members[0]! : undefined;
  for (let at = hay.indexOf(group.find, from); at !== -1 && at < limit; at = hay.indexOf(group.find, at + 1)) {
    if (single !== undefined) {
      onMatch(single.tag, at);
      continue;
    }
    for (const n of group.members) {
      if (at + n.bytes.length <= hay.length && equalAt(hay, at, n.bytes, n.bytes.length)) onMatch(n.tag, at);
    }
  }
}
