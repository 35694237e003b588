import { join } from "node:path";
import type { CloudFamily } from "../secrets/child-env.js";
import { dockerConfigDir, readJson } from "./context.js";

/** Credential helpers that read a cloud's keys from their environment, by the helper's name. */
const HELPER_CLOUDS: ReadonlyMap<string, CloudFamily> = new Map([
  ["ecr-login", "aws"],
  ["gcr", "gcp"],
  ["gcloud", "gcp"],
  ["acr-env", "azure"],
]);

/**
 * The clouds whose keys the build child keeps: those of a credential helper the docker config
 * names (`credsStore`, `credHelpers`), which pulls base images and pushes with them. Others
 * never reach docker (docs/child-processes.md).
 */
export function buildClouds(env: NodeJS.ProcessEnv): Set<CloudFamily> {
  const config = readJson(join(dockerConfigDir(env), "config.json")) as { credsStore?: unknown; credHelpers?: unknown } | undefined;
  const helpers = [config?.credsStore, ...Object.values(isRecord(config?.credHelpers) ? config.credHelpers : {})];
  const clouds = new Set<CloudFamily>();
  for (const helper of helpers) {
    const cloud = typeof helper === "string" ? HELPER_CLOUDS.get(helper) : undefined;
    if (cloud !== undefined) clouds.add(cloud);
  }
  return clouds;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
