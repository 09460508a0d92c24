/**
 * The ApiIngestor's environment contract: the variable names the Lambda handler reads, written once so that the
 * Pulumi component imports them instead of retyping them, and the parsing of those variables into typed settings.
 */
import { ConfigError } from "../../lake/errors";
import { parseDay } from "../../lake/paths";
import { choiceSetting, numberSetting } from "../shared/flags";
import { DEFAULT_FILE_LIMITS, type FileLimits } from "./batcher";
import { DEFAULT_LEASE_TTL_MS } from "./lease";
import type { Selection, TitleKind } from "./selection";

/** The environment variables the handler reads (the component sets them; `TMDB_TOKEN` is for local runs only). */
export const API_INGESTOR_ENV = {
  /** The lake bucket's name (required). */
  bucket: "LAKE_BUCKET",
  /** The Secrets Manager name or ARN of the TMDB token (required in Lambda; its SecretString is the token). */
  secretId: "TMDB_SECRET_ID",
  /** The token itself, for local runs only (takes precedence over the secret; never set it in Lambda). */
  token: "TMDB_TOKEN",
  /** TMDB's base URL (default `https://api.themoviedb.org/3`). */
  baseUrl: "TMDB_BASE_URL",
  /** The Raw CSV day (`YYYY-MM-DD`) to read ids from; default: the latest day in the bucket. */
  csvDate: "CSV_DATE",
  /** `movies`, `series` or `all` (default `all`). */
  kind: "SELECTION_KIND",
  /** Comma-separated IMDb genres; a title is selected if it has any of them (default: all genres). */
  genres: "SELECTION_GENRES",
  /** First release year selected (inclusive). */
  yearFrom: "SELECTION_YEAR_FROM",
  /** Last release year selected (inclusive). */
  yearTo: "SELECTION_YEAR_TO",
  /** Minimum IMDb vote count (default 0). */
  minVotes: "SELECTION_MIN_VOTES",
  /** At most this many titles, the most voted first (default 5000). */
  limit: "SELECTION_LIMIT",
  /** TMDB requests started per second, retries included (default 40). */
  maxRps: "TMDB_MAX_RPS",
  /** TMDB requests in flight at once (default 20). */
  maxInFlight: "TMDB_MAX_IN_FLIGHT",
  /** Stop taking new titles this many ms before the Lambda's time runs out (default 60000). */
  stopMarginMs: "SLICE_STOP_MARGIN_MS",
  /** Per-request timeout in ms (default 10000). */
  timeoutMs: "TMDB_TIMEOUT_MS",
  /** First retry backoff in ms, doubling per attempt (default 500). */
  retryBaseMs: "TMDB_RETRY_BASE_MS",
  /** Records per Raw file, 1-100 (default 100; lower it only to test). */
  maxRecordsPerFile: "RAW_MAX_RECORDS_PER_FILE",
  /** Bytes per Raw file, exclusive, at most 10,000,000 (the default). */
  maxFileBytes: "RAW_MAX_FILE_BYTES",
  /** How long the run's lease lives without renewal, in ms (default 60000): what a killed run costs the next one. */
  leaseTtlMs: "LEASE_TTL_MS",
} as const;

/** The name of a setting in {@link API_INGESTOR_ENV}. */
export type ApiIngestorEnvKey = keyof typeof API_INGESTOR_ENV;

/** TMDB's public API base URL, used when none is configured. */
export const DEFAULT_TMDB_BASE_URL = "https://api.themoviedb.org/3";
/** The default selection size: 5000 titles is about 10,000 requests, roughly 4-5 minutes at 40 requests/s. */
export const DEFAULT_SELECTION_LIMIT = 5000;
/** Default rate limit (TMDB allows about 40-50 requests/s per IP). */
export const DEFAULT_MAX_RPS = 40;
/** Default number of requests in flight (TMDB allows 20 connections per IP). */
export const DEFAULT_MAX_IN_FLIGHT = 20;
/** Default margin before the Lambda deadline at which a slice stops taking new titles. */
export const DEFAULT_STOP_MARGIN_MS = 60_000;

/** The handler's settings, parsed from the environment (the token source is resolved separately). */
export interface ApiIngestorSettings {
  bucket: string;
  secretId?: string;
  baseUrl: string;
  csvDate?: string;
  selection: Selection;
  maxRps: number;
  maxInFlight: number;
  stopMarginMs: number;
  timeoutMs: number;
  retryBaseMs: number;
  fileLimits: FileLimits;
  leaseTtlMs: number;
}

/** The settings the Lambda and the local command both take from the environment (timeouts, retries, files, lease). */
export type ApiIngestorTuning = Pick<ApiIngestorSettings, "timeoutMs" | "retryBaseMs" | "fileLimits" | "leaseTtlMs">;

