/**
 * Checksums computed while reading a source file: the SHA-256 of the whole file (kept with the object as metadata,
 * the basis of idempotency) and the CRC32 checksum S3 reports for the stored object once uploaded in parts of a given
 * size (the CRC32 of the parts' CRC32s, suffixed `-N`; the plain CRC32 for a single part), so the stored bytes can be
 * compared with the source's without reading them back. CRC32 rather than SHA-256 for the parts: it costs little on
 * both sides, and the server checks each part's on receipt.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import * as zlib from "node:zlib";

/** The digests of a file read in full. */
export interface FileDigests {
  /** Bytes read. */
  bytes: number;
  /** SHA-256 of the whole file, lowercase hex. */
  sha256: string;
  /** S3's `ChecksumCRC32` of the object uploaded in parts of the given size: base64, `-N` when multipart. */
  s3Crc32: string;
}

let table: Uint32Array | undefined;

/** CRC32 (IEEE) continued from `previous`; zlib's native one when Node has it (>= 20.15 / 22.2), else a table. */
export function crc32(data: Uint8Array, previous = 0): number {
  const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if (native) return native(data, previous);
  if (!table) {
    table = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let j = 0; j < 8; j++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[i] = c >>> 0;
    }
  }
  let crc = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) crc = (table[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** A CRC32 value in S3's form: base64 of its 4 big-endian bytes. */
export function crc32Base64(value: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes.toString("base64");
}

/** Reads a whole file (streaming: memory stays bounded) and returns its size, SHA-256 and S3 CRC32 for `partSize`. */
export async function digestFile(path: string, partSize: number): Promise<FileDigests> {
  const sha256 = createHash("sha256");
  const partCrcs: number[] = [];
  let crc = 0;
  let inPart = 0;
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    sha256.update(chunk);
    bytes += chunk.length;
    // Cut exactly where lib-storage cuts the parts: every partSize bytes.
    for (let offset = 0; offset < chunk.length;) {
      const take = Math.min(partSize - inPart, chunk.length - offset);
      crc = crc32(chunk.subarray(offset, offset + take), crc);
      inPart += take;
      offset += take;
      if (inPart === partSize) {
        partCrcs.push(crc);
        crc = 0;
        inPart = 0;
      }
    }
  }
  if (inPart > 0 || partCrcs.length === 0) partCrcs.push(crc);
  let s3Crc32 = crc32Base64(partCrcs[0] as number);
  if (partCrcs.length > 1) {
    const concatenated = Buffer.alloc(4 * partCrcs.length);
    partCrcs.forEach((value, index) => concatenated.writeUInt32BE(value >>> 0, 4 * index));
    s3Crc32 = `${crc32Base64(crc32(concatenated))}-${partCrcs.length}`;
  }
  return { bytes, sha256: sha256.digest("hex"), s3Crc32 };
}
