/**
 * The TMDB stand-in: a real HTTP server speaking TMDB's contract for the endpoints the ApiIngestor uses
 * (`/3/find/{imdb_id}`, `/3/movie/{id}`, `/3/tv/{id}` with `append_to_response`), with TMDB's status codes and error
 * bodies, a token (Bearer or `api_key`), a rate limit and a connection limit answered with 429, latency, and optional
 * faults (5xx, timeouts, malformed bodies, connection resets, 429 storms). Startable in-process or from the CLI.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Catalog, CatalogTitle } from "./catalog";
import { Rng } from "../shared/random";
import { findEntry, isKnown, movieDetails, tvDetails } from "./records";

/** The faults the stand-in can inject. */
export const FAULT_KINDS = ["5xx", "timeout", "malformed", "reset", "429"] as const;
/** One fault kind. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The stand-in's settings. */
export interface TmdbStandinOptions {
  /** The titles to serve (see catalogFromDir / catalogFromBucket). */
  catalog: Catalog;
  /** Port on 127.0.0.1 (default 0: a free one). */
  port?: number;
  /** The token clients must send (default: a random one, returned by start). */
  token?: string;
  /** Requests per second accepted (sliding one-second window); more are answered 429 (default 40). */
  rate?: number;
  /** Requests in flight at once; more are answered 429 (default 20). */
  maxConnections?: number;
  /** Delay before every normal answer (default 0). */
  latencyMs?: number;
  /** Share of authorised requests answered with a fault (default 0). */
  faultRate?: number;
  /** Which faults to draw from (default all). */
  faults?: FaultKind[];
  /** How long a `timeout` fault holds the request before dropping it (default 30 s). */
  hangMs?: number;
  /** Whether 429 answers carry `Retry-After` (TMDB's may or may not; default true, value 1). */
  retryAfter?: boolean;
  /** Extra bytes of crew per details record, to serve oversized records (default 0). */
  padBytes?: number;
  /** Seed of the fault draws (default 1). */
  seed?: number;
}

/** What the stand-in has answered so far. */
export interface StandinStats {
  requests: number;
  byStatus: Record<string, number>;
  throttledByRate: number;
  throttledByConnections: number;
  faults: Record<FaultKind, number>;
  peakInFlight: number;
  /** Accepted requests per path kind: find, movie, tv. */
  byEndpoint: Record<string, number>;
}

/** A running stand-in. */
export interface TmdbStandin {
  /** The API base, e.g. `http://127.0.0.1:40123/3` (what `TMDB_BASE_URL` takes). */
  baseUrl: string;
  /** The token it accepts. */
  token: string;
  /** Counters of what it answered. */
  stats(): StandinStats;
  /** Changes fault injection while running (tests switch faults on and off). */
  setFaults(faultRate: number, faults?: FaultKind[]): void;
  /** Stops it, dropping open connections. */
  stop(): Promise<void>;
}

const ERRORS = {
  401: { status_code: 7, status_message: "Invalid API key: You must be granted a valid key." },
  404: { status_code: 34, status_message: "The resource you requested could not be found." },
  429: { status_code: 25, status_message: "Your request count (#) is over the allowed limit of (40)." },
  500: { status_code: 11, status_message: "Internal error: Something went wrong, contact TMDb." },
  503: { status_code: 9, status_message: "Service offline: This service is temporarily offline, try again later." },
} as const;

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json;charset=utf-8", ...headers });
  response.end(text);
}

function sendError(response: ServerResponse, status: keyof typeof ERRORS, headers: Record<string, string> = {}): void {
  send(response, status, { success: false, ...ERRORS[status] }, headers);
}

function tokenOf(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice("Bearer ".length);
  return url.searchParams.get("api_key") ?? undefined;
}

