import { z } from "zod";
import type { FindingWhere } from "../scan/findings/finding.js";
import { SEVERITIES } from "../rules/rule.js";

const WHERE = ["file", "path", "linkname", "env", "label", "history", "config", "annotation", "attestation", "manifest"] as const satisfies readonly FindingWhere[];

const text = (what: string) => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}, got an empty string` });
/** YAML turns `1.0`, `true` and `8080` into numbers and booleans; build args and labels are text. */
const scalar = z.union([z.string(), z.number(), z.boolean()], { error: "expected a string, number or boolean" }).transform(String);
const stringMap = z.record(z.string(), scalar, { error: "expected a map of KEY: value" });

const SecretSource = z.union(
  [
    z.string().min(1),
    z.strictObject({ src: text("a path") }),
    z.strictObject({ source: text("a path") }),
    z.strictObject({ env: text("an environment variable name") }),
  ],
  { error: "expected a source (~/.npmrc, env:VAR, dotenv:PATH#KEY, vault:PATH#FIELD, cmd:COMMAND) or {src: PATH} or {env: VAR}" },
);

const IgnoreRule = z
  .strictObject({
    secret: text("a secret id or *").optional(),
    rule: text("a rule name").optional(),
    path: text("a path or glob").optional(),
    where: z.enum(WHERE, { error: `expected one of ${WHERE.join(", ")}` }).optional(),
    fingerprint: text("a finding's fingerprint (RULE:HEX, from the report)").optional(),
    reason: text("a reason (why this finding is acceptable)"),
  })
  .refine((r) => r.secret !== undefined || r.rule !== undefined || r.path !== undefined || r.fingerprint !== undefined, {
    error: "give at least one of secret, rule, path or fingerprint",
  });

const words = (what: string) => z.array(text(what), { error: `expected a list of ${what}s` });
/** A pattern rule (see src/rules/rule.ts, docs/rules.md). */
const Rule = z.strictObject({
  id: text("a rule id"),
  title: text("a title").optional(),
  severity: z.enum(SEVERITIES, { error: `expected one of ${SEVERITIES.join(", ")}` }).optional(),
  regex: text("a regular expression (Go/RE2 syntax)"),
  secretGroup: z.number().int().min(0).optional(),
  keywords: words("keyword").min(1, { error: "expected at least one keyword" }),
  entropy: z.number().min(0).max(8).optional(),
  before: z.number().int().min(0).optional(),
  after: z.number().int().min(0).optional(),
  near: text("a regular expression").optional(),
  requires: text("a literal").optional(),
  allow: words("regular expression").optional(),
  allowPaths: words("regular expression").optional(),
  paths: words("regular expression").optional(),
  stopwords: words("word").optional(),
});
export type ConfigRule = z.infer<typeof Rule>;

const FAIL_ON = [...WHERE, ...SEVERITIES] as const;

export const ConfigSchema = z.strictObject({
  version: z.literal(1, { error: "expected version: 1" }).optional(),
  secrets: z.record(z.string(), SecretSource, { error: "expected a map of ID: source" }).optional(),
  build: z
    .strictObject({
      context: text("a directory").optional(),
      file: text("a Dockerfile path").optional(),
      tags: z.union([text("a tag"), z.array(text("a tag"))], { error: "expected a tag or a list of tags" }).optional(),
      buildArgs: stringMap.optional(),
      labels: stringMap.optional(),
      target: text("a stage name").optional(),
      platform: text("a platform such as linux/amd64").optional(),
      push: z.boolean({ error: "expected true or false" }).optional(),
    })
    .optional(),
  scan: z
    .strictObject({
      failOn: z
        .union([z.enum(["any", "none", ...SEVERITIES]), z.array(z.enum(FAIL_ON)).min(1)], {
          error: `expected any, none, a severity (${SEVERITIES.join(", ")}: that or worse), or a list of ${FAIL_ON.join(", ")}`,
        })
        .optional(),
      rules: z.array(Rule, { error: "expected a list of rules ({id, regex, keywords, …})" }).optional(),
      rulesFile: text("a gitleaks-format TOML file").optional(),
      ignore: z.array(IgnoreRule, { error: "expected a list of {secret, path, reason}" }).optional(),
      notSearched: z.enum(["fail", "warn"], { error: "expected fail or warn" }).optional(),
    })
    .optional(),
});

export type ConfigFile = z.infer<typeof ConfigSchema>;
