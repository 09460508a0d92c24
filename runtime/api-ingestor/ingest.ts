/**
 * One time-boxed slice of the ApiIngestor, and the local loop over slices: reconcile the checkpoint with the Raw
 * files, select titles from the Raw CSVs, fetch what is missing through the TMDB client, write full files as they
 * fill, stop cleanly before the deadline, flush and save the checkpoint. The Lambda handler and the CLI both call it.
 */
import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { Readable } from "node:stream";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { listAllObjects } from "../shared/s3Client";
import { DATASETS, datasetPrefix, lakeKey, parseLakeKey, s3Uri, todayUtc, type LakePath } from "../../lake/paths";
import { linesOf } from "./csv";
import { DEFAULT_FILE_LIMITS, FileBatcher, type FileBatch, type FileLimits } from "./batcher";
import {
  IDS_METADATA,
  RAW_TMDB,
  SELECTION_KEY,
  loadJson,
  loadReconciledState,
  saveJson,
  saveState,
  type IngestState,
} from "./checkpoint";
import { withLease, type LeaseOptions } from "./lease";
import { selectTitles, type CsvSource, type SelectedTitle, type Selection, type TitleKind } from "./selection";
import { TmdbClient, type ClientStats, type TmdbClientOptions } from "./tmdbClient";

/**
 * Thrown when a slice gets no answer from TMDB (issue 13, finding 4): titles failed in a row with network errors,
 * 5xx, timeouts or 429s after every retry. Nothing is marked failed; the ids stay pending for the next run.
 */
export class TmdbUnreachableError extends Error {
  override name = "TmdbUnreachableError";
}

/** Thrown when the selection has nothing to select from or selects nothing (issue 13, finding 6): never cached. */
export class EmptySelectionError extends Error {
  override name = "EmptySelectionError";
}

/** How many times a failing id is tried across slices before it stays failed. */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** The settings of one slice. */
export interface SliceOptions {
  bucket: string;
  /** The Raw CSV day; default the latest. */
  csvDate?: string;
  selection: Selection;
  /** Milliseconds left before the hard deadline (Lambda: `context.getRemainingTimeInMillis`). */
  remainingMs: () => number;
  /** Stop taking new titles when fewer ms than this remain (capped at a quarter of the time left at the start). */
  stopMarginMs: number;
  /** Abandon requests in flight when fewer ms than this remain (default half the stop margin). */
  abortMarginMs?: number;
  fileLimits?: FileLimits;
  /** Tries per id answered with a malformed body, across slices (default 3). */
  maxAttempts?: number;
  /** The run's lease: when it is lost, the slice stops and writes nothing more (another run may own the ids now). */
  leaseLost?: AbortSignal;
  now?: () => Date;
  log?: (message: string) => void;
}

/** What a slice did and what is left. */
export interface SliceResult {
  /** True when every selected id has a final outcome: nothing is left to do. */
  done: boolean;
  csvDate: string;
  selected: number;
  /** Totals over the whole selection (checkpoint after this slice). */
  fetched: number;
  notFound: number;
  failed: number;
  remaining: number;
  /** What this slice did. */
  slice: {
    fetched: number;
    notFound: number;
    failed: number;
    abandoned: number;
    /** Titles whose requests failed transiently (network, 5xx, timeouts, 429): left pending, not failed. */
    transient: number;
    files: string[];
    adoptedFiles: number;
    forgottenFiles: number;
    stoppedBy: "done" | "deadline";
    durationMs: number;
  } & ClientStats;
  rejectedCsvRows: number;
  /** Ids found in two Raw files (0 unless someone copied files by hand). */
  duplicates: number;
}

interface CachedSelection {
  csvDate: string;
  criteria: Selection;
  /** The ETag of each CSV the titles were selected from: a replaced CSV is a different selection (finding 5). */
  sources: Record<string, string>;
  titles: [string, TitleKind, number][];
}

const CSV_FILE: Record<TitleKind, string> = { movies: "movies.csv", series: "series.csv" };
const RAW_CSV = { movies: DATASETS.rawMoviesCsv, series: DATASETS.rawSeriesCsv } as const;