/** Starts the stand-in on 127.0.0.1. */
export async function startTmdbStandin(options: TmdbStandinOptions): Promise<TmdbStandin> {
  const token = options.token ?? randomBytes(24).toString("hex");
  const rate = options.rate ?? 40;
  const maxConnections = options.maxConnections ?? 20;
  const latencyMs = options.latencyMs ?? 0;
  const hangMs = options.hangMs ?? 30_000;
  let faultRate = options.faultRate ?? 0;
  let faults: FaultKind[] = options.faults ?? [...FAULT_KINDS];
  const random = new Rng(options.seed ?? 1);
  const accepted: number[] = []; // start times of accepted requests in the last second (a sliding window)
  let inFlight = 0;
  const stats: StandinStats = {
    requests: 0,
    byStatus: {},
    throttledByRate: 0,
    throttledByConnections: 0,
    faults: { "5xx": 0, timeout: 0, malformed: 0, reset: 0, "429": 0 },
    peakInFlight: 0,
    byEndpoint: {},
  };
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, action: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  };

  const answer = (request: IncomingMessage, response: ServerResponse): void => {
    stats.requests += 1;
    response.on("finish", () => {
      stats.byStatus[response.statusCode] = (stats.byStatus[response.statusCode] ?? 0) + 1;
    });
    const url = new URL(request.url ?? "/", "http://standin");
    if (tokenOf(request, url) !== token) return sendError(response, 401);

    const now = performance.now();
    while (accepted.length > 0 && (accepted[0] as number) <= now - 1000) accepted.shift();
    const retryHeaders: Record<string, string> = options.retryAfter === false ? {} : { "retry-after": "1" };
    if (accepted.length >= rate) {
      stats.throttledByRate += 1;
      return sendError(response, 429, retryHeaders);
    }
    if (inFlight >= maxConnections) {
      stats.throttledByConnections += 1;
      return sendError(response, 429, retryHeaders);
    }
    accepted.push(now);
    inFlight += 1;
    stats.peakInFlight = Math.max(stats.peakInFlight, inFlight);
    let released = false;
    const release = () => {
      if (!released) inFlight -= 1;
      released = true;
    };
    response.on("close", release);

    if (faultRate > 0 && faults.length > 0 && random.chance(faultRate)) {
      const fault = random.pick(faults);
      stats.faults[fault] += 1;
      if (fault === "timeout") return later(hangMs, () => request.socket.destroy());
      if (fault === "reset") return void request.socket.destroy();
      if (fault === "429") return sendError(response, 429, { "retry-after": "0" });
      return later(latencyMs, () => {
        if (fault === "5xx") sendError(response, random.chance(0.5) ? 500 : 503);
        else send(response, 200, '{"adult":false,"id":1,"title":"trunc');
      });
    }
    later(latencyMs, () => route(url, response));
  };

  const route = (url: URL, response: ServerResponse): void => {
    const parts = url.pathname.split("/").filter(Boolean);
    if (parts[0] !== "3" || parts.length !== 3) return sendError(response, 404);
    const [, resource, id] = parts as [string, string, string];
    stats.byEndpoint[resource] = (stats.byEndpoint[resource] ?? 0) + 1;
    const append = new Set((url.searchParams.get("append_to_response") ?? "").split(",").filter(Boolean));
    if (append.size > 20)
      return send(response, 400, { success: false, status_code: 47, status_message: "The input is not valid." });
    if (resource === "find") {
      const title = options.catalog.byImdbId(id);
      const known = title && isKnown(title.imdbId) ? title : undefined;
      return send(response, 200, {
        movie_results: known?.kind === "movies" ? [findEntry(known)] : [],
        person_results: [],
        tv_results: known?.kind === "series" ? [findEntry(known)] : [],
        tv_episode_results: [],
        tv_season_results: [],
      });
    }
    const kind = resource === "movie" ? "movies" : resource === "tv" ? "series" : undefined;
    const title: CatalogTitle | undefined =
      kind && /^\d+$/.test(id) ? options.catalog.byTmdbId(kind, Number(id)) : undefined;
    if (!title || !isKnown(title.imdbId)) return sendError(response, 404);
    const details =
      kind === "movies" ? movieDetails(title, append, options.padBytes) : tvDetails(title, append, options.padBytes);
    send(response, 200, details);
  };

  const server = createServer(answer);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/3`,
    token,
    stats: () => structuredClone(stats),
    setFaults: (rateOfFaults, kinds) => {
      faultRate = rateOfFaults;
      if (kinds) faults = kinds;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
