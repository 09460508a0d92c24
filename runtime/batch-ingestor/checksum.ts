/**
 * Checksums computed while reading a source file: the SHA-256 of the whole file (kept with the object as its `sha256`
 * tag, the basis of idempotency) and the CRC32 checksum S3 reports for the stored object once uploaded in parts of a given
 * size (the CRC32 of the parts' CRC32s, suffixed `-N`; the plain CRC32 for a single part), so the stored bytes can be
 * compared with the source's without reading them back. CRC32 rather than SHA-256 for the parts: it costs little on
 * both sides, and the server checks each part's on receipt. The CRC32 itself is Node's (`zlib.crc32`, IEEE, the one
 * S3 uses; Node >= 22.2, and the project runs on Node 24, the Lambda on nodejs24.x, the container on node:22).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Transform, type TransformCallback } from "node:stream";
import { crc32 } from "node:zlib";

/** The digests of a file read in full. */
export interface FileDigests {
  /** Bytes read. */
  bytes: number;
  /** SHA-256 of the whole file, lowercase hex. */
  sha256: string;
  /** S3's `ChecksumCRC32` of the object uploaded in parts of the given size: base64, `-N` when multipart. */
  s3Crc32: string;
}

/** A CRC32 value in S3's form: base64 of its 4 big-endian bytes. */
export function crc32Base64(value: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes.toString("base64");
}

/** Accumulates a file's digests chunk by chunk, cutting the CRC32 parts exactly where lib-storage cuts them. */
export class DigestAccumulator {
  private readonly hash = createHash("sha256");
  private readonly partCrcs: number[] = [];
  private crc = 0;
  private inPart = 0;
  private bytes = 0;
  private finished: number[] | undefined;

  /** Prepares the digests of an upload in parts of `partSize` bytes. */
  constructor(private readonly partSize: number) {}

  /** Adds the next chunk of the file. */
  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    // lib-storage cuts a part every partSize bytes, whatever the chunks the stream delivers.
    for (let offset = 0; offset < chunk.length;) {
      const take = Math.min(this.partSize - this.inPart, chunk.length - offset);
      this.crc = crc32(chunk.subarray(offset, offset + take), this.crc);
      this.inPart += take;
      offset += take;
      if (this.inPart === this.partSize) {
        this.partCrcs.push(this.crc);
        this.crc = 0;
        this.inPart = 0;
      }
    }
  }

  /** The CRC32 of part `partNumber` (from 1) once all its bytes were added (the last part's once digested). */
  partCrc32(partNumber: number): number | undefined {
    return (this.finished ?? this.partCrcs)[partNumber - 1];
  }

  /** The digests of everything added; call once, at the end. */
  digest(): FileDigests {
    const partCrcs = [...this.partCrcs];
    if (this.inPart > 0 || partCrcs.length === 0) partCrcs.push(this.crc);
    this.finished = partCrcs;
    let s3Crc32 = crc32Base64(partCrcs[0] as number);
    if (partCrcs.length > 1) {
      const concatenated = Buffer.alloc(4 * partCrcs.length);
      partCrcs.forEach((value, index) => concatenated.writeUInt32BE(value >>> 0, 4 * index));
      s3Crc32 = `${crc32Base64(crc32(concatenated))}-${partCrcs.length}`;
    }
    return { bytes: this.bytes, sha256: this.hash.digest("hex"), s3Crc32 };
  }
}

/**
 * A pass-through stream that digests the bytes flowing to the upload, so the file is read once: what is hashed is
 * exactly what was sent. `digests` resolves when the stream has ended (all bytes passed through).
 */
export class DigestTap extends Transform {
  private readonly accumulator: DigestAccumulator;
  private result: FileDigests | undefined;

  /** A tap for an upload in parts of `partSize` bytes. */
  constructor(partSize: number) {
    super({ highWaterMark: 1 << 20 });
    this.accumulator = new DigestAccumulator(partSize);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.accumulator.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.result = this.accumulator.digest();
    callback();
  }

  /** The CRC32 of upload part `partNumber` (from 1), in S3's base64 form, once all its bytes have passed. */
  partChecksum(partNumber: number): string | undefined {
    const value = this.accumulator.partCrc32(partNumber);
    return value === undefined ? undefined : crc32Base64(value);
  }

  /** The digests of every byte that passed; throws if the stream has not ended (the upload did not read it all). */
  digests(): FileDigests {
    if (!this.result) throw new Error("the digest tap has not seen the end of the file");
    return this.result;
  }
}

/** Reads a whole file (streaming: memory stays bounded) and returns its size, SHA-256 and S3 CRC32 for `partSize`. */
export async function digestFile(path: string, partSize: number): Promise<FileDigests> {
  const accumulator = new DigestAccumulator(partSize);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>)
    accumulator.update(chunk);
  return accumulator.digest();
}
