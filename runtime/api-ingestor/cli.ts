/**
 * `npm run ingest:api -- --bucket B [--date D] [--limit N] [--kind movies|series|all] [--genres G1,G2]
 * [--year-from Y] [--year-to Y] [--min-votes N] [--max-rps R] [--max-in-flight N] [--slice-seconds S]`:
 * the handler's code run locally, looping slices until done. Token from `TMDB_TOKEN`, base URL from `TMDB_BASE_URL`,
 * S3 from the standard AWS environment (`AWS_ENDPOINT_URL_S3` for a local S3 API server).
 */
import { parseArgs } from "node:util";
import { makeS3Client } from "../shared/s3Client";
import { API_INGESTOR_ENV, DEFAULT_SELECTION_LIMIT, DEFAULT_TMDB_BASE_URL, parseGenres, parseKind } from "./env";
import { runApiIngestion } from "./ingest";

function int(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`--${flag} "${value}" is not a non-negative integer`);
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bucket: { type: "string" },
      date: { type: "string" },
      limit: { type: "string" },
      kind: { type: "string" },
      genres: { type: "string" },
      "year-from": { type: "string" },
      "year-to": { type: "string" },
      "min-votes": { type: "string" },
      "max-rps": { type: "string" },
      "max-in-flight": { type: "string" },
      "slice-seconds": { type: "string" },
    },
  });
  if (!values.bucket) throw new Error("--bucket is required: the lake bucket to read the Raw CSVs from and write to");
  const token = process.env[API_INGESTOR_ENV.token];
  if (!token) throw new Error(`${API_INGESTOR_ENV.token} is not set: export your TMDB read access token`);
  const result = await runApiIngestion({
    bucket: values.bucket,
    csvDate: values.date,
    selection: {
      kind: parseKind(values.kind, "--kind"),
      genres: parseGenres(values.genres),
      yearFrom: int(values["year-from"], "year-from"),
      yearTo: int(values["year-to"], "year-to"),
      minVotes: int(values["min-votes"], "min-votes") ?? 0,
      limit: int(values.limit, "limit") ?? DEFAULT_SELECTION_LIMIT,
    },
    baseUrl: process.env[API_INGESTOR_ENV.baseUrl] || DEFAULT_TMDB_BASE_URL,
    token,
    maxRps: int(values["max-rps"], "max-rps"),
    maxInFlight: int(values["max-in-flight"], "max-in-flight"),
    sliceMs: (int(values["slice-seconds"], "slice-seconds") ?? 300) * 1000,
    s3: makeS3Client(),
    log: (message) => console.log(message),
  });
  const { last } = result;
  console.log(
    JSON.stringify({
      done: result.done,
      slices: result.slices,
      csvDate: last.csvDate,
      selected: last.selected,
      fetched: last.fetched,
      notFound: last.notFound,
      failed: last.failed,
      remaining: last.remaining,
      filesWritten: result.filesWritten,
      requests: result.requests,
      retries: result.retries,
      throttled: result.throttled,
      duplicates: last.duplicates,
    }),
  );
}

main().catch((error: Error) => {
  console.error(`ingest:api failed: ${error.message}`);
  process.exit(1);
});
