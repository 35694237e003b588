import { ownJsonKeys } from "../redact/own-words.js";
import { createHash } from "node:crypto";
import { SECRET_SCOPE, type Finding, type FindingWhere } from "../scan/findings/finding.js";
import type { IgnoredFinding, ReportInput, Writer } from "./report-input.js";
import { notSearchedJson } from "./json.js";
import { precheckResults, precheckRuleDescriptors } from "./sarif-prechecks.js";

const SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI = "https://github.com/safebuild/safebuild";
const FINGERPRINT_KEY = "safebuildFinding/v1";

interface RuleText {
  readonly name: string;
  readonly short: string;
  readonly help: string;
}

/** One rule per place a value can hide, so code scanning groups alerts by how to fix them. */
const rules: Record<FindingWhere, RuleText> = {
  file: {
    name: "SecretInFileContents",
    short: "A build secret is in the contents of a file in an image layer",
    help: "Mount the secret with `RUN --mount=type=secret,id=ID` and use it within that RUN only. Never COPY it or copy it out of /run/secrets: a file deleted in a later layer still ships in the lower layer.",
  },
  path: {
    name: "SecretInFileName",
    short: "A build secret is in a file name in an image layer",
    help: "Never create files named after a secret value; use `RUN --mount=type=secret` to hand the secret to the build.",
  },
  linkname: {
    name: "SecretInLinkTarget",
    short: "A build secret is in a symlink or hardlink target in an image layer",
    help: "Never create links whose target is made from a secret value; use `RUN --mount=type=secret` to hand the secret to the build.",
  },
  env: {
    name: "SecretInEnv",
    short: "A build secret is in the image's ENV",
    help: "Never pass secrets with ENV: the value is stored in the image config for anyone who pulls it. Use `RUN --mount=type=secret` during the build and inject runtime secrets at run time.",
  },
  label: {
    name: "SecretInLabel",
    short: "A build secret is in an image LABEL",
    help: "Never put secrets in a LABEL: labels are stored in the image config.",
  },
  history: {
    name: "SecretInHistory",
    short: "A build secret is in the image history (a build arg or RUN line)",
    help: "Never pass secrets with ARG or --build-arg: every RUN after the ARG records the value in the image history. Use `RUN --mount=type=secret`.",
  },
  config: {
    name: "SecretInConfig",
    short: "A build secret is in the image config",
    help: "Keep secrets out of CMD, ENTRYPOINT and every other field of the image config.",
  },
  annotation: {
    name: "SecretInAnnotation",
    short: "A build secret is in an OCI annotation of the image index or a manifest",
    help: "Never put secrets in --annotation or label values: annotations are stored in the image index and manifests for anyone who pulls it.",
  },
  attestation: {
    name: "SecretInAttestation",
    short: "A build secret is in a build attestation (provenance or SBOM) of the image",
    help: "Never pass secrets as build arguments: BuildKit records them in the provenance attestation that ships with the image. Use `RUN --mount=type=secret`.",
  },
  manifest: {
    name: "SecretInManifest",
    short: "A build secret is in the image index or a manifest (a field other than annotations)",
    help: "Keep secrets out of the image's manifests and index (descriptor URLs, subjects, custom fields): they are published with the image for anyone who pulls it.",
  },
};

const whereKinds = Object.keys(rules) as FindingWhere[];
const ruleId = (where: FindingWhere): string => `secret-in-${where}`;

/** SARIF 2.1.0 for GitHub code scanning: one result per finding, ignored ones as suppressed results. */
export const writeSarif: Writer = (input) => {
  const active = input.result.findings.map((finding) => result(input, finding, undefined));
  const ignored = (input.ignored ?? []).map((i) => result(input, i, i));
  // build only: the checks before the builder, their rules after the image's
  const checks = input.prechecks === undefined ? [] : precheckResults(input.prechecks, whereKinds.length, artifactUri(input), uriOf);
  const sarif = {
    $schema: SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "safebuild",
            version: input.toolVersion,
            semanticVersion: input.toolVersion,
            informationUri: INFORMATION_URI,
            rules: whereKinds.map((where): Record<string, unknown> => ({
              id: ruleId(where),
              name: rules[where].name,
              shortDescription: { text: rules[where].short },
              fullDescription: { text: `${rules[where].short}. ${rules[where].help}` },
              help: { text: rules[where].help, markdown: rules[where].help },
              defaultConfiguration: { level: "error" },
              properties: { tags: ["security", "secret"], precision: "very-high", "security-severity": "9.0" },
            })).concat(input.prechecks === undefined ? [] : precheckRuleDescriptors()),
          },
        },
        results: [...active, ...ignored, ...checks],
        // content the scan could not read in full, and each warning: a notification each, so a viewer shows it next to the results
        ...(input.result.notSearched.length === 0 && input.result.warnings.length === 0
          ? {}
          : {
              invocations: [
                {
                  executionSuccessful: true,
                  toolExecutionNotifications: [
                    ...input.result.notSearched.map((n) => ({
                      level: "error",
                      descriptor: { id: "not-searched" },
                      message: { text: n.scope === SECRET_SCOPE ? `Not searched: ${n.reason}` : `Not searched${n.scope === undefined ? "" : ` by ${n.scope}`}: ${n.path}${n.layer === null ? "" : ` in layer ${n.layer.index} (${n.layer.digest})`}: ${n.reason}` },
                      locations: [{ logicalLocations: [...(n.layer === null ? [] : [{ name: `layer ${n.layer.index}`, fullyQualifiedName: n.layer.digest, kind: "module" }]), { name: n.path, kind: "resource" }] }],
                    })),
                    ...input.result.warnings.map((w) => ({ level: "warning", descriptor: { id: "warning" }, message: { text: w } })),
                  ],
                },
              ],
            }),
        properties: {
          image: { ref: input.result.image.ref, id: input.result.image.id },
          stats: { ...input.result.stats },
          notSearched: input.result.notSearched.map(notSearchedJson),
        },
      },
    ],
  };
  ownJsonKeys(sarif);
  return `${JSON.stringify(sarif, null, 2)}\n`;
};