/** The latest day holding a Raw CSV, or undefined when there is none. */
async function findLatestCsvDate(s3: S3Client, bucket: string): Promise<string | undefined> {
  const dates: string[] = [];
  for (const kind of ["movies", "series"] as TitleKind[]) {
    for await (const object of listAllObjects(s3, bucket, datasetPrefix(RAW_CSV[kind]))) {
      let path: LakePath;
      try {
        path = parseLakeKey(object.Key ?? "");
      } catch {
        continue; // Not a file of the convention (e.g. a stray upload, an impossible day): not ours to pick.
      }
      if (path.file === CSV_FILE[kind]) dates.push(path.date);
    }
  }
  return dates.sort().at(-1);
}

/** The latest day holding a Raw CSV, or throws with the fix when there is none. */
export async function latestCsvDate(s3: S3Client, bucket: string): Promise<string> {
  const latest = await findLatestCsvDate(s3, bucket);
  if (latest === undefined)
    throw new EmptySelectionError(
      `no Raw CSV in s3://${bucket}/${datasetPrefix(RAW_CSV.movies)} or ${datasetPrefix(RAW_CSV.series)}: run the BatchIngestor first`,
    );
  return latest;
}

/** The CSV's ETag (from a listing, which the role may do), or undefined when it is not there. */
async function csvEtag(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
  return (page.Contents ?? []).find((object) => object.Key === key)?.ETag;
}

function describeCriteria(criteria: Selection): string {
  const parts = [`kind=${criteria.kind}`];
  if (criteria.genres.length > 0) parts.push(`genres=${criteria.genres.join(",")}`);
  if (criteria.yearFrom !== undefined) parts.push(`year-from=${criteria.yearFrom}`);
  if (criteria.yearTo !== undefined) parts.push(`year-to=${criteria.yearTo}`);
  if (criteria.minVotes > 0) parts.push(`min-votes=${criteria.minVotes}`);
  parts.push(`limit=${criteria.limit}`);
  return parts.join(" ");
}

/**
 * Selects the titles, reusing the cached selection while the CSV day, the criteria and the CSVs' content (their
 * ETags) are unchanged. A day without the CSVs the criteria need, or criteria that select nothing, are refused with
 * the fix rather than cached as an empty selection that would make every later run "done" with nothing.
 */
async function selection(
  s3: S3Client,
  bucket: string,
  csvDate: string,
  criteria: Selection,
): Promise<{ titles: SelectedTitle[]; rejectedRows: number }> {
  const kinds = (["movies", "series"] as TitleKind[]).filter(
    (kind) => criteria.kind === "all" || criteria.kind === kind,
  );
  const keys = Object.fromEntries(
    kinds.map((kind) => [kind, lakeKey({ ...RAW_CSV[kind], date: csvDate, file: CSV_FILE[kind] })]),
  ) as Partial<Record<TitleKind, string>>;
  const sources: Record<string, string> = {};
  for (const kind of kinds) {
    const etag = await csvEtag(s3, bucket, keys[kind] as string);
    if (etag !== undefined) sources[keys[kind] as string] = etag;
  }
  const missing = kinds.filter((kind) => sources[keys[kind] as string] === undefined);
  if (missing.length === kinds.length) {
    const latest = await findLatestCsvDate(s3, bucket);
    throw new EmptySelectionError(
      `no Raw CSV for ${csvDate} (${kinds.map((kind) => s3Uri(bucket, keys[kind] as string)).join(", ")}` +
        `${missing.length === 1 ? " is missing" : " are missing"}): run the BatchIngestor for that day ` +
        `(npm run ingest:batch -- --date ${csvDate}) or pick a day that has CSVs` +
        (latest === undefined ? " (the bucket has none yet)" : ` (the latest is ${latest}: --date ${latest})`),
    );
  }
  // A limit of 0 asks for nothing (the demo's --tmdb-limit 0): an empty selection by request, not by accident.
  if (criteria.limit === 0) return { titles: [], rejectedRows: 0 };
  const cached = await loadJson<CachedSelection>(s3, bucket, SELECTION_KEY);
  if (
    cached &&
    cached.csvDate === csvDate &&
    JSON.stringify(cached.criteria) === JSON.stringify(criteria) &&
    JSON.stringify(cached.sources ?? {}) === JSON.stringify(sources) &&
    cached.titles.length > 0
  )
    return { titles: cached.titles.map(([imdbId, kind, votes]) => ({ imdbId, kind, votes })), rejectedRows: 0 };
  const csvSources: CsvSource[] = [];
  for (const kind of kinds) {
    const key = keys[kind] as string;
    if (sources[key] === undefined) continue; // An "all" selection of a day with one of the two files.
    csvSources.push({
      kind,
      lines: () => {
        // A lazy iterable: the object is opened only when selection starts reading it, and streamed line by line.
        // IfMatch: the bytes read are those whose ETag keys the cache, even if the CSV is replaced meanwhile.
        const open = s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: sources[key] }));
        return (async function* () {
          yield* linesOf((await open).Body as Readable);
        })();
      },
    });
  }
  const result = await selectTitles(csvSources, criteria);
  if (result.titles.length === 0)
    throw new EmptySelectionError(
      `the criteria select no title from the ${result.rowsRead} rows of ${csvDate}'s CSVs (${describeCriteria(criteria)}` +
        `${result.rejectedRows > 0 ? `; ${result.rejectedRows} rows were refused` : ""}): widen them ` +
        "(check the spelling of the genres, the years and the minimum votes) or pick another day",
    );
  const doc: CachedSelection = {
    csvDate,
    criteria,
    sources,
    titles: result.titles.map((title) => [title.imdbId, title.kind, title.votes]),
  };
  await saveJson(s3, bucket, SELECTION_KEY, doc);
  return { titles: result.titles, rejectedRows: result.rejectedRows };
}

