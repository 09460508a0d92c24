/**
 * Seeds a lake bucket with generated Raw CSVs (the sample generator's movies.csv and series.csv, uploaded at their
 * lakePaths keys), for tests, benchmarks and the offline demo of the ApiIngestor.
 */
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DATASETS, lakeKey } from "../../lake/paths";
import { generateSample } from "../sample/generate";

/** What was seeded. */
export interface SeededLake {
  /** The local folder holding the generated movies.csv and series.csv (the stand-in's `--data`). */
  dir: string;
  movieTitles: number;
  seriesTitles: number;
  keys: { movies: string; series: string };
  /** Removes the local folder. */
  cleanup(): void;
}

/** Creates the bucket (if needed) and uploads a generated sample's CSVs as the Raw CSVs of `date`. */
export async function seedRawCsvs(options: {
  s3: S3Client;
  bucket: string;
  date: string;
  titles: number;
  seed?: number;
}): Promise<SeededLake> {
  const { s3, bucket, date } = options;
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw error;
  }
  const dir = mkdtempSync(join(tmpdir(), "cinelake-sample-"));
  const sample = await generateSample({ outDir: dir, titles: options.titles, seed: options.seed ?? 42 });
  const keys = {
    movies: lakeKey({ ...DATASETS.rawMoviesCsv, date, file: "movies.csv" }),
    series: lakeKey({ ...DATASETS.rawSeriesCsv, date, file: "series.csv" }),
  };
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys.movies, Body: readFileSync(sample.moviesPath) }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys.series, Body: readFileSync(sample.seriesPath) }));
  return {
    dir,
    movieTitles: sample.movieTitles,
    seriesTitles: sample.seriesTitles,
    keys,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
