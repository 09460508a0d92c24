/**
 * The kept limiter every TMDB request (retries included) passes through: at most `maxInFlight` requests at once and
 * at most `maxRps` starts in any sliding window of a second (a log of recent starts, so a late timer is caught up
 * instead of drifting below the rate), with starts spread at least half the average spacing apart (no bursts).
 */

/** The limiter's settings. */
export interface LimiterOptions {
  /** Requests started per second. */
  maxRps: number;
  /** Requests in flight at once. */
  maxInFlight: number;
}

interface Waiter {
  start: () => void;
}

/** The window the rate is counted over: a second, plus a little for clock and network jitter between us and TMDB. */
export const RATE_WINDOW_MS = 1010;

/** A concurrency and start-rate limiter. */
export class RateLimiter {
  private inFlight = 0;
  private readonly recentStarts: number[] = [];
  private lastStartAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private readonly waiters: Waiter[] = [];
  private readonly minSpacingMs: number;
  /** The most requests seen in flight at once (for reports and tests). */
  peakInFlight = 0;
  /** Requests started. */
  started = 0;
  /** The configured limit of requests in flight. */
  readonly maxInFlight: number;

  constructor(private readonly options: LimiterOptions) {
    if (!(options.maxRps > 0) || !(options.maxInFlight >= 1))
      throw new Error(`limiter needs maxRps > 0 and maxInFlight >= 1 (got ${options.maxRps}, ${options.maxInFlight})`);
    this.minSpacingMs = 500 / options.maxRps;
    this.maxInFlight = options.maxInFlight;
  }

  /** Runs `task` when a slot is free; rejects without running it if `signal` aborts while waiting. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
      this.pump();
    });
    try {
      return await task();
    } finally {
      this.inFlight -= 1;
      this.pump();
    }
  }

  /** Milliseconds until the next start is allowed (0: now). */
  private waitMs(now: number): number {
    while (this.recentStarts.length > 0 && (this.recentStarts[0] as number) <= now - RATE_WINDOW_MS)
      this.recentStarts.shift();
    const byWindow =
      this.recentStarts.length >= this.options.maxRps ? (this.recentStarts[0] as number) + RATE_WINDOW_MS - now : 0;
    return Math.max(byWindow, this.lastStartAt + this.minSpacingMs - now, 0);
  }

  private pump(): void {
    while (this.waiters.length > 0 && this.inFlight < this.options.maxInFlight) {
      const now = performance.now();
      const wait = this.waitMs(now);
      if (wait > 0) {
        if (!this.timer)
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.pump();
          }, Math.ceil(wait));
        return;
      }
      this.recentStarts.push(now);
      this.lastStartAt = now;
      this.inFlight += 1;
      this.started += 1;
      this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
      (this.waiters.shift() as Waiter).start();
    }
  }
}
