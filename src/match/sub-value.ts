import type { Encoding } from "./variant.js";

/** A piece of a structured secret that is a secret on its own. */
export interface SubValue {
  readonly encoding: Extract<Encoding, "field" | "pem" | "key-material">;
  readonly bytes: Buffer;
}
