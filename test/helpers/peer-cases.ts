import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./cli.js";

/**
 * Third-party archives beside the project (never copied into it), with independently recomputed
 * facts. One setting says where: `SAFEBUILD_PEER_IMAGES`, else the workspace's ../shared/peer-images.
 */
export const peerImagesDir = path.resolve(repoRoot, process.env["SAFEBUILD_PEER_IMAGES"] || "../shared/peer-images");

/**
 * A clone on its own has no corpus: its suites skip with one printed line. Under CI=true they run
 * whatever is there, so a missing corpus fails (loadPeerCases throws) instead of passing on nothing.
 */
export function peerSuitesRun(suite: string): boolean {
  if (process.env["CI"] === "true" || existsSync(path.join(peerImagesDir, "cases.json"))) return true;
  console.log(`${suite}: skipped, no peer-image corpus at ${peerImagesDir} (set SAFEBUILD_PEER_IMAGES to run it)`);
  return false;
}

export interface PeerPlace {
  readonly where: string;
  readonly layerIndex: number | null;
  readonly path: string;
  readonly deleted?: boolean;
  readonly image?: number;
}
export interface PeerNeedle extends PeerPlace {
  readonly value: string;
  readonly occurrences?: readonly PeerPlace[];
}
export interface PeerCase {
  readonly file: string;
  readonly needles?: readonly PeerNeedle[];
  readonly clean?: readonly string[];
  readonly expect?: { readonly exitCode: number };
  readonly multiImage?: boolean;
}

/** cases.json; a missing file throws, so the peer suites fail rather than pass on nothing. */
export function loadPeerCases(): PeerCase[] {
  return JSON.parse(readFileSync(path.join(peerImagesDir, "cases.json"), "utf8")) as PeerCase[];
}