/** A whole number of 0 or more from the environment; blank counts as unset (a template may leave it empty). */
function positiveInt(env: NodeJS.ProcessEnv, key: ApiIngestorEnvKey, fallback: number | undefined): number | undefined {
  const name = API_INGESTOR_ENV[key];
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  return numberSetting(name, raw.trim(), {});
}

/** Parses `movies`, `series` or `all` (any case; absent or blank: `all`) from the flag or variable `what`. */
export function parseKind(raw: string | undefined, what: string): TitleKind | "all" {
  const value = (raw ?? "all").trim().toLowerCase() || "all";
  return choiceSetting(what, value, ["movies", "series", "all"] as const) ?? "all";
}

/** Splits a comma-separated genre list, dropping blanks. */
export function parseGenres(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((genre) => genre.trim())
    .filter((genre) => genre !== "");
}

/** Reads the tuning both the Lambda and `ingest:api` take from the environment, naming the variable that is wrong. */
export function tuningFromEnv(env: NodeJS.ProcessEnv = process.env): ApiIngestorTuning {
  const leaseTtlMs = positiveInt(env, "leaseTtlMs", DEFAULT_LEASE_TTL_MS) || DEFAULT_LEASE_TTL_MS;
  if (leaseTtlMs < 1000)
    throw new ConfigError(
      API_INGESTOR_ENV.leaseTtlMs,
      `${leaseTtlMs} ms is under 1000 ms`,
      "set at least 1000, or unset it",
    );
  return {
    timeoutMs: positiveInt(env, "timeoutMs", 10_000) || 10_000,
    retryBaseMs: positiveInt(env, "retryBaseMs", 500) ?? 500,
    // Only ever lowered: the limits are the ceiling.
    fileLimits: {
      maxRecords: Math.min(DEFAULT_FILE_LIMITS.maxRecords, positiveInt(env, "maxRecordsPerFile", 100) || 100),
      maxBytes: Math.min(DEFAULT_FILE_LIMITS.maxBytes, positiveInt(env, "maxFileBytes", 10_000_000) || 10_000_000),
    },
    leaseTtlMs,
  };
}

/** Checks a CSV day with the lake's one date check (real calendar day, not after tomorrow), naming where it came from. */
export function checkCsvDate(date: string | undefined, what: string): string | undefined {
  if (date === undefined || date === "") return undefined;
  try {
    parseDay(date);
  } catch (error) {
    // The shared check says what to do for a day too far ahead (after ": give"); an impossible day needs the fix
    // spelled out here.
    const [problem, fix] = (error as Error).message.split(/: (?=give )/) as [string, string | undefined];
    throw new ConfigError(what, problem, fix ?? "give a real day, YYYY-MM-DD, that has Raw CSVs");
  }
  return date;
}

/** Reads the handler's settings from the environment, failing with a message that names the variable. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): ApiIngestorSettings {
  const bucket = env[API_INGESTOR_ENV.bucket];
  if (!bucket) throw new ConfigError(API_INGESTOR_ENV.bucket, "is not set", "set it to the lake bucket's name");
  const selection: Selection = {
    kind: parseKind(env[API_INGESTOR_ENV.kind], API_INGESTOR_ENV.kind),
    genres: parseGenres(env[API_INGESTOR_ENV.genres]),
    yearFrom: positiveInt(env, "yearFrom", undefined),
    yearTo: positiveInt(env, "yearTo", undefined),
    minVotes: positiveInt(env, "minVotes", 0) ?? 0,
    limit: positiveInt(env, "limit", DEFAULT_SELECTION_LIMIT) ?? DEFAULT_SELECTION_LIMIT,
  };
  return {
    bucket,
    secretId: env[API_INGESTOR_ENV.secretId] || undefined,
    baseUrl: env[API_INGESTOR_ENV.baseUrl] || DEFAULT_TMDB_BASE_URL,
    csvDate: checkCsvDate(env[API_INGESTOR_ENV.csvDate] || undefined, API_INGESTOR_ENV.csvDate),
    selection,
    maxRps: positiveInt(env, "maxRps", DEFAULT_MAX_RPS) || DEFAULT_MAX_RPS,
    maxInFlight: positiveInt(env, "maxInFlight", DEFAULT_MAX_IN_FLIGHT) || DEFAULT_MAX_IN_FLIGHT,
    stopMarginMs: positiveInt(env, "stopMarginMs", DEFAULT_STOP_MARGIN_MS) ?? DEFAULT_STOP_MARGIN_MS,
    ...tuningFromEnv(env),
  };
}
