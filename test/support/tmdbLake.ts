/**
 * The setup the ApiIngestor and stand-in tests share: moto's S3 API server (its environment set on process.env, where
 * the SDK's default credential chain reads it, and restored afterwards), a bucket seeded with generated Raw CSVs, and
 * the TMDB stand-in serving those titles.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { seedRawCsvs, type SeededLake } from "../../runtime/api-ingestor/localLake";
import { makeS3Client } from "../../runtime/shared/s3Client";
import { catalogFromDir, type Catalog } from "../../runtime/tmdb-standin/catalog";
import { startTmdbStandin, type TmdbStandin, type TmdbStandinOptions } from "../../runtime/tmdb-standin/server";
import { startRecordingS3Server, type RecordingS3Server } from "./s3Requests";

/** A running S3 API server with a seeded lake and a stand-in over its titles. */
export interface TmdbLake {
  /** moto, recording each request (label the ingestor's with `during`, check them with test/support/s3Requests.ts). */
  s3Server: RecordingS3Server;
  s3: S3Client;
  lake: SeededLake;
  catalog: Catalog;
  standin: TmdbStandin;
  /** Stops both servers, restores process.env and removes the generated files. */
  stop(): Promise<void>;
}

/** Starts moto, seeds `bucket` with a generated sample for `date`, and starts the stand-in over its titles. */
export async function startTmdbLake(options: {
  bucket: string;
  date: string;
  titles: number;
  seed: number;
  standin: Omit<TmdbStandinOptions, "catalog">;
}): Promise<TmdbLake> {
  const s3Server = await startRecordingS3Server();
  const savedEnv = Object.fromEntries(Object.keys(s3Server.env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, s3Server.env);
  const s3 = makeS3Client();
  const lake = await seedRawCsvs({
    s3,
    bucket: options.bucket,
    date: options.date,
    titles: options.titles,
    seed: options.seed,
  });
  const catalog = await catalogFromDir(lake.dir);
  const standin = await startTmdbStandin({ catalog, ...options.standin });
  return {
    s3Server,
    s3,
    lake,
    catalog,
    standin,
    async stop() {
      await standin.stop();
      await s3Server.stop();
      for (const [key, value] of Object.entries(savedEnv))
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      lake.cleanup();
    },
  };
}
