/**
 * The TMDB client (ky over fetch): `/find/{imdb_id}` then `/movie/{id}` or `/tv/{id}` with `append_to_response`,
 * every attempt through the kept limiter, retries with capped exponential backoff and jitter on 429, 5xx, timeouts,
 * network errors and malformed bodies (honouring `Retry-After` with a floor), none on 404 or 401. The token never
 * appears in errors or reasons: they are built from the path alone.
 *
 * Each failure says what it means for the id (issue 13, finding 4): `transient` (network, 5xx, timeouts, 429 after
 * every retry) says nothing about the title, so the id stays pending; `definitive` (another 4xx) is TMDB's answer
 * about it; `malformed` (a body that is not the JSON object asked for) counts against the id, a few times over.
 */
import ky from "ky";
import { RateLimiter } from "./limiter";
import type { SelectedTitle, TitleKind } from "./selection";

/** What is appended to a movie's details (≤ 20 items; what the Trusted model and the dashboard use). */
export const MOVIE_APPEND = ["credits", "keywords", "external_ids", "release_dates"] as const;
/** What is appended to a series' details (`content_ratings` is TV's `release_dates`; `external_ids` has `imdb_id`). */
export const TV_APPEND = ["credits", "keywords", "external_ids", "content_ratings"] as const;

/** Retry settings. */
export interface RetryOptions {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  /** First backoff; doubles per attempt. */
  baseDelayMs: number;
  /** Backoff cap. */
  maxDelayMs: number;
  /** The least wait after a 429, also when `Retry-After` says 0. */
  retryAfterFloorMs: number;
}

/** Default retries: 6 attempts, 0.5 s doubling to at most 20 s, at least 1 s after a 429. */
export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  retryAfterFloorMs: 1000,
};

/** The client's settings. */
export interface TmdbClientOptions {
  baseUrl: string;
  token: string;
  maxRps: number;
  maxInFlight: number;
  /** Per-attempt timeout, body included (default 10 s). */
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
}

/** Thrown on HTTP 401: the run stops at once. */
export class TokenRefusedError extends Error {
  override name = "TokenRefusedError";
  constructor() {
    super("the TMDB token was refused (HTTP 401): check TMDB_TOKEN or the token secret");
  }
}

/** What a failure says about the id: nothing (`transient`), TMDB's final answer (`definitive`), or a bad body. */
export type FailureKind = "transient" | "definitive" | "malformed";

/** The result of fetching one title. */
export type FetchOutcome =
  | { status: "fetched"; kind: TitleKind; imdbId: string; tmdbId: number; body: string }
  | { status: "not_found"; imdbId: string; reason: string }
  | { status: "failed"; imdbId: string; reason: string; failure: FailureKind };

/** Counters of what the client did. */
export interface ClientStats {
  requests: number;
  retries: number;
  throttled: number;
  serverErrors: number;
  timeouts: number;
  networkErrors: number;
  malformed: number;
}

class RequestFailed extends Error {
  constructor(
    message: string,
    readonly failure: FailureKind,
  ) {
    super(message);
  }
}

type Attempt =
  | { kind: "ok"; body: string; json: unknown }
  | { kind: "not_found" }
  | { kind: "retry"; reason: string; waitMs?: number; malformed?: boolean }
  | { kind: "fail"; reason: string };

const V3_API_KEY = /^[0-9a-f]{32}$/i;

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The wait before retry `attempt` (1-based): capped exponential with equal jitter, or `Retry-After` with a floor. */
export function backoffMs(attempt: number, retry: RetryOptions, retryAfter?: number, random = Math.random): number {
  if (retryAfter !== undefined) return Math.max(retryAfter, retry.retryAfterFloorMs) + random() * 250;
  const capped = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  return capped / 2 + (random() * capped) / 2;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function statusMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { status_message?: unknown };
    return typeof parsed.status_message === "string" ? `: ${parsed.status_message.slice(0, 200)}` : "";
  } catch {
    return "";
  }
}

/** A TMDB API client with a kept limiter and retries. */
export class TmdbClient {
  /** Counters of requests, retries and errors. */
  readonly stats: ClientStats = {
    requests: 0,
    retries: 0,
    throttled: 0,
    serverErrors: 0,
    timeouts: 0,
    networkErrors: 0,
    malformed: 0,
  };
  readonly limiter: RateLimiter;
  /** The API base it talks to (for messages: it never holds the token). */
  readonly baseUrl: string;
  private readonly retry: RetryOptions;
  private readonly timeoutMs: number;
  private readonly http: typeof ky;
  private readonly authParams: Record<string, string>;

