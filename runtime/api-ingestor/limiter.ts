/**
 * The kept limiter every TMDB request (retries included) passes through: at most `maxInFlight` requests at once and
 * starts spaced by 1000/`maxRps` ms, so no one-second window ever holds more than `maxRps` starts (no bursts at
 * window edges, which a fixed-window limiter would allow and TMDB would answer with 429).
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
  fail: (error: unknown) => void;
}

/** A concurrency and start-rate limiter. */
export class RateLimiter {
  private inFlight = 0;
  private nextStartAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly waiters: Waiter[] = [];
  private readonly spacingMs: number;
  /** The most requests seen in flight at once (for reports and tests). */
  peakInFlight = 0;
  /** Requests started. */
  started = 0;
  /** The configured limit of requests in flight. */
  readonly maxInFlight: number;

  constructor(private readonly options: LimiterOptions) {
    if (!(options.maxRps > 0) || !(options.maxInFlight >= 1))
      throw new Error(`limiter needs maxRps > 0 and maxInFlight >= 1 (got ${options.maxRps}, ${options.maxInFlight})`);
    this.spacingMs = 1000 / options.maxRps;
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
        fail: reject,
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

  private pump(): void {
    while (this.waiters.length > 0 && this.inFlight < this.options.maxInFlight) {
      const now = performance.now();
      if (now < this.nextStartAt) {
        if (!this.timer)
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.pump();
          }, this.nextStartAt - now);
        return;
      }
      // After an idle spell the schedule restarts from now: idle time never turns into a burst.
      this.nextStartAt = Math.max(now, this.nextStartAt) + this.spacingMs;
      this.inFlight += 1;
      this.started += 1;
      this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
      (this.waiters.shift() as Waiter).start();
    }
  }
}
