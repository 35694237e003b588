declare module "seek-bzip" {
  interface OutputStream {
    writeByte(byte: number): void;
  }
  const Bunzip: {
    decode(input: Uint8Array, output: OutputStream, multistream?: boolean): void;
    /** One block: `input` starts with a stream header ("BZhN"), the block at bit `pos`. */
    decodeBlock(input: Uint8Array, pos: number, output: OutputStream): void;
  };
  export default Bunzip;
}