/** A unique Raw file name: `tmdb-<kind>-<UTC timestamp>-<random>.json`. */
export function rawFileName(kind: TitleKind, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `tmdb-${kind}-${stamp}-${randomBytes(6).toString("hex")}.json`;
}

/** Runs one slice: fetches until done or the deadline, writes the files, saves the checkpoint. */
export async function runSlice(
  deps: { s3: S3Client; client: TmdbClient },
  options: SliceOptions,
): Promise<SliceResult> {
  const { s3, client } = deps;
  const { bucket } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  // A margin larger than a quarter of the slice (a short Lambda timeout) would leave no time to work: cap it.
  const stopMarginMs = Math.min(options.stopMarginMs, Math.max(0, options.remainingMs()) / 4);
  const abortMarginMs = options.abortMarginMs ?? stopMarginMs / 2;
  const started = performance.now();
  const statsBefore = { ...client.stats };

  const { state, adopted, forgotten } = await loadReconciledState(s3, bucket);
  if (adopted + forgotten > 0)
    log(`reconciled the checkpoint with the Raw files: ${adopted} adopted, ${forgotten} forgotten`);
  const csvDate = options.csvDate ?? (await latestCsvDate(s3, bucket));
  const { titles, rejectedRows } = await selection(s3, bucket, csvDate, options.selection);
  const todo = state.todo(titles, maxAttempts);
  log(`csv day ${csvDate}: ${titles.length} selected, ${todo.length} to fetch in this slice`);

  const counts = { fetched: 0, notFound: 0, failed: 0, abandoned: 0, transient: 0 };
  // TMDB is taken as unreachable when this many titles in a row failed transiently with no answer in between, or when
  // a slice got no answer at all: the slice then stops (there is no point burning through the rest) and throws.
  const unreachableAfter = Math.max(5, client.limiter.maxInFlight);
  let failedInARow = 0;
  let lastTransient = "";
  const files: string[] = [];
  const batchers: Record<TitleKind, FileBatcher> = {
    movies: new FileBatcher(options.fileLimits ?? DEFAULT_FILE_LIMITS),
    series: new FileBatcher(options.fileLimits ?? DEFAULT_FILE_LIMITS),
  };
  // Files are written one at a time, each followed by a checkpoint save, in the order they filled.
  let writes: Promise<void> = Promise.resolve();
  let writeError: unknown;
  const leaseLost = options.leaseLost;
  const enqueueWrite = (kind: TitleKind, batch: FileBatch) => {
    writes = writes.then(async () => {
      // A lost lease: another run may be fetching these ids now; leaving them pending cannot duplicate them.
      if (writeError || leaseLost?.aborted) return;
      try {
        files.push(await writeRawFile(s3, bucket, kind, batch, state, now()));
        await saveState(s3, bucket, state, now());
      } catch (error) {
        writeError = error;
      }
    });
  };

  const abort = new AbortController();
  // Every waiting request listens to this one signal: many listeners are expected, not a leak.
  setMaxListeners(0, abort.signal);
  let fatal: unknown;
  let stopped = false;
  const watchdog = setInterval(() => {
    if (options.remainingMs() < abortMarginMs) abort.abort(new Error("slice deadline"));
  }, 100);
  const onLeaseLost = () => {
    fatal ??= leaseLost?.reason;
    abort.abort(leaseLost?.reason);
  };
  if (leaseLost?.aborted) onLeaseLost();
  leaseLost?.addEventListener("abort", onLeaseLost, { once: true });
  const unreachable = (inARow: number) =>
    new TmdbUnreachableError(
      `TMDB could not be reached at ${client.baseUrl}: ${inARow} titles in a row failed with no answer ` +
        `(last: ${lastTransient}); no id was marked failed, ${tally(state, titles, maxAttempts).remaining} ids stay ` +
        "pending: check TMDB_BASE_URL and the network (or TMDB's status page), then rerun",
    );
  let next = 0;
  const worker = async () => {
    while (next < todo.length && !fatal && !writeError && !abort.signal.aborted) {
      if (options.remainingMs() < stopMarginMs) {
        stopped = true;
        return;
      }
      const title = todo[next++] as SelectedTitle;
      let outcome;
      try {
        outcome = await client.fetchTitle(title, abort.signal);
      } catch (error) {
        if (abort.signal.aborted && !fatal) {
          counts.abandoned += 1; // Left pending: the next slice fetches it again.
          stopped = true;
          return;
        }
        fatal ??= error;
        abort.abort(error);
        return;
      }
      if (outcome.status === "failed" && outcome.failure === "transient") {
        // Says nothing about the title: it stays pending. Enough of these in a row means TMDB cannot be reached.
        counts.transient += 1;
        failedInARow += 1;
        lastTransient = outcome.reason;
        if (failedInARow >= unreachableAfter && !fatal) {
          fatal = unreachable(failedInARow);
          abort.abort(fatal);
        }
        continue;
      }
      failedInARow = 0;
      if (outcome.status === "not_found") {
        state.markNotFound(title.imdbId, outcome.reason);
        counts.notFound += 1;
      } else if (outcome.status === "failed") {
        state.markFailed(title.imdbId, outcome.reason, outcome.failure === "definitive", maxAttempts);
        counts.failed += 1;
      } else {
        const added = batchers[title.kind].add({ imdbId: title.imdbId, body: outcome.body });
        if (!added.accepted) {
          state.markFailed(title.imdbId, added.reason, true, maxAttempts);
          counts.failed += 1;
        } else {
          counts.fetched += 1;
          for (const batch of added.completed) enqueueWrite(title.kind, batch);
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, client.limiter.maxInFlight) }, worker));
  } finally {
    clearInterval(watchdog);
    leaseLost?.removeEventListener("abort", onLeaseLost);
  }
  const answered = counts.fetched + counts.notFound + counts.failed;
  if (!fatal && answered === 0 && counts.transient > 0) fatal = unreachable(counts.transient);
  if (!leaseLost?.aborted)
    for (const kind of ["movies", "series"] as TitleKind[]) {
      const last = batchers[kind].flush();
      if (last) enqueueWrite(kind, last);
    }
  await writes;
  if (writeError) throw writeError;
  // Not-found and failed outcomes, even without files (never after losing the lease: it is no longer ours to write).
  if (files.length === 0 && !leaseLost?.aborted) await saveState(s3, bucket, state, now());
  // A refused token, an unreachable TMDB, a lost lease (or any unexpected error) ends the run loudly, after what was
  // fetched is safely written.
  if (fatal) throw fatal;

  const totals = tally(state, titles, maxAttempts);
  const statsAfter = client.stats;
  const delta = Object.fromEntries(
    Object.entries(statsAfter).map(([key, value]) => [key, value - statsBefore[key as keyof ClientStats]]),
  ) as unknown as ClientStats;
  return {
    done: totals.remaining === 0,
    csvDate,
    selected: titles.length,
    ...totals,
    slice: {
      ...counts,
      files,
      adoptedFiles: adopted,
      forgottenFiles: forgotten,
      stoppedBy: stopped || counts.abandoned > 0 ? "deadline" : "done",
      durationMs: Math.round(performance.now() - started),
      ...delta,
    },
    rejectedCsvRows: rejectedRows,
    duplicates: state.duplicates.size,
  };
}

