/**
 * `npm run ingest:api -- --bucket B [--date D] [--limit N] [--kind movies|series|all] [--genres G1,G2]
 * [--year-from Y] [--year-to Y] [--min-votes N] [--max-rps R] [--max-in-flight N] [--slice-seconds S]`:
 * the handler's code run locally, looping slices until done, holding the lease for the whole run. Token from
 * `TMDB_TOKEN`, base URL from `TMDB_BASE_URL`, tuning from the Lambda's variables (`TMDB_TIMEOUT_MS`,
 * `TMDB_RETRY_BASE_MS`, `RAW_MAX_RECORDS_PER_FILE`, `RAW_MAX_FILE_BYTES`, `LEASE_TTL_MS`), S3 from the standard AWS
 * environment (`AWS_ENDPOINT_URL_S3` for a local S3 API server).
 *
 * Every failure ends in one line on stderr saying what happened and what to do (issue 13): {@link describeFailure}
 * turns the errors the run can meet into that line; `CINELAKE_DEBUG=1` adds the stack trace.
 */
import { UsageError, exitCodeOf, numberSetting, parseFlags } from "../shared/flags";
import { customS3Endpoint, makeS3Client } from "../shared/s3Client";
import {
  API_INGESTOR_ENV,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_MAX_RPS,
  DEFAULT_SELECTION_LIMIT,
  DEFAULT_TMDB_BASE_URL,
  checkCsvDate,
  parseGenres,
  parseKind,
  tuningFromEnv,
} from "./env";
import { runApiIngestion } from "./ingest";

const USAGE =
  "npm run ingest:api -- --bucket B [--date YYYY-MM-DD] [--limit N] [--kind movies|series|all] [--genres G1,G2] " +
  "[--year-from Y] [--year-to Y] [--min-votes N] [--max-rps R] [--max-in-flight N] [--slice-seconds S]";

/** A whole-number flag of at least `min`, refused with the flag's name, what it takes and `example`. */
const int = (value: string | undefined, flag: string, example: number, min = 0) =>
  numberSetting(`--${flag}`, value, { min, example });

const NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH"]);
const CREDENTIAL_ERRORS = new Set([
  "CredentialsProviderError",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "AccessDenied",
  "InvalidToken",
]);

/**
 * The one line a failed run ends with: what happened and what to do. Our own errors already say both; S3's and
 * Node's are translated here, since a raw `ECONNREFUSED` or `NoSuchBucket` says neither where nor what next.
 */
function describeFailure(error: unknown, context: { bucket?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const env = context.env ?? process.env;
  const err = error as Error & { name?: string; code?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code;
  const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim();
  if (err.name === "NoSuchBucket")
    return `bucket ${context.bucket} does not exist (or is not visible with these credentials): check --bucket, AWS_ENDPOINT_URL_S3 and AWS_REGION`;
  if (code !== undefined && NETWORK_CODES.has(code))
    return (
      `could not reach S3 at ${customS3Endpoint(env) ?? `AWS (region ${env.AWS_REGION ?? "from the profile"})`} ` +
      `(${code}): check AWS_ENDPOINT_URL_S3 and that the S3 API server is running, or the network`
    );
  if (CREDENTIAL_ERRORS.has(err.name ?? ""))
    return `S3 refused the request (${err.name}: ${oneLine(err.message)}): check the AWS credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE) and that they may read and write the lake`;
  const ours = [
    "UsageError",
    "ConfigError",
    "LakePathError",
    "TokenRefusedError",
    "TmdbUnreachableError",
    "EmptySelectionError",
    "LeaseHeldError",
    "LeaseLostError",
  ];
  if (ours.includes(err.name ?? "")) return oneLine(err.message);
  return `${oneLine(err.message ?? String(error))} (unexpected: rerun with CINELAKE_DEBUG=1 for the stack trace, and report it if it persists)`;
}

async function main(): Promise<number> {
  const { values } = parseFlags(
    {
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
        help: { type: "boolean" },
      },
    },
    `see the flags with --help (${USAGE.split(" -- ")[0]} -- --help) or runtime/api-ingestor/README.md`,
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const bucket = values.bucket ?? process.env[API_INGESTOR_ENV.bucket];
  bucketForMessages = bucket;
  if (!bucket)
    throw new UsageError(
      `--bucket is required: give the lake bucket, e.g. npm run ingest:api -- --bucket cinelake-<student>-lake (or set ${API_INGESTOR_ENV.bucket})`,
    );
  const token = process.env[API_INGESTOR_ENV.token];
  if (!token)
    throw new UsageError(
      `${API_INGESTOR_ENV.token} is not set: export your TMDB read access token (or the stand-in's, printed by npm run tmdb-standin)`,
    );
  const csvDate = checkCsvDate(values.date, "--date");
  const tuning = tuningFromEnv(process.env);
  const maxRps = int(values["max-rps"], "max-rps", DEFAULT_MAX_RPS, 1);
  const maxInFlight = int(values["max-in-flight"], "max-in-flight", DEFAULT_MAX_IN_FLIGHT, 1);
  const sliceSeconds = int(values["slice-seconds"], "slice-seconds", 300, 1) ?? 300;

  // Ctrl-C (or a SIGTERM) winds the run down cleanly: what was fetched is written, the lease released.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(signal === "SIGINT" ? 130 : 143);
    console.log(`${signal} received: stopping after the files in progress (again to quit at once)`);
    stop.abort();
    interruptedBy = signal;
  };
  let interruptedBy: NodeJS.Signals | undefined;
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const result = await runApiIngestion({
    bucket,
    csvDate,
    selection: {
      kind: parseKind(values.kind, "--kind"),
      genres: parseGenres(values.genres),
      yearFrom: int(values["year-from"], "year-from", 1990),
      yearTo: int(values["year-to"], "year-to", 2020),
      minVotes: int(values["min-votes"], "min-votes", 1000) ?? 0,
      limit: int(values.limit, "limit", 100) ?? DEFAULT_SELECTION_LIMIT,
    },
    baseUrl: process.env[API_INGESTOR_ENV.baseUrl] || DEFAULT_TMDB_BASE_URL,
    token,
    maxRps,
    maxInFlight,
    timeoutMs: tuning.timeoutMs,
    retry: { baseDelayMs: tuning.retryBaseMs },
    fileLimits: tuning.fileLimits,
    lease: { ttlMs: tuning.leaseTtlMs },
    sliceMs: sliceSeconds * 1000,
    stop: stop.signal,
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
  if (interruptedBy) {
    console.error(
      `ingest:api failed: interrupted by ${interruptedBy} with ${last.remaining} ids left; what was fetched is saved: rerun the same command to continue`,
    );
    return interruptedBy === "SIGINT" ? 130 : 143;
  }
  if (last.failed > 0)
    console.log(`${last.failed} ids failed for good on TMDB's answers (reasons in the checkpoint's "failed")`);
  return 0;
}

let bucketForMessages: string | undefined;

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (process.env.CINELAKE_DEBUG === "1") console.error((error as Error).stack);
    console.error(`ingest:api failed: ${describeFailure(error, { bucket: bucketForMessages })}`);
    process.exit(exitCodeOf(error));
  },
);
