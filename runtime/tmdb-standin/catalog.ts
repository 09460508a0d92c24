/**
 * The stand-in's catalog: the titles of the Raw CSVs (one entry per IMDb id, with its artists), read from local files
 * or from the lake bucket, and indexed by the TMDB ids the stand-in assigns them.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { DATASETS, lakeKey } from "../../lake/paths";
import { fileLines, linesOf, readCsvRows, type CsvTitle, type TitleKind } from "../api-ingestor/csv";
import { latestCsvDate } from "../api-ingestor/ingest";
import { hashText } from "../shared/random";

/** An artist credited on a title (one CSV row). */
export interface CatalogArtist {
  name: string;
  category: string | null;
  character: string | null;
  birthYear: number | null;
  professions: string[];
}

/** A title as the CSV describes it. */
export interface CatalogTitle extends CsvTitle {
  kind: TitleKind;
  /** The TMDB id the stand-in gives it (stable for a given CSV). */
  tmdbId: number;
  artists: CatalogArtist[];
}

/** The titles the stand-in serves. */
export class Catalog {
  private readonly byImdb = new Map<string, CatalogTitle>();
  private readonly byTmdb: Record<TitleKind, Map<number, CatalogTitle>> = { movies: new Map(), series: new Map() };
  /** Rows the CSV reader refused. */
  rejectedRows = 0;

  /** Adds a CSV row's title (the first row of an id creates it; later rows add artists). */
  addRow(
    kind: TitleKind,
    row: Parameters<typeof rowToArtist>[0] & Omit<CatalogTitle, "kind" | "tmdbId" | "artists">,
  ): void {
    let title = this.byImdb.get(row.imdbId);
    if (!title) {
      const ids = this.byTmdb[kind];
      // Movie and TV ids live in different ranges, like TMDB's; collisions move to the next free id.
      let tmdbId = 1000 + (hashText(`${kind}:${row.imdbId}`) % (kind === "movies" ? 1_200_000 : 250_000));
      while (ids.has(tmdbId)) tmdbId += 1;
      title = {
        imdbId: row.imdbId,
        kind,
        tmdbId,
        title: row.title,
        originalTitle: row.originalTitle,
        year: row.year,
        endYear: row.endYear,
        runtimeMinutes: row.runtimeMinutes,
        genres: row.genres,
        rating: row.rating,
        votes: row.votes,
        artists: [],
      };
      this.byImdb.set(row.imdbId, title);
      ids.set(tmdbId, title);
    }
    if (title.kind === kind && row.artistName) title.artists.push(rowToArtist(row));
  }

  /** A title by IMDb id. */
  byImdbId(imdbId: string): CatalogTitle | undefined {
    return this.byImdb.get(imdbId);
  }

  /** A title by kind and TMDB id. */
  byTmdbId(kind: TitleKind, tmdbId: number): CatalogTitle | undefined {
    return this.byTmdb[kind].get(tmdbId);
  }

  /** Every title. */
  titles(): CatalogTitle[] {
    return [...this.byImdb.values()];
  }

  /** The number of titles. */
  get size(): number {
    return this.byImdb.size;
  }
}

function rowToArtist(row: {
  artistName: string | null;
  artistCategory: string | null;
  character: string | null;
  birthYear: number | null;
  professions: string[];
}): CatalogArtist {
  return {
    name: row.artistName ?? "",
    category: row.artistCategory,
    character: row.character,
    birthYear: row.birthYear,
    professions: row.professions,
  };
}

/** Reads CSV lines of a kind into the catalog. */
export async function addCsv(catalog: Catalog, kind: TitleKind, lines: AsyncIterable<string>): Promise<void> {
  for await (const row of readCsvRows(lines, kind, () => (catalog.rejectedRows += 1))) catalog.addRow(kind, row);
}

/** A catalog from a folder holding `movies.csv` and `series.csv`. */
export async function catalogFromDir(dir: string): Promise<Catalog> {
  const catalog = new Catalog();
  await addCsv(catalog, "movies", fileLines(join(dir, "movies.csv")));
  await addCsv(catalog, "series", fileLines(join(dir, "series.csv")));
  return catalog;
}

/** A catalog from the Raw CSVs of a lake bucket (the given day, or the latest). */
export async function catalogFromBucket(s3: S3Client, bucket: string, date?: string): Promise<Catalog> {
  const day = date ?? (await latestCsvDate(s3, bucket));
  const catalog = new Catalog();
  const files = [
    ["movies", lakeKey({ ...DATASETS.rawMoviesCsv, date: day, file: "movies.csv" })],
    ["series", lakeKey({ ...DATASETS.rawSeriesCsv, date: day, file: "series.csv" })],
  ] as const;
  for (const [kind, key] of files) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    await addCsv(catalog, kind, linesOf(object.Body as Readable));
  }
  return catalog;
}
