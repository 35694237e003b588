const BASE64 = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_") BASE64[c.charCodeAt(0)] = 1;
/** a run shorter than this decodes to less than any token a rule finds (a 16-character base64 is 12 bytes) */
const MIN_RUN = 16;

/** One base64 run of a text, decoded; `from`: where its characters start in the text. */
export interface DecodedRun {
  readonly text: Buffer;
  readonly from: number;
}

/**
 * The base64 runs of a text, decoded: characters of either alphabet, across line breaks and the
 * indentation after them (a YAML block scalar, a value wrapped at 76 columns). The caller wipes
 * each run's bytes when done: they may hold a secret.
 */
export function decodedRuns(bytes: Buffer): DecodedRun[] {
  const runs: DecodedRun[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (BASE64[bytes[i]!] === 0) {
      i++;
      continue;
    }
    const from = i;
    let count = 0;
    let end = i;
    while (i < bytes.length) {
      if (BASE64[bytes[i]!] === 1) {
        count++;
        end = ++i;
        continue;
      }
      if (bytes[i] !== 0x0a && bytes[i] !== 0x0d) break;
      // a line break continues the run only when base64 follows it, after any indentation
      let j = i + 1;
      while (j < bytes.length && (bytes[j] === 0x20 || bytes[j] === 0x09 || bytes[j] === 0x0a || bytes[j] === 0x0d)) j++;
      if (j >= bytes.length || BASE64[bytes[j]!] === 0) break;
      i = j;
    }
    // node's decoder skips the line breaks and blanks inside, and takes either alphabet
    if (count >= MIN_RUN) runs.push({ text: Buffer.from(bytes.toString("latin1", from, end), "base64"), from });
  }
  return runs;
}
