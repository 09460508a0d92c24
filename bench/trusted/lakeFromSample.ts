/**
 * `tsx bench/trusted/lakeFromSample.ts SAMPLE_DIR LAKE_DIR DATE [--tmdb-per-file N] [--no-tmdb]`: lays a generated sample out as a
 * local lake's Raw zone for the Trusted jobs: the CSVs at their Raw keys and, for every title TMDB knows, the
 * stand-in's detail objects (all appendices) as JSON arrays, the ApiIngestor's file shape. Used by the Trusted jobs'
 * end-to-end tests and the benchmark.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DATASETS, lakeKey } from "../../lake/paths";
import { catalogFromDir } from "../../runtime/tmdb-standin/catalog";
import { UsageError, flagsOrExit, numberSetting, parseFlags } from "../../runtime/shared/flags";
import { isKnown, movieDetails, tvDetails } from "../../runtime/tmdb-standin/records";

const MOVIE_APPEND = new Set(["credits", "keywords", "external_ids", "release_dates"]);
const TV_APPEND = new Set(["credits", "keywords", "external_ids", "content_ratings"]);

/** What was written, per Raw dataset. */
export interface LaidOutLake {
  csvFiles: string[];
  tmdbFiles: Record<"movies" | "series", number>;
  tmdbRecords: Record<"movies" | "series", number>;
}

function write(lakeDir: string, key: string, text: string): void {
  const target = join(lakeDir, key);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
}

/** Copies the sample's CSVs into the Raw zone and writes the TMDB details of its known titles. */
export async function layOutLake(
  sampleDir: string,
  lakeDir: string,
  date: string,
  perFile = 100,
  withTmdb = true,
): Promise<LaidOutLake> {
  const csvFiles = [
    lakeKey({ ...DATASETS.rawMoviesCsv, date, file: "movies.csv" }),
    lakeKey({ ...DATASETS.rawSeriesCsv, date, file: "series.csv" }),
  ];
  for (const [index, key] of csvFiles.entries()) {
    const target = join(lakeDir, key);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(sampleDir, index === 0 ? "movies.csv" : "series.csv"), target);
  }
  const result: LaidOutLake = { csvFiles, tmdbFiles: { movies: 0, series: 0 }, tmdbRecords: { movies: 0, series: 0 } };
  if (!withTmdb) return result;
  const catalog = await catalogFromDir(sampleDir);
  for (const kind of ["movies", "series"] as const) {
    const titles = catalog.titles().filter((title) => title.kind === kind && isKnown(title.imdbId));
    const dataset = kind === "movies" ? DATASETS.rawTmdbMovies : DATASETS.rawTmdbSeries;
    for (let start = 0; start < titles.length; start += perFile) {
      const records = titles
        .slice(start, start + perFile)
        .map((title) =>
          JSON.stringify(kind === "movies" ? movieDetails(title, MOVIE_APPEND) : tvDetails(title, TV_APPEND)),
        );
      const file = `${kind}-${String(start / perFile).padStart(5, "0")}.json`;
      write(lakeDir, lakeKey({ ...dataset, date, file }), `[\n${records.join(",\n")}\n]\n`);
      result.tmdbFiles[kind] += 1;
      result.tmdbRecords[kind] += records.length;
    }
  }
  return result;
}

if (require.main === module) {
  const { values, sampleDir, lakeDir, date, perFile } = flagsOrExit("lakeFromSample", () => {
    const { values, positionals } = parseFlags({
      allowPositionals: true,
      options: { "tmdb-per-file": { type: "string" }, "no-tmdb": { type: "boolean" } },
    });
    const [sampleDir, lakeDir, date] = positionals;
    if (!sampleDir || !lakeDir || !date)
      throw new UsageError("usage: lakeFromSample.ts SAMPLE_DIR LAKE_DIR DATE [--tmdb-per-file N] [--no-tmdb]");
    const perFile = numberSetting("--tmdb-per-file", values["tmdb-per-file"], { min: 1, example: 100 });
    return { values, sampleDir, lakeDir, date, perFile: perFile ?? 100 };
  });
  layOutLake(sampleDir, lakeDir, date, perFile, !values["no-tmdb"])
    .then((result) => console.log(JSON.stringify(result)))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    });
}
