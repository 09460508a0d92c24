/**
 * Groups fetched records into Raw files: pure logic, no I/O. A file is a JSON array of TMDB detail objects exactly
 * as TMDB returned them (what Spark reads with `multiLine`), of at most 100 records and strictly under 10 MB, both
 * checked on the serialized bytes. One batcher per structure, so movie and TV details never share a file.
 */

/** The file limits. */
export interface FileLimits {
  /** Records per file (at most 100). */
  maxRecords: number;
  /** Serialized bytes per file, exclusive (under 10 MB). */
  maxBytes: number;
}

/** The limits: at most 100 records, under 10 MB (10,000,000 bytes, the stricter reading of "MB"). */
export const DEFAULT_FILE_LIMITS: FileLimits = { maxRecords: 100, maxBytes: 10_000_000 };

/** One fetched record: the IMDb id it was selected by and TMDB's body text. */
export interface BatchRecord {
  imdbId: string;
  body: string;
}

/** A file ready to write. */
export interface FileBatch {
  imdbIds: string[];
  /** The serialized JSON array. */
  text: string;
  bytes: number;
}

const OPEN = "[\n";
const SEPARATOR = ",\n";
const CLOSE = "\n]\n";

/** The exact size of a file holding `count` records whose bodies total `bodyBytes`. */
export function fileBytes(count: number, bodyBytes: number): number {
  return OPEN.length + bodyBytes + SEPARATOR.length * Math.max(0, count - 1) + CLOSE.length;
}

/** Serializes records into a file, checking both limits on the actual bytes (throws if a caller broke them). */
export function serializeBatch(records: BatchRecord[], limits: FileLimits): FileBatch {
  const text = OPEN + records.map((record) => record.body).join(SEPARATOR) + CLOSE;
  const bytes = Buffer.byteLength(text, "utf8");
  if (records.length === 0 || records.length > limits.maxRecords || bytes >= limits.maxBytes)
    throw new Error(
      `refusing to write a file of ${records.length} records and ${bytes} bytes: outside the file limits`,
    );
  return { imdbIds: records.map((record) => record.imdbId), text, bytes };
}

/** What {@link FileBatcher.add} did with a record. */
export type AddResult = { accepted: true; completed: FileBatch[] } | { accepted: false; reason: string };

/** Accumulates records of one structure and hands out full files. */
export class FileBatcher {
  private records: BatchRecord[] = [];
  private bodyBytes = 0;

  constructor(private readonly limits: FileLimits = DEFAULT_FILE_LIMITS) {
    if (limits.maxRecords < 1 || limits.maxRecords > 100)
      throw new Error(`maxRecords must be 1-100 (got ${limits.maxRecords})`);
  }

  /** Adds a record; returns the files it completed, or refuses a record that alone would not fit in a file. */
  add(record: BatchRecord): AddResult {
    const size = Buffer.byteLength(record.body, "utf8");
    if (fileBytes(1, size) >= this.limits.maxBytes)
      return {
        accepted: false,
        reason: `record of ${size} bytes does not fit in a file under ${this.limits.maxBytes} bytes`,
      };
    const completed: FileBatch[] = [];
    if (this.records.length > 0 && fileBytes(this.records.length + 1, this.bodyBytes + size) >= this.limits.maxBytes) {
      completed.push(this.take());
    }
    this.records.push(record);
    this.bodyBytes += size;
    if (this.records.length >= this.limits.maxRecords) completed.push(this.take());
    return { accepted: true, completed };
  }

  /** The records held so far as a last (smaller) file, or null when empty. */
  flush(): FileBatch | null {
    return this.records.length > 0 ? this.take() : null;
  }

  /** Records held and not yet handed out. */
  get pending(): number {
    return this.records.length;
  }

  private take(): FileBatch {
    const batch = serializeBatch(this.records, this.limits);
    this.records = [];
    this.bodyBytes = 0;
    return batch;
  }
}
