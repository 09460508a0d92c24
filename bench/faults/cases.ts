/**
 * The shape of a fault case of the rerunnable fault suite (`npx tsx bench/faults/run.ts`, issue 13): one concurrency,
 * kill, outage or bad-input scenario run against the local servers, reporting what happened and what was lost,
 * duplicated or corrupted. A benchmark, not a test: it measures and prints, the tests assert.
 *
 * A case module is any `bench/faults/<area>.ts` that exports `cases` (and optionally `teardown`), see
 * {@link FaultCaseModule}; run.ts finds and runs them all.
 */

/** What one run of a case found. The target of the suite is 0 / 0 / 0, no hang, no silent success. */
export interface FaultOutcome {
  /** What happened, in one line (exit codes, messages, what was stored). */
  happened: string;
  /** Records (CSV rows, TMDB records, ...) a run reported as stored, or that were stored before, and are not there. */
  lost: number;
  /** Records stored more than once (a second object or version with the same records, a record in two files). */
  duplicated: number;
  /** Records stored with bytes that are none of the inputs' (mixed, truncated, flipped). */
  corrupted: number;
  /** True when the case did not finish within its time limit. */
  hung: boolean;
  /** True when a run exited 0 (or reported success) although what it was asked to store is not stored. */
  silentSuccess: boolean;
}

/** One case of the fault suite. */
export interface FaultCase {
  /** A short name, e.g. `batch: different files, same day, at once`. */
  name: string;
  /** What should happen, in one line. */
  expected: string;
  /** Runs the case once (it sets up and cleans up its own state) and reports what happened. */
  run(): Promise<FaultOutcome>;
}

/** What a case module (`bench/faults/<area>.ts`) exports. */
export interface FaultCaseModule {
  /** Its cases, run in order. */
  cases: FaultCase[];
  /** Stops what the module started for its cases (servers), after the last one ran. */
  teardown?: () => Promise<void>;
}
