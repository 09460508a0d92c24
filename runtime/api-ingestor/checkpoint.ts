/**
 * The checkpoint: each selected id's outcome (fetched in which Raw file, not found, failed with the reason). Raw files
 * are the truth: each carries the IMDb ids it holds in its S3 metadata, and every slice starts by reconciling the
 * checkpoint with a listing of the Raw TMDB prefixes (a file the checkpoint misses is adopted, a file that is gone
 * is forgotten). So a process killed between writing a file and saving the checkpoint loses and duplicates nothing.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { listAllObjects } from "../shared/s3Client";
import { DATASETS, SYSTEM_PREFIXES, datasetPrefix } from "../../lake/paths";
import type { SelectedTitle, TitleKind } from "./selection";

/** The checkpoint's prefix: `_system/checkpoints/api-ingestor/`. */
export const CHECKPOINT_PREFIX = `${SYSTEM_PREFIXES.checkpoints}api-ingestor/`;
/** The checkpoint object. */
export const CHECKPOINT_KEY = `${CHECKPOINT_PREFIX}state.json`;
/** The cached selection (reused while the CSV day, the criteria and the CSVs' ETags stay the same). */
export const SELECTION_KEY = `${CHECKPOINT_PREFIX}selection.json`;
/** The S3 user metadata entry (`x-amz-meta-imdb-ids`) listing a Raw file's ids, comma-separated. */
export const IDS_METADATA = "imdb-ids";

/** The Raw TMDB dataset of each kind. */
export const RAW_TMDB = { movies: DATASETS.rawTmdbMovies, series: DATASETS.rawTmdbSeries } as const;

/** A failure kept in the checkpoint. */
export interface FailedEntry {
  reason: string;
  attempts: number;
}

/**
 * The checkpoint document as stored (JSON). Fetched ids are held per file, mirroring the Raw zone. Version 2 keeps in
 * `failed` only what TMDB's answers decided (definitive failures and malformed bodies); version 1 also kept network
 * errors, 5xx and timeouts there, for good, so its failures are dropped on reading and those ids are tried again.
 */
export interface CheckpointDoc {
  version: 1 | 2;
  updatedAt: string;
  files: Record<string, string[]>;
  notFound: Record<string, string>;
  failed: Record<string, FailedEntry>;
}

/** The outcome of one id. */
export type IdOutcome =
  | { status: "fetched"; file: string }
  | { status: "not_found"; reason: string }
  | { status: "failed"; reason: string; attempts: number }
  | { status: "pending" };

/** The in-memory checkpoint: pure bookkeeping of outcomes. */
export class IngestState {
  private readonly files = new Map<string, string[]>();
  private readonly fetched = new Map<string, string>();
  private readonly notFound = new Map<string, string>();
  private readonly failed = new Map<string, FailedEntry>();
  /** Ids found in more than one Raw file (should stay empty; reported, never hidden). */
  readonly duplicates = new Set<string>();

  /** Rebuilds the state from a stored document. */
  static fromDoc(doc: CheckpointDoc | undefined): IngestState {
    const state = new IngestState();
    if (!doc) return state;
    for (const [file, ids] of Object.entries(doc.files)) state.addFile(file, ids);
    for (const [id, reason] of Object.entries(doc.notFound)) state.markNotFound(id, reason);
    // Version 1 failures may be an outage recorded as final (issue 13, finding 4): forget them, they are retried.
    if (doc.version >= 2) for (const [id, entry] of Object.entries(doc.failed)) state.failed.set(id, { ...entry });
    return state;
  }

  /** The document to store. */
  toDoc(now: Date = new Date()): CheckpointDoc {
    return {
      version: 2,
      updatedAt: now.toISOString(),
      files: Object.fromEntries(this.files),
      notFound: Object.fromEntries(this.notFound),
      failed: Object.fromEntries(this.failed),
    };
  }

  /** The Raw files the state knows. */
  knownFiles(): string[] {
    return [...this.files.keys()];
  }

  /** Records a Raw file and its ids as fetched (a fetched id is no longer not-found or failed). */
  addFile(file: string, ids: string[]): void {
    if (this.files.has(file)) return;
    this.files.set(file, ids);
    for (const id of ids) {
      if (this.fetched.has(id) && this.fetched.get(id) !== file) this.duplicates.add(id);
      this.fetched.set(id, file);
      this.notFound.delete(id);
      this.failed.delete(id);
    }
  }

