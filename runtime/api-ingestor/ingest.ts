/**
 * One time-boxed slice of the ApiIngestor, and the local loop over slices: reconcile the checkpoint with the Raw
 * files, select titles from the Raw CSVs, fetch what is missing through the TMDB client, write full files as they
 * fill, stop cleanly before the deadline, flush and save the checkpoint. The Lambda handler and the CLI both call it.
 */
import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { Readable } from "node:stream";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { DATASETS, datasetPrefix, lakeKey, parseLakeKey, todayUtc, type LakePath } from "../../components/lakePaths";
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
import { selectTitles, type CsvSource, type SelectedTitle, type Selection, type TitleKind } from "./selection";
import { TmdbClient, type ClientStats, type TmdbClientOptions } from "./tmdbClient";

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
  /** Tries per failing id across slices (default 3). */
  maxAttempts?: number;
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
  titles: [string, TitleKind, number][];
}

const CSV_FILE: Record<TitleKind, string> = { movies: "movies.csv", series: "series.csv" };
const RAW_CSV = { movies: DATASETS.rawMoviesCsv, series: DATASETS.rawSeriesCsv } as const;

/** The latest day holding a Raw CSV, or throws with the fix when there is none. */
export async function latestCsvDate(s3: S3Client, bucket: string): Promise<string> {
  const dates: string[] = [];
  for (const kind of ["movies", "series"] as TitleKind[]) {
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: datasetPrefix(RAW_CSV[kind]), ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        let path: LakePath;
        try {
          path = parseLakeKey(object.Key ?? "");
        } catch {
          continue; // Not a file of the convention (e.g. a stray upload): not ours to judge here.
        }
        if (path.file === CSV_FILE[kind]) dates.push(path.date);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  if (dates.length === 0)
    throw new Error(
      `no Raw CSV in s3://${bucket}/${datasetPrefix(RAW_CSV.movies)} or ${datasetPrefix(RAW_CSV.series)}: run the BatchIngestor first`,
    );
  return dates.sort().at(-1) as string;
}

async function csvExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
  return (page.Contents ?? []).some((object) => object.Key === key);
}

/** Selects the titles, reusing the cached selection while the CSV day and the criteria are unchanged. */
async function selection(
  s3: S3Client,
  bucket: string,
  csvDate: string,
  criteria: Selection,
): Promise<{ titles: SelectedTitle[]; rejectedRows: number }> {
  const cached = await loadJson<CachedSelection>(s3, bucket, SELECTION_KEY);
  if (cached && cached.csvDate === csvDate && JSON.stringify(cached.criteria) === JSON.stringify(criteria))
    return { titles: cached.titles.map(([imdbId, kind, votes]) => ({ imdbId, kind, votes })), rejectedRows: 0 };
  const sources: CsvSource[] = [];
  for (const kind of ["movies", "series"] as TitleKind[]) {
    if (criteria.kind !== "all" && criteria.kind !== kind) continue;
    const key = lakeKey({ ...RAW_CSV[kind], date: csvDate, file: CSV_FILE[kind] });
    if (!(await csvExists(s3, bucket, key))) {
      if (criteria.kind === kind) throw new Error(`s3://${bucket}/${key} does not exist: the selection needs it`);
      continue;
    }
    sources.push({
      kind,
      lines: () => {
        // A lazy iterable: the object is opened only when selection starts reading it, and streamed line by line.
        const open = s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return (async function* () {
          yield* linesOf((await open).Body as Readable);
        })();
      },
    });
  }
  const result = await selectTitles(sources, criteria);
  const doc: CachedSelection = {
    csvDate,
    criteria,
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

  const counts = { fetched: 0, notFound: 0, failed: 0, abandoned: 0 };
  const files: string[] = [];
  const batchers: Record<TitleKind, FileBatcher> = {
    movies: new FileBatcher(options.fileLimits ?? DEFAULT_FILE_LIMITS),
    series: new FileBatcher(options.fileLimits ?? DEFAULT_FILE_LIMITS),
  };
  // Files are written one at a time, each followed by a checkpoint save, in the order they filled.
  let writes: Promise<void> = Promise.resolve();
  let writeError: unknown;
  const enqueueWrite = (kind: TitleKind, batch: FileBatch) => {
    writes = writes.then(async () => {
      if (writeError) return;
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
      if (outcome.status === "not_found") {
        state.markNotFound(title.imdbId, outcome.reason);
        counts.notFound += 1;
      } else if (outcome.status === "failed") {
        state.markFailed(title.imdbId, outcome.reason, outcome.permanent, maxAttempts);
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
  }
  for (const kind of ["movies", "series"] as TitleKind[]) {
    const last = batchers[kind].flush();
    if (last) enqueueWrite(kind, last);
  }
  await writes;
  if (writeError) throw writeError;
  if (files.length === 0) await saveState(s3, bucket, state, now()); // Not-found and failed outcomes, even without files.
  // A refused token (or any unexpected error) ends the run loudly, after what was fetched is safely written.
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

/** Runs slices until every selected id has an outcome (or `deadlineMs` passes): the typed local entry point. */
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
  let filesWritten = 0;
  for (let slices = 1; ; slices += 1) {
    const sliceEnd = Math.min(runEnd, performance.now() + sliceMs);
    const last = await runSlice(
      { s3: options.s3, client },
      {
        bucket: options.bucket,
        csvDate: options.csvDate,
        selection,
        remainingMs: () => sliceEnd - performance.now(),
        stopMarginMs: Math.min(5000, sliceMs / 10),
        fileLimits: options.fileLimits,
        maxAttempts: options.maxAttempts,
        log: options.log,
      },
    );
    filesWritten += last.slice.files.length;
    options.log?.(
      `slice ${slices}: +${last.slice.fetched} fetched, +${last.slice.notFound} not found, +${last.slice.failed} failed, ` +
        `${last.remaining} remaining (${last.slice.files.length} files, ${last.slice.durationMs} ms)`,
    );
    if (last.done || performance.now() >= runEnd)
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
}
