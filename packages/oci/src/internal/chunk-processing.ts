/** The parts of Node's zlib stream that `_processChunk` (kept "for backwards compatibility") uses. */
export interface ChunkProcessing {
  _processChunk: (chunk: Buffer, flush: number, cb: () => void) => void;
  _outBuffer: Buffer;
  _outOffset: number;
  _chunkSize: number;
  push(chunk: Buffer | null): boolean;
}

/** `stream` as one whose `_processChunk` can be driven, or undefined when this node lacks those internals. */
export function chunkProcessing<T extends object>(stream: T): (T & ChunkProcessing) | undefined {
  const d = stream as T & Partial<ChunkProcessing>;
  return typeof d._processChunk === 'function' &&
    Buffer.isBuffer(d._outBuffer) &&
    typeof d._outOffset === 'number' &&
    typeof d._chunkSize === 'number'
    ? (d as T & ChunkProcessing)
    : undefined;
}
