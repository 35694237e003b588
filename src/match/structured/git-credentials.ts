import { MARKER_REASON, PUBLIC_MARKER, urlCredentials } from "./field.js";
import type { PlanBuilder, StructuredPlan } from "./plan.js";

const CREDENTIAL_URL = /^[a-z][a-z0-9+.-]{0,31}:\/\/[^\s:/@]{0,256}:[^\s@/]{1,1024}@\S{0,2048}$/i;

/** `~/.git-credentials` (git's store helper): one `https://user:pass@host` per line. */
export function gitCredentials(plan: PlanBuilder): StructuredPlan | undefined {
  const index = plan.index;
  const lines = index.lines.map((_, i) => i + 1).filter((n) => index.text(n).trim().length > 0);
  if (lines.length === 0 || !lines.every((n) => CREDENTIAL_URL.test(index.text(n).trim()))) return undefined;
  for (const n of lines) {
    const line = index.text(n);
    const pass = /:\/\/[^\s:/@]*:([^\s@/]*)@/.exec(line)?.[1] ?? "";
    // `https://TOKEN:x-oauth-basic@github.com`: the token is the user name, the password says so.
    const marker = PUBLIC_MARKER.test(pass);
    plan.credential(marker ? "token as user name" : "password", urlCredentials(line, "latin1") ?? [], [n]);
    if (marker) plan.exclude("password", MARKER_REASON, [n]);
  }
  return plan.done("git-credentials");
}
