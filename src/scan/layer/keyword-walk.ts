import { KeywordStream, planKeywords, type KeywordPlan, type WindowBudget } from "../../match/keyword-windows.js";
import { StreamSearch } from "../../match/stream-search.js";
import { compileMatcher, type RangeMatcher } from "../../match/matcher.js";
import { compileRule } from "../../rules/compile-rules.js";
import { normalizeEntryPath } from "./entry-path.js";
import { TarWalker, type EntrySink, type TarHeader } from "./tar-walker.js";
import type { ThreadRuleMatch, ThreadRuleResult, ThreadRuleSet } from "./digest-protocol.js";
import { WholeFileGatherer, WholeFileRules } from "../../match/whole-file-rules.js";

/** The rules' keywords, compiled once per rule set on the layer thread. */
export interface KeywordSearch {
  readonly plan: KeywordPlan;
  readonly wholeFile: WholeFileRules;
  readonly matcher: RangeMatcher;
  readonly needles: readonly { readonly bytes: Buffer; readonly tag: number }[];
  /** matches one stream keeps at most (the starter caps the scan) */
  readonly maxMatches: number;
}

const ignore = (): void => undefined;

/** Compiles a rule set as the starter did (it compiled these specs already: they do not fail here). */
export function compileKeywordSearch(set: ThreadRuleSet, maxMatches: number): KeywordSearch {
  const rules = set.rules.map(({ rule, from, trusted }) => compileRule({ rule, from }, trusted));
  const plan = planKeywords(rules);
  const needles = plan.keywords.map((bytes, tag) => ({ bytes, tag }));
  return { plan, matcher: compileMatcher(needles), needles, maxMatches, wholeFile: new WholeFileRules(rules) };
}

/**
 * On the layer thread: walks one layer tar as it streams by (the same walker as the scan's, so
 * entries are counted alike) and runs the pattern rules on each entry's content, keyword windows
 * and all, while the scan's own walk searches only for the known values (docs/performance.md).
 */
export class KeywordWalk {
  readonly #walker: TarWalker;
  readonly #stream: KeywordStream;
  readonly #matches: ThreadRuleMatch[] = [];
  #entry = 0;
  #path = "";
  #windowBytes = 0;
  #stoppedAt: ThreadRuleResult["stoppedAt"] = null;
  #failed = false;
  readonly #search: KeywordSearch;
  readonly #budget: WindowBudget;
  readonly #found: (rule: number, secret: Buffer, offset: number) => undefined;
  /** the entry's bytes, when whole-file rules name its path */
  #whole: WholeFileGatherer | null = null;

  /** `windowBytes`: what the scan's rules may still examine (rule-limits.ts takes the same way). */
  constructor(search: KeywordSearch, windowBytes: number) {
    const budget: WindowBudget = {
      take: (bytes) => {
        if (this.#stoppedAt !== null) return false;
        if (this.#windowBytes + bytes > windowBytes) {
          this.#stoppedAt = { entry: this.#entry, path: this.#path };
          return false;
        }
        this.#windowBytes += bytes;
        return true;
      },
    };
    const sink = (rule: number, secret: Buffer, offset: number): undefined => {
      if (this.#matches.length >= search.maxMatches) return undefined;
      // the window's bytes are borrowed (ring memory): the match keeps a copy
      this.#matches.push({ rule, entry: this.#entry, path: this.#path, offset, secret: Uint8Array.from(secret) });
      return undefined;
    };
    this.#search = search;
    this.#budget = budget;
    this.#found = sink;
    this.#stream = new KeywordStream(new StreamSearch(search.needles, search.matcher), search.plan, 0, sink, budget);
    this.#walker = new TarWalker(this.#onEntry);
  }

  readonly #onEntry = (header: TarHeader): EntrySink | null => {
    this.#entry += 1;
    // an empty file has nothing for the rules (its name is the walk's to search): a million of them is a real layer
    if (header.size === 0) return null;
    this.#path = normalizeEntryPath(header.name);
    this.#stream.reset();
    const whole = this.#search.wholeFile.at(this.#path, header.size);
    this.#whole = whole === null ? null : new WholeFileGatherer(whole, this.#search.plan.rules);
    return this.#sink;
  };

  /** One sink for every entry (they come one after another): nothing allocated per entry. */
  readonly #sink: EntrySink = {
    data: (chunk) => {
      this.#stream.push(chunk, ignore);
      this.#whole?.push(chunk);
    },
    end: () => {
      this.#stream.end(ignore);
      this.#whole?.end((bytes) => this.#budget.take(bytes), this.#found);
      this.#whole = null;
    },
  };

  write(chunk: Buffer): void {
    if (this.#failed) return;
    try {
      this.#walker.write(chunk);
    } catch {
      // the scan's own walk meets the same bytes and reports why
      this.#failed = true;
    }
  }

  /** Ends the walk; the matches go to the starter, whose copy this thread forgets. */
  end(): ThreadRuleResult {
    if (!this.#failed) {
      try {
        this.#walker.end();
      } catch {
        this.#failed = true;
      }
    }
    this.#stream.reset();
    this.#whole = null;
    return { matches: this.#matches, windowBytes: this.#windowBytes, stoppedAt: this.#stoppedAt, failed: this.#failed };
  }
}
