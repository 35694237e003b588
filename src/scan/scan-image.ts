import type { ResolvedSecret } from "../secrets/secret.js";
import type { ScanResult } from "./finding.js";
import { inputError } from "../errors.js";

export interface ScanRequest {
  /** An engine reference (`app:1`, `sha256:…`), a path, or a prefixed ref (`oci:DIR`, `docker-archive:FILE`…). */
  readonly ref: string;
  readonly secrets: readonly ResolvedSecret[];
  readonly platform?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly signal?: AbortSignal | undefined;
  /** Called now and then with bytes read so far, for a progress indicator. */
  readonly onProgress?: ((bytesRead: number) => void) | undefined;
}

export async function scanImage(request: ScanRequest): Promise<ScanResult> {
  throw inputError(`scan of ${request.ref}: not implemented yet`);
}
