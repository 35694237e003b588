/**
 * What a scan tells a progress indicator (report/progress.ts draws it). Sources call what they
 * know: the engine its image's size before the export starts, an archive file its size, an
 * OCI layout its layers' sizes; every source each layer as it starts and the bytes read.
 */
export interface ScanProgress {
  /** The bytes and layers to read, as far as known; `exporting`: the engine prepares the export first. */
  expect(total: { readonly bytes?: number | undefined; readonly layers?: number | undefined; readonly exporting?: boolean }): void;
  /** One more layer started. */
  layer(): void;
  /** Bytes read so far (called often: the indicator throttles). */
  read(bytesRead: number): void;
}
