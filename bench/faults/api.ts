/**
 * The ApiIngestor's cases of the fault suite (issue 13): TMDB down then back, two `ingest:api` runs started at once,
 * and a SIGKILL mid-run followed by a resume. Each runs the real command (`node --import tsx
 * runtime/api-ingestor/cli.ts`, a child process, so a kill is a real kill) against moto's S3 API server and the TMDB
 * stand-in over HTTP, on a fresh bucket seeded with the same generated CSVs.
 *
 * Counting, against the stand-in's catalog (test/support/tmdbLake.ts `auditRaw`): a record is one title's TMDB
 * details. Lost: titles TMDB knows that no Raw file holds once the case's last run ended. Duplicated: records beyond
 * the first of a title. Corrupted: files that are not JSON arrays, records without a known IMDb id or not listed in
 * their file's `x-amz-meta-imdb-ids`. A silent success is a run that exited 0 although it did not do its job (the
 * outage run, or the second of two simultaneous runs, or a final run that left titles unfetched).
 */
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { createServer } from "node:net";
import { seedRawCsvs, type SeededLake } from "../../runtime/api-ingestor/localLake";
import { freePort, startS3Server, type LocalS3Server } from "../../runtime/local/s3Server";
import { makeS3Client } from "../../runtime/shared/s3Client";
import { catalogFromDir, type Catalog } from "../../runtime/tmdb-standin/catalog";
import { startTmdbStandin, type TmdbStandin } from "../../runtime/tmdb-standin/server";
import { auditRaw, runIngestCli, startIngestCli, type CliRun, type RawAudit } from "../../test/support/tmdbLake";
import type { FaultCase, FaultOutcome } from "./cases";

const DATE = "2026-05-04";
const TITLES = 150;
const SEED = 3;
/** A run that takes longer than this is killed and counted as hung. */
const HANG_MS = 180_000;

/** The servers the cases share, started on first use. */
interface World {
  server: LocalS3Server;
  s3: S3Client;
  standin: TmdbStandin;
  catalog: Catalog;
  lake: SeededLake;
  buckets: number;
}

let world: Promise<World> | undefined;

function getWorld(): Promise<World> {
  world ??= (async () => {
    const server = await startS3Server();
    const s3 = makeS3Client(server.env);
    const lake = await seedRawCsvs({ s3, bucket: "faults-api-seed", date: DATE, titles: TITLES, seed: SEED });
    const catalog = await catalogFromDir(lake.dir);
    // TMDB's limits (40 requests/s, 20 connections), a short latency so a case takes seconds, not minutes.
    const standin = await startTmdbStandin({ catalog, rate: 40, maxConnections: 20, latencyMs: 20 });
    return { server, s3, standin, catalog, lake, buckets: 0 };
  })();
  return world;
}

async function freshBucket(w: World): Promise<string> {
  w.buckets += 1;
  const bucket = `faults-api-${w.buckets}`;
  (await seedRawCsvs({ s3: w.s3, bucket, date: DATE, titles: TITLES, seed: SEED })).cleanup();
  return bucket;
}

/** The command's environment: the S3 server's, the stand-in's token and URL, quick retries. */
function env(w: World, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...w.server.env,
    TMDB_TOKEN: w.standin.token,
    TMDB_BASE_URL: w.standin.baseUrl,
    TMDB_RETRY_BASE_MS: "20",
    ...extra,
  };
}

