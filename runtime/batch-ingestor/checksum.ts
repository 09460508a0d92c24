/**
 * Checksums computed while reading a source file: the SHA-256 of the whole file (kept with the object as metadata,
 * and the basis of idempotency) and the S3 checksum the server will report for the object once uploaded in parts of
 * a given size (SHA-256 of the parts' SHA-256 digests, suffixed `-N`; or the plain SHA-256 for a single part).
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

/** The digests of a file read in full. */
export interface FileDigests {
  /** Bytes read. */
  bytes: number;
  /** SHA-256 of the whole file, lowercase hex. */
  sha256: string;
  /** The `ChecksumSHA256` S3 reports for the object uploaded with this part size (base64, `-N` when multipart). */
  s3ChecksumSha256: string;
}

/** Accumulates the digests of a byte stream cut into parts of `partSize` bytes, as lib-storage cuts it. */
export class PartHasher {
  private readonly whole: Hash = createHash("sha256");
  private part: Hash = createHash("sha256");
  private partBytes = 0;
  private readonly partDigests: Buffer[] = [];
  private total = 0;

  /** Prepares for parts of `partSize` bytes. */
  constructor(private readonly partSize: number) {}

  /** Feeds the next bytes of the stream. */
  update(chunk: Buffer): void {
    this.whole.update(chunk);
    this.total += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(this.partSize - this.partBytes, chunk.length - offset);
      this.part.update(chunk.subarray(offset, offset + take));
      this.partBytes += take;
      offset += take;
      if (this.partBytes === this.partSize) {
        this.partDigests.push(this.part.digest());
        this.part = createHash("sha256");
        this.partBytes = 0;
      }
    }
  }

  /** The digests, once the whole stream was fed. */
  digest(): FileDigests {
    if (this.partBytes > 0 || this.partDigests.length === 0) this.partDigests.push(this.part.digest());
    const sha256 = this.whole.digest();
    const s3ChecksumSha256 =
      this.partDigests.length === 1
        ? sha256.toString("base64")
        : `${createHash("sha256").update(Buffer.concat(this.partDigests)).digest("base64")}-${this.partDigests.length}`;
    return { bytes: this.total, sha256: sha256.toString("hex"), s3ChecksumSha256 };
  }
}

/** A pass-through stream that feeds a {@link PartHasher} and reports the bytes seen so far. */
export function hashingTap(hasher: PartHasher, onBytes?: (bytes: number) => void): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hasher.update(chunk);
      seen += chunk.length;
      onBytes?.(seen);
      callback(null, chunk);
    },
  });
}

/** Reads a whole file and returns its digests for a given part size (streaming: memory stays bounded). */
export async function digestFile(path: string, partSize: number): Promise<FileDigests> {
  const hasher = new PartHasher(partSize);
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) hasher.update(chunk);
  });
  return hasher.digest();
}
