/**
 * `npm run ingest:batch -- --bucket B [--data DIR | --movies P --series P] [--date YYYY-MM-DD] [--overwrite]`, and
 * the container's entry point. The S3 endpoint and credentials come from the standard AWS environment; the bucket may
 * also come from LAKE_BUCKET and the data folder from LAKE_DATA_DIR (default /data, the container's volume).
 */
import { join } from "node:path";
import { ConfigError } from "../../lake/errors";
import { USAGE_EXIT_CODE, UsageError, numberSetting, parseFlags } from "../shared/flags";
import { IngestError } from "./errors";
import { ingestBatch, type BatchIngestOptions, type BatchIngestSummary, type IngestProgress } from "./ingest";
import { SourceFileError } from "./validate";

/** The command line's usage line. */
export const USAGE =
  "usage: ingest:batch --bucket B [--data DIR | --movies PATH --series PATH] [--date YYYY-MM-DD] [--overwrite]\n" +
  "                    [--part-size-mib N (>= 5, default 8)] [--queue-size N (parts in flight per file, default 3)]";

/** The environment variable that adds the stack trace of an unexpected error (the one-line message stays last). */
export const DEBUG_ENV = "CINELAKE_DEBUG";

/**
 * The last line a failed run prints: what happened and what to do, on one line. Errors the BatchIngestor expects
 * (refusals, S3 and file problems) carry their own advice; anything else is a bug or an environment problem, named by
 * its type and first line, with the debug switch to see more.
 */
export function failureLine(error: unknown): string {
  const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim();
  if (
    error instanceof IngestError ||
    error instanceof SourceFileError ||
    error instanceof UsageError ||
    error instanceof ConfigError
  )
    return `ingest:batch: ${oneLine(error.message)}`;
  const err = error as Error | undefined;
  const what = oneLine(`${err?.name ?? "Error"}: ${err?.message ?? String(error)}`);
  return (
    `ingest:batch: unexpected error (${what}): nothing was verified by this run; rerun, and if it happens again ` +
    `set ${DEBUG_ENV}=1 for the stack trace and report it`
  );
}

/** Parses the command line (and LAKE_BUCKET / LAKE_DATA_DIR) into ingest options. */
export function parseIngestArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Pick<BatchIngestOptions, "bucket" | "movies" | "series" | "date" | "overwrite" | "partSize" | "queueSize"> {
  const { values } = parseFlags({
    args: argv,
    options: {
      bucket: { type: "string" },
      data: { type: "string" },
      movies: { type: "string" },
      series: { type: "string" },
      date: { type: "string" },
      overwrite: { type: "boolean", default: false },
      "part-size-mib": { type: "string" },
      "queue-size": { type: "string" },
    },
  });
  const bucket = values.bucket ?? env.LAKE_BUCKET ?? "";
  if (!bucket) throw new UsageError(`--bucket is required (or set LAKE_BUCKET)`);
  if (values.data !== undefined && (values.movies !== undefined || values.series !== undefined))
    throw new UsageError(`give either --data DIR or --movies and --series, not both`);
  if ((values.movies === undefined) !== (values.series === undefined))
    throw new UsageError(`--movies and --series go together: give both paths (or --data DIR)`);
  const dataDir = values.data ?? env.LAKE_DATA_DIR ?? "/data";
  // S3's smallest part is 5 MiB (the last part aside).
  const partSizeMib = numberSetting("--part-size-mib", values["part-size-mib"], { min: 5, example: 8 });
  const queueSize = numberSetting("--queue-size", values["queue-size"], { min: 1, example: 3 });
  return {
    bucket,
    movies: values.movies ?? join(dataDir, "movies.csv"),
    series: values.series ?? join(dataDir, "series.csv"),
    date: values.date,
    overwrite: values.overwrite,
    ...(partSizeMib !== undefined ? { partSize: partSizeMib * 1024 * 1024 } : {}),
    ...(queueSize !== undefined ? { queueSize } : {}),
  };
}

const MB = 1_000_000;
/** Files from this size on get progress lines. */
const PROGRESS_FROM_BYTES = 32 * 1024 * 1024;

/** Returns a progress printer that writes at most one line every `everyMs` per file, plus the last one. */
export function progressPrinter(write: (line: string) => void, everyMs = 2000): (progress: IngestProgress) => void {
  const lastPrinted = new Map<string, number>();
  return (progress) => {
    if (progress.total < PROGRESS_FROM_BYTES) return;
    const now = Date.now();
    const done = progress.loaded >= progress.total;
    if (!done && now - (lastPrinted.get(progress.key) ?? 0) < everyMs) return;
    lastPrinted.set(progress.key, now);
    const rate = progress.seconds > 0 ? progress.loaded / MB / progress.seconds : 0;
    const percent = Math.floor((100 * progress.loaded) / progress.total);
    write(
      `${progress.kind}: ${(progress.loaded / MB).toFixed(1)} / ${(progress.total / MB).toFixed(1)} MB ` +
        `(${percent}%), ${rate.toFixed(1)} MB/s`,
    );
  };
}

/** The summary printed at the end: what landed where. */
export function formatSummary(summary: BatchIngestSummary): string {
  const lines = [`BatchIngestor: bucket ${summary.bucket}, day ${summary.date}`];
  for (const file of summary.files) {
    const what = file.skipped
      ? "already there, skipped"
      : `${file.replaced ? "replaced" : "uploaded"} in ${file.seconds.toFixed(1)} s ` +
        `(${(file.bytes / MB / Math.max(file.seconds, 0.001)).toFixed(1)} MB/s, verified by ${file.verifiedBy})`;
    lines.push(`  ${file.kind}: ${file.source} -> ${file.uri}`);
    lines.push(`    ${file.bytes} bytes, sha256 ${file.sha256}, ${what}`);
  }
  return lines.join("\n");
}

async function main(): Promise<number> {
  let options;
  try {
    options = parseIngestArgs(process.argv.slice(2));
  } catch (error) {
    console.error(USAGE);
    console.error(failureLine(error));
    return USAGE_EXIT_CODE;
  }
  try {
    const summary = await ingestBatch({
      ...options,
      onProgress: progressPrinter((line) => console.error(line)),
      log: (line) => console.error(line),
    });
    console.log(formatSummary(summary));
    return 0;
  } catch (error) {
    if (process.env[DEBUG_ENV]) console.error(error);
    console.error(failureLine(error));
    return 1;
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    // Nothing should escape main; if something does, it still ends in one line.
    (error: unknown) => {
      if (process.env[DEBUG_ENV]) console.error(error);
      console.error(failureLine(error));
      process.exit(1);
    },
  );
}