/** The last line of stderr that is ours (Node's process warnings left out). */
function lastLine(run: CliRun): string {
  const lines = run.stderr
    .replace(/^\(node:\d+\) [\s\S]*?^\(Use `node --trace-warnings[^\n]*\n/gm, "")
    .split("\n")
    .filter((line) => line.trim() !== "");
  return lines.at(-1) ?? "(nothing on stderr)";
}

function summaryOf(run: CliRun): { fetched?: number; notFound?: number; failed?: number; remaining?: number } {
  try {
    return JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}");
  } catch {
    return {};
  }
}

function counts(audit: RawAudit): Pick<FaultOutcome, "lost" | "duplicated" | "corrupted"> {
  return { lost: audit.lost.length, duplicated: audit.extraRecords, corrupted: audit.corrupted.length };
}

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const port = await freePort();
  await new Promise<void>((resolve) => {
    const probe = createServer().listen(port, "127.0.0.1", () => probe.close(() => resolve()));
  });
  return port;
}

const outage: FaultCase = {
  name: "api: TMDB unreachable, then back",
  expected:
    "the outage run exits non-zero with one line (TMDB could not be reached, check TMDB_BASE_URL) and marks no id " +
    "failed; the rerun after the fix fetches every title",
  async run() {
    const w = await getWorld();
    const bucket = await freshBucket(w);
    const args = ["--bucket", bucket, "--limit", "10000"];
    const down = await runIngestCli(
      args,
      env(w, { TMDB_BASE_URL: `http://127.0.0.1:${await closedPort()}/3` }),
      HANG_MS,
    );
    const back = await runIngestCli(args, env(w), HANG_MS);
    const result = await auditRaw(w.s3, bucket, w.catalog);
    const after = summaryOf(back);
    return {
      happened:
        `outage run: exit ${down.code} in ${down.ms} ms, "${lastLine(down)}"; ` +
        `rerun: exit ${back.code}, ${after.fetched} fetched, ${after.notFound} not found, ${after.failed} failed, ` +
        `${result.records} records in ${result.files} files`,
      ...counts(result),
      hung: down.hung || back.hung,
      silentSuccess: down.code === 0 || (back.code === 0 && result.lost.length > 0),
    };
  },
};

const together: FaultCase = {
  name: "api: two runs started at once",
  expected:
    "one run fetches every title; the other exits non-zero naming the lease's holder and since when; each record " +
    "is stored once",
  async run() {
    const w = await getWorld();
    const bucket = await freshBucket(w);
    const args = ["--bucket", bucket, "--limit", "10000"];
    const before = w.standin.stats().requests;
    const [a, b] = await Promise.all([
      startIngestCli(args, env(w), HANG_MS).done,
      startIngestCli(args, env(w), HANG_MS).done,
    ]);
    const requests = w.standin.stats().requests - before;
    const result = await auditRaw(w.s3, bucket, w.catalog);
    const winners = [a, b].filter((run) => run.code === 0);
    const loser = [a, b].find((run) => run.code !== 0);
    return {
      happened:
        `exits ${a.code} and ${b.code}; ${loser ? `the other said "${lastLine(loser)}"` : "no run refused"}; ` +
        `${requests} TMDB requests, ${result.records} records in ${result.files} files`,
      ...counts(result),
      hung: a.hung || b.hung,
      silentSuccess: winners.length !== 1 || result.lost.length > 0,
    };
  },
};

const killed: FaultCase = {
  name: "api: SIGKILL mid-run, then resume",
  expected:
    "the killed run leaves its files and its lease; the resumed run takes over the dead holder's lease at once and " +
    "fetches only what is missing: 0 lost, 0 duplicated",
  async run() {
    const w = await getWorld();
    const bucket = await freshBucket(w);
    const args = ["--bucket", bucket, "--limit", "10000"];
    const child = startIngestCli(args, env(w, { RAW_MAX_RECORDS_PER_FILE: "5" }), HANG_MS);
    let filesAtKill = 0;
    for (let i = 0; i < 2000; i++) {
      const page = await w.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "Raw/TMDB/" }));
      filesAtKill = page.KeyCount ?? 0;
      if (filesAtKill >= 6) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill("SIGKILL");
    const first = await child.done;
    const resumed = await runIngestCli(args, env(w, { RAW_MAX_RECORDS_PER_FILE: "5" }), HANG_MS);
    const result = await auditRaw(w.s3, bucket, w.catalog);
    const took = /took over the lease[^\n]*/.exec(resumed.stdout)?.[0] ?? "no takeover logged";
    const after = summaryOf(resumed);
    return {
      happened:
        `${first.signal === "SIGKILL" ? `killed with ${filesAtKill} files written` : `finished before the kill (exit ${first.code})`}; ` +
        `resume: exit ${resumed.code} in ${resumed.ms} ms (${took}), ${after.fetched} fetched in total, ` +
        `${result.records} records in ${result.files} files`,
      ...counts(result),
      hung: first.hung || resumed.hung,
      silentSuccess: resumed.code === 0 && result.lost.length > 0,
    };
  },
};

/** The ApiIngestor's fault cases, in order. */
export const cases: FaultCase[] = [outage, together, killed];

/** Stops the S3 server and the stand-in, and removes the generated CSVs. */
export async function teardown(): Promise<void> {
  if (!world) return;
  const w = await world;
  await w.standin.stop();
  await w.server.stop();
  w.lake.cleanup();
}