async function writeRawFile(
  s3: S3Client,
  bucket: string,
  kind: TitleKind,
  batch: FileBatch,
  state: IngestState,
  now: Date,
): Promise<string> {
  const key = lakeKey({ ...RAW_TMDB[kind], date: todayUtc(now), file: rawFileName(kind, now) });
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: batch.text,
      ContentType: "application/json",
      Metadata: { [IDS_METADATA]: batch.imdbIds.join(",") },
    }),
  );
  state.addFile(key, batch.imdbIds);
  return key;
}

function tally(state: IngestState, titles: SelectedTitle[], maxAttempts: number) {
  const totals = { fetched: 0, notFound: 0, failed: 0, remaining: 0 };
  for (const title of titles) {
    const outcome = state.outcomeOf(title.imdbId);
    if (outcome.status === "fetched") totals.fetched += 1;
    else if (outcome.status === "not_found") totals.notFound += 1;
    else if (outcome.status === "failed" && outcome.attempts >= maxAttempts) totals.failed += 1;
    else totals.remaining += 1;
  }
  return totals;
}

/** The settings of a local run (the demo runner and `npm run ingest:api`). */
export interface ApiIngestionOptions extends Omit<TmdbClientOptions, "maxRps" | "maxInFlight"> {
  bucket: string;
  csvDate?: string;
  selection?: Partial<Selection>;
  maxRps?: number;
  maxInFlight?: number;
  /** Stop after this many ms in total (default: no limit); the result then says `done: false`. */
  deadlineMs?: number;
  /** Length of one slice (default 5 minutes, like a Lambda run). */
  sliceMs?: number;
  fileLimits?: FileLimits;
  maxAttempts?: number;
  /** The lease's holder and lifetime (default: this process, 60 s); the run refuses to start while another holds it. */
  lease?: Partial<Pick<LeaseOptions, "holder" | "ttlMs" | "isAlive">>;
  /** Aborting it ends the run at the next moment it can stop cleanly (files and checkpoint written): `done: false`. */
  stop?: AbortSignal;
  s3: S3Client;
  log?: (message: string) => void;
}

