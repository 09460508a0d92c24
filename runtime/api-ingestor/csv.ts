/**
 * Streaming reader of the Raw CSVs (`|` separated, CRLF, `\N` for null, one row per title-artist pair): lines in,
 * typed rows out, so a 300 MB file is read with constant memory. Shared by the ApiIngestor and the TMDB stand-in.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { MOVIES_CSV_HEADER, SERIES_CSV_HEADER } from "../../lake/tables/trusted";

/** What a Raw CSV holds: `movies` (movies.csv) or `series` (series.csv). */
export type TitleKind = "movies" | "series";

/** The CSV's null marker. */
const NULL = "\\N";
const IMDB_ID = /^tt\d{7,8}$/;

/** The title fields of a Raw CSV row: what the CSV says about a title (the TMDB stand-in serves the same). */
export interface CsvTitle {
  imdbId: string;
  title: string;
  originalTitle: string;
  year: number | null;
  endYear: number | null;
  runtimeMinutes: number | null;
  genres: string[];
  rating: number | null;
  votes: number;
}

/** One data row of a Raw CSV, typed; title fields repeat on every artist row of the same title. */
export interface CsvRow extends CsvTitle {
  artistCategory: string | null;
  character: string | null;
  artistName: string | null;
  birthYear: number | null;
  professions: string[];
}

/** A row the reader refused, with its line number and why. */
export interface RejectedRow {
  line: number;
  reason: string;
}

/** The expected header of a kind's CSV. */
export function headerOf(kind: TitleKind): readonly string[] {
  return kind === "movies" ? MOVIES_CSV_HEADER : SERIES_CSV_HEADER;
}

function nullable(value: string | undefined): string | null {
  return value === undefined || value === NULL || value === "" ? null : value;
}

function int(value: string | undefined): number | null {
  const text = nullable(value);
  if (text === null) return null;
  const parsed = Number(text);
  return Number.isFinite(parsed) ? Math.trunc(parsed) : null;
}

function list(value: string | undefined): string[] {
  const text = nullable(value);
  return text === null ? [] : text.split(",").filter((item) => item !== "");
}

/** Parses one data line against the kind's header; returns the row or the reason it was refused. */
export function parseCsvLine(line: string, kind: TitleKind): CsvRow | string {
  const header = headerOf(kind);
  const fields = line.split("|");
  if (fields.length !== header.length) return `expected ${header.length} fields, found ${fields.length}`;
  const field = (name: string): string | undefined => fields[header.indexOf(name)];
  const imdbId = field("id") ?? "";
  if (!IMDB_ID.test(imdbId)) return `"${imdbId.slice(0, 20)}" is not an IMDb title id`;
  return {
    imdbId,
    title: nullable(field("tituloPincipal")) ?? "",
    originalTitle: nullable(field("tituloOriginal")) ?? nullable(field("tituloPincipal")) ?? "",
    year: int(field("anoLancamento")),
    endYear: kind === "series" ? int(field("anoTermino")) : null,
    runtimeMinutes: int(field("tempoMinutos")),
    genres: list(field("genero")),
    rating: nullable(field("notaMedia")) === null ? null : Number(field("notaMedia")),
    votes: int(field("numeroVotos")) ?? 0,
    artistCategory: nullable(field("generoArtista")),
    character: nullable(field("personagem")),
    artistName: nullable(field("nomeArtista")),
    birthYear: int(field("anoNascimento")),
    professions: list(field("profissao")),
  };
}

/**
 * Reads a CSV's lines, checks the header and yields typed rows; refused rows go to `onReject` (counted, never silently
 * dropped). A wrong header fails at once: the file is not the format we know.
 */
export async function* readCsvRows(
  lines: AsyncIterable<string>,
  kind: TitleKind,
  onReject: (rejected: RejectedRow) => void = () => {},
): AsyncGenerator<CsvRow> {
  let lineNumber = 0;
  for await (const raw of lines) {
    lineNumber += 1;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (lineNumber === 1) {
      const expected = headerOf(kind).join("|");
      if (line.replace(/^\uFEFF/, "") !== expected)
        throw new Error(`the ${kind} CSV's header is not "${expected}" (found "${line.slice(0, 200)}")`);
      continue;
    }
    if (line === "") continue;
    const row = parseCsvLine(line, kind);
    if (typeof row === "string") onReject({ line: lineNumber, reason: row });
    else yield row;
  }
}

/** The lines of a readable stream (CRLF or LF), without buffering the whole stream. */
export function linesOf(stream: Readable): AsyncIterable<string> {
  return createInterface({ input: stream, crlfDelay: Infinity });
}

/** The lines of a local file. */
export function fileLines(path: string): AsyncIterable<string> {
  return linesOf(createReadStream(path, { encoding: "utf8" }));
}