  /** Forgets a Raw file that no longer exists: its ids become pending again. */
  removeFile(file: string): void {
    for (const id of this.files.get(file) ?? []) if (this.fetched.get(id) === file) this.fetched.delete(id);
    this.files.delete(file);
  }

  /** Records that TMDB does not know an id. */
  markNotFound(id: string, reason: string): void {
    if (this.fetched.has(id)) return;
    this.notFound.set(id, reason);
    this.failed.delete(id);
  }

  /**
   * Records a failure TMDB's answer decided: `permanent` ones (a definitive answer, a record too large to store) are
   * final at once (attempts jump to `maxAttempts`); others (a malformed body) count one attempt. Transient failures
   * are never recorded: they say nothing about the id.
   */
  markFailed(id: string, reason: string, permanent: boolean, maxAttempts: number): void {
    if (this.fetched.has(id)) return;
    const attempts = permanent ? maxAttempts : (this.failed.get(id)?.attempts ?? 0) + 1;
    this.failed.set(id, { reason, attempts });
  }

  /** The outcome of an id. */
  outcomeOf(id: string): IdOutcome {
    const file = this.fetched.get(id);
    if (file !== undefined) return { status: "fetched", file };
    const reason = this.notFound.get(id);
    if (reason !== undefined) return { status: "not_found", reason };
    const failed = this.failed.get(id);
    if (failed) return { status: "failed", ...failed };
    return { status: "pending" };
  }

  /** The titles still to fetch: never tried first, then failures with attempts left. */
  todo(titles: SelectedTitle[], maxAttempts: number): SelectedTitle[] {
    const pending: SelectedTitle[] = [];
    const retry: SelectedTitle[] = [];
    for (const title of titles) {
      const outcome = this.outcomeOf(title.imdbId);
      if (outcome.status === "pending") pending.push(title);
      else if (outcome.status === "failed" && outcome.attempts < maxAttempts) retry.push(title);
    }
    return [...pending, ...retry];
  }
}

async function readJson<T>(s3: S3Client, bucket: string, key: string): Promise<T | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await (response.Body as { transformToString(): Promise<string> }).transformToString()) as T;
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey") return undefined;
    throw error;
  }
}

/** Loads a JSON object from the checkpoint prefix, or undefined when absent. */
export function loadJson<T>(s3: S3Client, bucket: string, key: string): Promise<T | undefined> {
  return readJson<T>(s3, bucket, key);
}

/** Stores a JSON object (a single PUT: S3 replaces objects atomically). */
export async function saveJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: "application/json" }),
  );
}

/** Every `.json` key under a prefix. */
export async function listJsonKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of listAllObjects(s3, bucket, prefix))
    if (object.Key?.endsWith(".json")) keys.push(object.Key);
  return keys;
}

/** The ids a Raw file holds, from its metadata. */
export async function idsOfRawFile(s3: S3Client, bucket: string, key: string): Promise<string[]> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  const ids = head.Metadata?.[IDS_METADATA];
  if (ids === undefined)
    throw new Error(
      `Raw file s3://${bucket}/${key} has no ${IDS_METADATA} metadata: it was not written by the ApiIngestor`,
    );
  return ids === "" ? [] : ids.split(",");
}

/** Loads the checkpoint and reconciles it with the Raw TMDB files (the truth); returns the state and what changed. */
export async function loadReconciledState(
  s3: S3Client,
  bucket: string,
): Promise<{ state: IngestState; adopted: number; forgotten: number }> {
  const state = IngestState.fromDoc(await readJson<CheckpointDoc>(s3, bucket, CHECKPOINT_KEY));
  const kinds: TitleKind[] = ["movies", "series"];
  const listed = new Set(
    (await Promise.all(kinds.map((kind) => listJsonKeys(s3, bucket, datasetPrefix(RAW_TMDB[kind]))))).flat(),
  );
  let forgotten = 0;
  for (const file of state.knownFiles())
    if (!listed.has(file)) {
      state.removeFile(file);
      forgotten += 1;
    }
  const known = new Set(state.knownFiles());
  let adopted = 0;
  for (const file of [...listed].sort()) {
    if (known.has(file)) continue;
    state.addFile(file, await idsOfRawFile(s3, bucket, file));
    adopted += 1;
  }
  return { state, adopted, forgotten };
}

/** Saves the checkpoint. */
export function saveState(s3: S3Client, bucket: string, state: IngestState, now: Date = new Date()): Promise<void> {
  return saveJson(s3, bucket, CHECKPOINT_KEY, state.toDoc(now));
}
