/**
 * Benchmark (not a test) of the ApiIngestor against the TMDB stand-in: 2,000 ids at TMDB's limits (40 requests/s,
 * 20 connections, 200 ms latency), beside a one-request-at-a-time baseline measured in the same run on a slice of the
 * same ids (at 200 ms a request, the full 2,000 would take the baseline about 13 minutes).
 * Prints achieved requests/s ÷ the limit, 429s, retries and ids lost (checked against the Raw files).
 *
 *   npx tsx bench/api-ingestor/run.ts [--ids 2000] [--baseline-ids 100] [--latency-ms 200] [--rate 40] [--connections 20]
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { datasetPrefix } from "../../lake/paths";
import { RAW_TMDB } from "../../runtime/api-ingestor/checkpoint";
import { runApiIngestion } from "../../runtime/api-ingestor/ingest";
import { seedRawCsvs } from "../../runtime/api-ingestor/localLake";
import { startS3Server } from "../../runtime/local/s3Server";
import { exitCodeOf, numberSetting, parseFlags } from "../../runtime/shared/flags";
import { listAllObjects, makeS3Client, readObjectText } from "../../runtime/shared/s3Client";
import { catalogFromDir } from "../../runtime/tmdb-standin/catalog";
import { startTmdbStandin } from "../../runtime/tmdb-standin/server";

const DATE = "2026-04-01";

interface Measured {
  label: string;
  ids: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  ofLimit: number;
  throttled: number;
  retries: number;
  fetched: number;
  notFound: number;
  failed: number;
  lost: number;
  duplicated: number;
  files: number;
}

/** Counts the records of every Raw TMDB file by IMDb id (movie `imdb_id`, TV `external_ids.imdb_id`). */
async function rawRecordCounts(s3: S3Client, bucket: string): Promise<{ counts: Map<string, number>; files: number }> {
  const counts = new Map<string, number>();
  let files = 0;
  for (const dataset of Object.values(RAW_TMDB))
    for await (const object of listAllObjects(s3, bucket, datasetPrefix(dataset))) {
      files += 1;
      const records = JSON.parse(await readObjectText(s3, bucket, object.Key ?? "")) as {
        imdb_id?: string;
        external_ids?: { imdb_id?: string };
      }[];
      for (const record of records) {
        const id = record.imdb_id ?? record.external_ids?.imdb_id ?? "?";
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
  return { counts, files };
}

async function main(): Promise<void> {
  const { values } = parseFlags({
    options: {
      ids: { type: "string" },
      "baseline-ids": { type: "string" },
      "latency-ms": { type: "string" },
      rate: { type: "string" },
      connections: { type: "string" },
    },
  });
  const ids = numberSetting("--ids", values.ids, { min: 1, example: 2000 }) ?? 2000;
  const baselineIds = numberSetting("--baseline-ids", values["baseline-ids"], { min: 1, example: 100 }) ?? 100;
  const rate = numberSetting("--rate", values.rate, { fraction: true, aboveMin: true, example: 40 }) ?? 40;
  const connections = numberSetting("--connections", values.connections, { min: 1, example: 20 }) ?? 20;
  const latencyMs = numberSetting("--latency-ms", values["latency-ms"], { fraction: true, example: 200 }) ?? 200;

  const s3Server = await startS3Server();
  Object.assign(process.env, s3Server.env);
  const s3 = makeS3Client();
  // A few more titles than ids: selection takes the `ids` most voted.
  const lake = await seedRawCsvs({ s3, bucket: "bench-seed", date: DATE, titles: Math.ceil(ids * 1.05), seed: 2024 });
  const catalog = await catalogFromDir(lake.dir);
  const standin = await startTmdbStandin({ catalog, rate, maxConnections: connections, latencyMs });

  const measure = async (label: string, bucket: string, limit: number, maxInFlight: number): Promise<Measured> => {
    (await seedRawCsvs({ s3, bucket, date: DATE, titles: Math.ceil(ids * 1.05), seed: 2024 })).cleanup();
    const before = standin.stats();
    const started = performance.now();
    const result = await runApiIngestion({
      s3,
      bucket,
      baseUrl: standin.baseUrl,
      token: standin.token,
      maxRps: rate,
      maxInFlight,
      selection: { limit },
    });
    const seconds = (performance.now() - started) / 1000;
    const after = standin.stats();
    const { counts, files } = await rawRecordCounts(s3, bucket);
    const { last } = result;
    const inFiles = [...counts.values()].reduce((sum, count) => sum + count, 0);
    const requests = after.requests - before.requests;
    return {
      label,
      ids: last.selected,
      seconds,
      requests,
      requestsPerSecond: requests / seconds,
      ofLimit: requests / seconds / rate,
      throttled: (after.byStatus["429"] ?? 0) - (before.byStatus["429"] ?? 0),
      retries: result.retries,
      fetched: last.fetched,
      notFound: last.notFound,
      failed: last.failed,
      // Lost: selected ids with no outcome, or counted fetched but absent from the Raw files.
      lost: last.selected - (last.fetched + last.notFound + last.failed) + Math.max(0, last.fetched - counts.size),
      duplicated: inFiles - counts.size,
      files,
    };
  };

  console.log(`ApiIngestor benchmark: stand-in at ${rate} req/s, ${connections} connections, ${latencyMs} ms latency`);
  const limited = await measure(`limiter (${rate}/s, ${connections} in flight)`, "bench-limited", ids, connections);
  const baseline = await measure("baseline (1 request at a time)", "bench-baseline", baselineIds, 1);
  await standin.stop();
  await s3Server.stop();
  lake.cleanup();

  const rows: [string, (m: Measured) => string][] = [
    ["ids selected", (m) => String(m.ids)],
    ["wall time (s)", (m) => m.seconds.toFixed(1)],
    ["requests (incl. retries)", (m) => String(m.requests)],
    ["achieved requests/s", (m) => m.requestsPerSecond.toFixed(2)],
    [`requests/s ÷ limit (${rate})`, (m) => m.ofLimit.toFixed(3)],
    ["429 answers", (m) => String(m.throttled)],
    ["retries", (m) => String(m.retries)],
    ["fetched / not found / failed", (m) => `${m.fetched} / ${m.notFound} / ${m.failed}`],
    ["ids lost", (m) => String(m.lost)],
    ["ids duplicated", (m) => String(m.duplicated)],
    ["Raw files", (m) => String(m.files)],
    ["ids per second", (m) => (m.ids / m.seconds).toFixed(2)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`${"".padEnd(width)}  ${limited.label.padEnd(32)}  ${baseline.label}`);
  for (const [name, value] of rows)
    console.log(`${name.padEnd(width)}  ${value(limited).padEnd(32)}  ${value(baseline)}`);
  const speedup = limited.requestsPerSecond / baseline.requestsPerSecond;
  console.log(`speed-up of the limiter over the baseline (requests/s): ${speedup.toFixed(1)}x`);
  console.log(
    `target: requests/s ÷ limit >= 0.9 -> ${limited.ofLimit >= 0.9 ? "met" : "NOT met"}; ids lost = 0 -> ${limited.lost === 0 && baseline.lost === 0 ? "met" : "NOT met"}`,
  );
}

main().catch((error: Error) => {
  console.error(`benchmark failed: ${exitCodeOf(error) === 1 ? (error.stack ?? error.message) : error.message}`);
  process.exit(exitCodeOf(error));
});