/** The outcome of a local run: the last slice's totals and the sum of what every slice did. */
export interface ApiIngestionResult {
  done: boolean;
  slices: number;
  last: SliceResult;
  filesWritten: number;
  requests: number;
  retries: number;
  throttled: number;
}

/**
 * Runs slices until every selected id has an outcome (or `deadlineMs` passes, or `stop` aborts): the typed local
 * entry point. The whole run holds the lease (finding 8): a second run at the same time refuses to start.
 */
export async function runApiIngestion(options: ApiIngestionOptions): Promise<ApiIngestionResult> {
  const client = new TmdbClient({
    baseUrl: options.baseUrl,
    token: options.token,
    maxRps: options.maxRps ?? 40,
    maxInFlight: options.maxInFlight ?? 20,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
  });
  const selection: Selection = { kind: "all", genres: [], minVotes: 0, limit: 5000, ...options.selection };
  const runEnd = performance.now() + (options.deadlineMs ?? Number.POSITIVE_INFINITY);
  const sliceMs = options.sliceMs ?? 300_000;
  const stop = options.stop;
  return withLease(
    { s3: options.s3, bucket: options.bucket, kind: "cli", log: options.log, ...options.lease },
    async (lease) => {
      let filesWritten = 0;
      for (let slices = 1; ; slices += 1) {
        const sliceEnd = Math.min(runEnd, performance.now() + sliceMs);
        const last = await runSlice(
          { s3: options.s3, client },
          {
            bucket: options.bucket,
            csvDate: options.csvDate,
            selection,
            // A stop request is a deadline that has come: the slice winds down the way it does at its end.
            remainingMs: () => (stop?.aborted ? -1 : sliceEnd - performance.now()),
            stopMarginMs: Math.min(5000, sliceMs / 10),
            fileLimits: options.fileLimits,
            maxAttempts: options.maxAttempts,
            leaseLost: lease.lost,
            log: options.log,
          },
        );
        filesWritten += last.slice.files.length;
        options.log?.(
          `slice ${slices}: +${last.slice.fetched} fetched, +${last.slice.notFound} not found, ` +
            `+${last.slice.failed} failed, ${last.slice.transient} left pending after transient errors, ` +
            `${last.remaining} remaining (${last.slice.files.length} files, ${last.slice.durationMs} ms)`,
        );
        if (last.done || performance.now() >= runEnd || stop?.aborted)
          return {
            done: last.done,
            slices,
            last,
            filesWritten,
            requests: client.stats.requests,
            retries: client.stats.retries,
            throttled: client.stats.throttled,
          };
      }
    },
  );
}