  constructor(options: TmdbClientOptions) {
    if (!options.token) throw new Error("no TMDB token: set TMDB_TOKEN (locally) or TMDB_SECRET_ID (in Lambda)");
    this.baseUrl = options.baseUrl;
    this.limiter = new RateLimiter({ maxRps: options.maxRps, maxInFlight: options.maxInFlight });
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const useApiKey = V3_API_KEY.test(options.token);
    this.http = ky.create({
      prefix: options.baseUrl,
      // Our own retry loop, so that every attempt passes through the limiter and is counted.
      retry: 0,
      timeout: false,
      throwHttpErrors: false,
      headers: useApiKey
        ? { accept: "application/json" }
        : { accept: "application/json", authorization: `Bearer ${options.token}` },
    });
    this.authParams = useApiKey ? { api_key: options.token } : {};
  }

  private async attempt(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<Attempt> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    this.stats.requests += 1;
    try {
      const response = await this.http.get(path, { searchParams: { ...params, ...this.authParams }, signal: combined });
      const body = await response.text();
      if (response.status === 200) {
        try {
          return { kind: "ok", body, json: JSON.parse(body) };
        } catch {
          this.stats.malformed += 1;
          return { kind: "retry", reason: `malformed JSON body from ${path}`, malformed: true };
        }
      }
      if (response.status === 401) throw new TokenRefusedError();
      if (response.status === 404) return { kind: "not_found" };
      if (response.status === 429) {
        this.stats.throttled += 1;
        const wait = retryAfterMs(response.headers.get("retry-after"));
        return { kind: "retry", reason: `HTTP 429 from ${path}`, waitMs: wait ?? this.retry.retryAfterFloorMs };
      }
      if (response.status >= 500) {
        this.stats.serverErrors += 1;
        return { kind: "retry", reason: `HTTP ${response.status} from ${path}${statusMessage(body)}` };
      }
      return { kind: "fail", reason: `HTTP ${response.status} from ${path}${statusMessage(body)}` };
    } catch (error) {
      if (error instanceof TokenRefusedError) throw error;
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) {
        this.stats.timeouts += 1;
        return { kind: "retry", reason: `timed out after ${this.timeoutMs} ms on ${path}` };
      }
      this.stats.networkErrors += 1;
      // ky wraps fetch's TypeError, which wraps the socket error: the innermost code (ECONNREFUSED...) says most.
      let code = (error as Error).name || "error";
      for (let cause: unknown = error; cause; cause = (cause as { cause?: unknown }).cause)
        if (typeof (cause as { code?: unknown }).code === "string") code = (cause as { code: string }).code;
      return { kind: "retry", reason: `network error (${code}) on ${path}` };
    }
  }

  /** GETs a path with retries; resolves to the parsed body or `not_found`; throws {@link RequestFailed} when out of tries. */
  private async get(path: string, params: Record<string, string>, signal?: AbortSignal) {
    for (let attempt = 1; ; attempt += 1) {
      const result = await this.limiter.run(() => this.attempt(path, params, signal), signal);
      if (result.kind === "ok" || result.kind === "not_found") return result;
      if (result.kind === "fail") throw new RequestFailed(result.reason, "definitive");
      if (attempt >= this.retry.maxAttempts)
        throw new RequestFailed(
          `${result.reason} (gave up after ${attempt} attempts)`,
          result.malformed ? "malformed" : "transient",
        );
      this.stats.retries += 1;
      await sleep(backoffMs(attempt, this.retry, result.waitMs), signal);
    }
  }

  /** Finds a title by IMDb id and fetches its details; throws only {@link TokenRefusedError} or an abort. */
  async fetchTitle(title: SelectedTitle, signal?: AbortSignal): Promise<FetchOutcome> {
    const { imdbId, kind } = title;
    try {
      const found = await this.get(`find/${imdbId}`, { external_source: "imdb_id" }, signal);
      if (found.kind === "not_found") return { status: "not_found", imdbId, reason: "find answered 404" };
      const results = found.json as { movie_results?: { id?: unknown }[]; tv_results?: { id?: unknown }[] };
      const match = (kind === "movies" ? results.movie_results : results.tv_results)?.[0];
      if (typeof match?.id !== "number")
        return { status: "not_found", imdbId, reason: `no ${kind === "movies" ? "movie" : "tv"} result on TMDB` };
      const [path, append] = kind === "movies" ? [`movie/${match.id}`, MOVIE_APPEND] : [`tv/${match.id}`, TV_APPEND];
      const details = await this.get(path, { append_to_response: append.join(",") }, signal);
      if (details.kind === "not_found") return { status: "not_found", imdbId, reason: `${path} answered 404` };
      if (typeof details.json !== "object" || details.json === null || Array.isArray(details.json))
        return { status: "failed", imdbId, reason: `${path} did not answer a JSON object`, failure: "malformed" };
      return { status: "fetched", kind, imdbId, tmdbId: match.id, body: details.body.trim() };
    } catch (error) {
      if (error instanceof RequestFailed)
        return { status: "failed", imdbId, reason: error.message, failure: error.failure };
      throw error;
    }
  }
}
