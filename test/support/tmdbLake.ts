/**
 * The setup the ApiIngestor and stand-in tests share: moto's S3 API server (its environment set on process.env, where
 * the SDK's default credential chain reads it, and restored afterwards), a bucket seeded with generated Raw CSVs, and
 * the TMDB stand-in serving those titles; plus the `ingest:api` command run as a real child process and an audit of
 * the Raw TMDB zone against the stand-in's catalog (the oracle the tests and the fault suite count with).
 */
import { join } from "node:path";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { datasetPrefix } from "../../lake/paths";
import { IDS_METADATA, RAW_TMDB } from "../../runtime/api-ingestor/checkpoint";
import { seedRawCsvs, type SeededLake } from "../../runtime/api-ingestor/localLake";
import { listAllObjects, makeS3Client, readObjectText } from "../../runtime/shared/s3Client";
import { catalogFromDir, type Catalog } from "../../runtime/tmdb-standin/catalog";
import { isKnown } from "../../runtime/tmdb-standin/records";
import { startTmdbStandin, type TmdbStandin, type TmdbStandinOptions } from "../../runtime/tmdb-standin/server";
import { startRecordingS3Server, type RecordingS3Server } from "./s3Requests";
import { startTimed, type TimedProcess, type TimedRun } from "./timedProcess";

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

/** How a run of the `ingest:api` command ended. */
/** How an `ingest:api` process ended. */
export type CliRun = TimedRun;

/** A started `ingest:api` process: its pid, `kill`, and the promise of how it ended. */
export type CliProcess = TimedProcess;

/**
 * Starts `ingest:api` as `node --import tsx runtime/api-ingestor/cli.ts` (node itself, not npx, so a SIGKILL hits the
 * process that holds the lease rather than a wrapper), with `env` on top of the current environment.
 */
export function startIngestCli(args: string[], env: Record<string, string>, hangMs = 240_000): CliProcess {
  return startTimed(
    process.execPath,
    ["--import", "tsx", join(__dirname, "..", "..", "runtime", "api-ingestor", "cli.ts"), ...args],
    { env: { ...process.env, ...env } },
    hangMs,
  );
}

/** Runs `ingest:api` to its end. */
export function runIngestCli(args: string[], env: Record<string, string>, hangMs?: number): Promise<CliRun> {
  return startIngestCli(args, env, hangMs).done;
}

/** What the Raw TMDB zone holds, judged against the stand-in's catalog. */
export interface RawAudit {
  files: number;
  records: number;
  /** Known ids (the stand-in has them) in no Raw file. */
  lost: string[];
  /** Ids in more than one record. */
  duplicated: string[];
  /** Records beyond the first of their id (what was stored twice or more). */
  extraRecords: number;
  /** Files that are not a JSON array of records, records without an IMDb id or unknown to the catalog, or records
   * whose id the file's `x-amz-meta-imdb-ids` does not list. */
  corrupted: string[];
}

/** Reads every Raw TMDB file and counts lost, duplicated and corrupted records against `catalog` (all its titles). */
export async function auditRaw(s3: S3Client, bucket: string, catalog: Catalog): Promise<RawAudit> {
  const counts = new Map<string, number>();
  const corrupted: string[] = [];
  let files = 0;
  let records = 0;
  const ids = new Set(catalog.titles().map((title) => title.imdbId));
  for (const dataset of Object.values(RAW_TMDB))
    for await (const object of listAllObjects(s3, bucket, datasetPrefix(dataset))) {
      files += 1;
      const key = object.Key as string;
      const text = await readObjectText(s3, bucket, key);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const listed = new Set((head.Metadata?.[IDS_METADATA] ?? "").split(","));
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        corrupted.push(`${key}: not JSON`);
        continue;
      }
      if (!Array.isArray(parsed)) {
        corrupted.push(`${key}: not an array`);
        continue;
      }
      for (const record of parsed as { imdb_id?: string; external_ids?: { imdb_id?: string } }[]) {
        records += 1;
        const id = record?.imdb_id ?? record?.external_ids?.imdb_id;
        if (!id || !ids.has(id) || !listed.has(id)) corrupted.push(`${key}: record ${String(id)}`);
        if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
  return {
    files,
    records,
    lost: [...ids].filter((id) => isKnown(id) && !counts.has(id)),
    duplicated: [...counts].filter(([, count]) => count > 1).map(([id]) => id),
    extraRecords: [...counts.values()].reduce((sum, count) => sum + count - 1, 0),
    corrupted,
  };
}
