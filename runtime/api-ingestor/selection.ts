/**
 * Which titles a run fetches: pure selection over streamed CSV rows (kind, genres, year range, minimum votes, limit),
 * one id per title although the CSV has a row per title-artist pair. Memory stays O(limit): only the best candidates
 * so far are kept, the most voted first.
 */
import { readCsvRows, type CsvRow, type RejectedRow, type TitleKind } from "./csv";

export type { TitleKind } from "./csv";

/** The selection criteria. */
export interface Selection {
  /** `movies`, `series` or `all`. */
  kind: TitleKind | "all";
  /** IMDb genres; a title matches if it has any of them. Empty: every genre. */
  genres: string[];
  /** First release year (inclusive). */
  yearFrom?: number;
  /** Last release year (inclusive). */
  yearTo?: number;
  /** Minimum IMDb vote count. */
  minVotes: number;
  /** At most this many titles (the most voted first, ties by id). */
  limit: number;
}

/** A selected title: what the fetcher needs. */
export interface SelectedTitle {
  imdbId: string;
  kind: TitleKind;
  votes: number;
}

/** What selection read and chose. */
export interface SelectionResult {
  titles: SelectedTitle[];
  rowsRead: number;
  rejectedRows: number;
  /** The first few refused rows, for the run report. */
  rejectedSamples: RejectedRow[];
}

/** Whether a title's row matches the criteria (kind is checked by the caller, who knows the file). */
export function matchesSelection(row: CsvRow, selection: Selection): boolean {
  if (row.votes < selection.minVotes) return false;
  if (selection.yearFrom !== undefined && (row.year === null || row.year < selection.yearFrom)) return false;
  if (selection.yearTo !== undefined && (row.year === null || row.year > selection.yearTo)) return false;
  if (selection.genres.length > 0) {
    const wanted = new Set(selection.genres.map((genre) => genre.toLowerCase()));
    if (!row.genres.some((genre) => wanted.has(genre.toLowerCase()))) return false;
  }
  return true;
}

/** Orders titles the most voted first, then by kind and id, so selection is deterministic. */
export function compareTitles(a: SelectedTitle, b: SelectedTitle): number {
  return b.votes - a.votes || a.kind.localeCompare(b.kind) || a.imdbId.localeCompare(b.imdbId);
}

/** Keeps the best `limit` titles seen, deduplicated by id (an id in both files is kept once), in O(limit) memory. */
export class TopTitles {
  private readonly candidates = new Map<string, SelectedTitle>();

  constructor(private readonly limit: number) {}

  /** Offers a title; repeated ids (one row per artist, or in both files) are kept once. */
  add(title: SelectedTitle): void {
    if (this.limit <= 0) return;
    if (!this.candidates.has(title.imdbId)) this.candidates.set(title.imdbId, title);
    // Prune only when twice the limit, so pruning costs O(1) amortised per row.
    if (this.candidates.size >= this.limit * 2 + 64) this.prune();
  }

  private prune(): void {
    const kept = [...this.candidates.values()].sort(compareTitles).slice(0, this.limit);
    this.candidates.clear();
    for (const title of kept) this.candidates.set(title.imdbId, title);
  }

  /** The selected titles, best first. */
  result(): SelectedTitle[] {
    this.prune();
    return [...this.candidates.values()];
  }
}

/** A CSV to select from: its kind and its lines. */
export interface CsvSource {
  kind: TitleKind;
  lines: () => AsyncIterable<string>;
}

/** Streams the sources and returns the selected titles (skipping kinds the selection excludes). */
export async function selectTitles(sources: CsvSource[], selection: Selection): Promise<SelectionResult> {
  const top = new TopTitles(selection.limit);
  const result: SelectionResult = { titles: [], rowsRead: 0, rejectedRows: 0, rejectedSamples: [] };
  for (const source of sources) {
    if (selection.kind !== "all" && selection.kind !== source.kind) continue;
    const rows = readCsvRows(source.lines(), source.kind, (rejected) => {
      result.rejectedRows += 1;
      if (result.rejectedSamples.length < 10) result.rejectedSamples.push(rejected);
    });
    for await (const row of rows) {
      result.rowsRead += 1;
      if (matchesSelection(row, selection)) top.add({ imdbId: row.imdbId, kind: source.kind, votes: row.votes });
    }
  }
  result.titles = top.result();
  return result;
}