function result(input: ReportInput, f: Finding, ignored: IgnoredFinding | undefined): Record<string, unknown> {
  return {
    ruleId: ruleId(f.where),
    ruleIndex: whereKinds.indexOf(f.where),
    level: "error",
    message: { text: message(input, f) },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: f.dockerfile === undefined ? artifactUri(input) : uriOf(f.dockerfile.path) },
          region: { startLine: f.dockerfile?.line ?? 1 },
        },
        logicalLocations: logicalLocations(f),
      },
    ],
    partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(f) },
    ...(ignored === undefined
      ? {}
      : { suppressions: [{ kind: "external", status: "accepted", justification: ignored.reason }] }),
    properties: {
      secret: f.secret,
      rule: f.rule,
      where: f.where,
      encoding: f.encoding,
      deleted: f.deleted,
      ...(f.visibleAt === undefined ? {} : { visibleAt: f.visibleAt }),
      layer: f.layer === null ? null : { index: f.layer.index, digest: f.layer.digest },
      path: f.path,
      ...(f.image === undefined ? {} : { image: f.image }),
      ...(f.platform === undefined ? {} : { platform: f.platform }),
      ...(f.predicateType === undefined ? {} : { predicateType: f.predicateType }),
      ...(f.referrer === undefined ? {} : { referrer: f.referrer }),
      ...(f.container === undefined ? {} : { container: f.container }),
      ...(f.dockerfile === undefined ? {} : { dockerfile: f.dockerfile }),
      ...(f.rule === null ? {} : { severity: f.severity ?? null, preview: f.preview ?? null, fingerprint: f.fingerprint ?? null }),
    },
  };
}

function message(input: ReportInput, f: Finding): string {
  const what = f.secret === null ? `A match of rule '${f.rule ?? "?"}'${f.preview === undefined ? "" : ` (${f.preview})`}` : `Secret '${f.secret}'`;
  const which = [f.image === undefined ? "" : `image ${f.image}`, f.platform ?? ""].filter(Boolean).join(", ");
  const image = which === "" ? input.result.image.ref : `${input.result.image.ref} (${which})`;
  const layer = f.layer !== null ? `layer ${f.layer.index} (${f.layer.digest})` : f.where === "annotation" || f.where === "manifest" ? "the image index or a manifest" : f.where === "attestation" ? `an attestation${f.predicateType === undefined ? "" : ` (${f.predicateType})`}` : "the image config";
  const attached = f.referrer === undefined ? "" : ` attached to ${f.referrer.subject} as ${f.referrer.manifest} (${f.referrer.via})`;
  const createdBy = f.layer?.createdBy ? `, created by: ${f.layer.createdBy}` : "";
  const deleted = f.deleted ? " It is deleted in a later layer but still ships in this one." : "";
  const visible = f.visibleAt === undefined ? "" : ` Still visible in the final filesystem at: ${f.visibleAt.join(", ")}.`;
  const inside = f.container === undefined ? "" : ` (inside the ${f.container} file)`;
  return `${what} (${f.encoding}) is ${rules[f.where].short.replace(/^A build secret is /, "")}: ${f.path}${inside} in ${layer}${attached} of ${image}${createdBy}.${deleted}${visible}`;
}

/** The Dockerfile when known (alerts land on it), else the image: it is what was scanned. */
function artifactUri(input: ReportInput): string {
  return uriOf(input.dockerfile ?? input.result.image.ref);
}

/**
 * A URI reference (RFC 3986): `?` and `#` in a name are data, not a query or fragment, and a
 * first segment with a colon that is no scheme (`127.0.0.1:5000/app`) is written `./…`.
 */
const uriOf = (target: string): string => {
  const uri = encodeURI(target.replace(/\\/g, "/").replace(/^\.\//, "")).replace(/[?#]/g, (c) => encodeURIComponent(c));
  return /^[^/]*:/.test(uri) && !/^[a-z][a-z0-9+.-]*:/i.test(uri) ? `./${uri}` : uri;
};

function logicalLocations(f: Finding): Record<string, unknown>[] {
  const layer =
    f.layer === null
      ? { name: f.where === "annotation" || f.where === "attestation" || f.where === "manifest" ? f.where : "config", kind: "module" }
      : { name: `layer ${f.layer.index}`, fullyQualifiedName: f.layer.digest, kind: "module" };
  return [layer, { name: f.path, fullyQualifiedName: `${layer.name}/${f.path}`, kind: "resource" }];
}

/** Stable across runs and rebuilds that leak the same way; a hash, so it carries nothing readable. */
export function fingerprint(f: Finding): string {
  const parts = [f.secret ?? `rule:${f.rule ?? ""}`, f.where, f.layer?.digest ?? "config", f.path, f.encoding];
  if (f.image !== undefined) parts.push(`image:${f.image}`);
  if (f.platform !== undefined) parts.push(`platform:${f.platform}`);
  if (f.container !== undefined) parts.push(`in:${f.container}`);
  if (f.referrer !== undefined) parts.push(`referrer:${f.referrer.manifest}`);
  return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}
