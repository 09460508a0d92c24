/**
 * Checks a source file before anything is written: it must be a readable, non-empty regular file whose first line is
 * the expected pipe-separated header and which has at least one data row with as many fields. Only the beginning of
 * the file is read here; rows are never filtered or changed.
 */
import { open, stat } from "node:fs/promises";
import { MOVIES_CSV_HEADER, SERIES_CSV_HEADER } from "../../lake/tables/trusted";

/** The two files the BatchIngestor loads. */
export type SourceKind = "movies" | "series";

/** The expected header of each file, from the table registry. */
export const EXPECTED_HEADERS: Readonly<Record<SourceKind, readonly string[]>> = {
  movies: MOVIES_CSV_HEADER,
  series: SERIES_CSV_HEADER,
};

/** How much of the file is inspected: enough for the header and the first data row. */
export const INSPECT_BYTES = 64 * 1024;

/** A source file the BatchIngestor refuses, with a message that says what is wrong and what to do. */
export class SourceFileError extends Error {
  override name = "SourceFileError";
}

function describeOther(fields: string[]): SourceKind | null {
  for (const kind of ["movies", "series"] as const) {
    if (fields.join("|") === EXPECTED_HEADERS[kind].join("|")) return kind;
  }
  return null;
}

/**
 * Checks the first bytes of a file (pure: no I/O) and throws a {@link SourceFileError} when it is not the expected
 * CSV. `complete` tells whether `head` holds the whole file.
 */
export function checkHead(head: Buffer, kind: SourceKind, label: string, complete: boolean): void {
  const expected = EXPECTED_HEADERS[kind];
  if (head.length === 0) throw new SourceFileError(`${label} is empty: expected the ${kind} CSV with its header`);
  if (head[0] === 0x1f && head[1] === 0x8b)
    throw new SourceFileError(`${label} is gzip-compressed: decompress it first (the lake keeps the plain CSV)`);
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf)
    throw new SourceFileError(`${label} starts with a UTF-8 byte order mark: save it as UTF-8 without BOM`);
  if (head.includes(0))
    throw new SourceFileError(`${label} looks binary (it contains NUL bytes): expected the ${kind} CSV (UTF-8 text)`);
  let text: string;
  try {
    // Cut at the last line break so a multi-byte character split by the read window does not count as invalid.
    const lastBreak = head.lastIndexOf(0x0a);
    const whole = complete || lastBreak < 0 ? head : head.subarray(0, lastBreak + 1);
    text = new TextDecoder("utf-8", { fatal: true }).decode(whole);
  } catch {
    throw new SourceFileError(`${label} is not valid UTF-8 text: expected the ${kind} CSV (UTF-8, pipe-separated)`);
  }
  const firstBreak = text.indexOf("\n");
  if (firstBreak < 0 && !complete)
    throw new SourceFileError(
      `${label} has no line break in its first ${INSPECT_BYTES / 1024} KiB: expected the ${kind} CSV with one row per line`,
    );
  const headerLine = (firstBreak < 0 ? text : text.slice(0, firstBreak)).replace(/\r$/, "");
  const fields = headerLine.split("|");
  if (fields.length === 1) {
    const delimiter = [",", ";", "\t"].find((candidate) => headerLine.includes(candidate));
    throw new SourceFileError(
      delimiter
        ? `${label} uses ${JSON.stringify(delimiter)} as its delimiter: the ${kind} CSV is separated by "|"`
        : `${label} does not start with the ${kind} CSV header (${expected.length} "|"-separated columns): got "${headerLine.slice(0, 80)}"`,
    );
  }
  const other = describeOther(fields);
  if (other && other !== kind)
    throw new SourceFileError(
      `${label} holds the ${other} CSV (${fields.length} columns), not the ${kind} CSV (${expected.length} columns): ` +
        `are the movies and series files swapped?`,
    );
  if (fields.length !== expected.length)
    throw new SourceFileError(
      `${label} has ${fields.length} columns in its header, the ${kind} CSV has ${expected.length}: ${expected.join("|")}`,
    );
  const mismatch = expected.findIndex((name, index) => fields[index] !== name);
  if (mismatch >= 0)
    throw new SourceFileError(
      `${label}: header column ${mismatch + 1} is "${fields[mismatch]}", expected "${expected[mismatch]}" ` +
        `(the ${kind} header is ${expected.join("|")})`,
    );
  const rest = firstBreak < 0 ? "" : text.slice(firstBreak + 1);
  const firstRow = rest.split("\n", 1)[0]?.replace(/\r$/, "") ?? "";
  if (firstRow === "") throw new SourceFileError(`${label} has a header but no data rows: nothing to ingest`);
  const rowFields = firstRow.split("|").length;
  if (rowFields !== expected.length && (rest.includes("\n") || complete))
    throw new SourceFileError(
      `${label}: its first data row has ${rowFields} fields, the header has ${expected.length}: not a valid ${kind} CSV`,
    );
}

/** What the inspection found out about a source file. */
export interface SourceInfo {
  /** The path as given. */
  path: string;
  /** Its size in bytes. */
  bytes: number;
}

/** Checks a source file on disk (exists, regular, readable, expected header) and returns its size. */
export async function inspectSource(path: string, kind: SourceKind): Promise<SourceInfo> {
  const label = `${kind} file ${path}`;
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw fileError(error, label, kind);
  }
  if (info.isDirectory())
    throw new SourceFileError(`${label} is a directory: give the path of the ${kind} CSV file itself`);
  if (!info.isFile()) throw new SourceFileError(`${label} is not a regular file (a device, pipe or socket)`);
  let head: Buffer;
  try {
    const handle = await open(path, "r");
    try {
      const buffer = Buffer.alloc(Math.min(INSPECT_BYTES, info.size));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw fileError(error, label, kind);
  }
  checkHead(head, kind, label, info.size <= INSPECT_BYTES);
  return { path, bytes: info.size };
}

function fileError(error: unknown, label: string, kind: SourceKind): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT" || code === "ENOTDIR")
    return new SourceFileError(`${label} does not exist: put ${kind}.csv there or pass --${kind} PATH`);
  if (code === "EACCES" || code === "EPERM")
    return new SourceFileError(`${label} is not readable (permission denied): check its permissions`);
  return new SourceFileError(`${label} cannot be read: ${(error as Error).message}`);
}
