import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./cli.js";

/** Third-party archives beside the project (never copied into it), with independently recomputed facts. */
export const peerImagesDir = path.resolve(repoRoot, "../shared/peer-images");

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
