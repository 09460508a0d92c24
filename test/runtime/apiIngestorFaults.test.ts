/**
 * Issue 13's ApiIngestor findings, each reproduced against the real servers before it was fixed: moto's S3 API server
 * (recording every request, evaluated at the end against the role the component registers) and the TMDB stand-in
 * over HTTP, with `ingest:api` run as a real child process where the finding is about the command.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { createServer } from "node:net";
import { hostname } from "node:os";
import { CHECKPOINT_KEY, SELECTION_KEY } from "../../runtime/api-ingestor/checkpoint";
import { runApiIngestion as runApiIngestionUnrecorded } from "../../runtime/api-ingestor/ingest";
import { LEASE_KEY, LeaseLostError, acquireLease, type LeaseDoc } from "../../runtime/api-ingestor/lease";
import { seedRawCsvs } from "../../runtime/api-ingestor/localLake";
import { freePort } from "../../runtime/local/s3Server";
import { catalogFromDir } from "../../runtime/tmdb-standin/catalog";
import { isKnown } from "../../runtime/tmdb-standin/records";
import { describeDenied, evaluateS3Requests, registeredPolicies } from "../support/s3Requests";
import { auditRaw, runIngestCli, startIngestCli, startTmdbLake, type CliRun, type TmdbLake } from "../support/tmdbLake";

const DATE = "2026-03-01";
const TITLES = 40;

describe("ApiIngestor: nothing lost, nothing duplicated, nothing silent (issue 13)", function () {
  this.timeout(300_000);
  let setup: TmdbLake;
  let s3: S3Client;
  let buckets = 0;

  before(async () => {
    setup = await startTmdbLake({
      bucket: "faults-seed",
      date: DATE,
      titles: TITLES,
      seed: 5,
      standin: { rate: 200, maxConnections: 40, latencyMs: 5 },
    });
    ({ s3 } = setup);
  });

  after(() => setup?.stop());

  const runApiIngestion: typeof runApiIngestionUnrecorded = (options) =>
    setup.s3Server.during("api-ingestor", () => runApiIngestionUnrecorded(options));

  async function freshBucket(): Promise<string> {
    buckets += 1;
    const bucket = `faults-${buckets}`;
    (await seedRawCsvs({ s3, bucket, date: DATE, titles: TITLES, seed: 5 })).cleanup();
    return bucket;
  }

  /** The command's environment: moto's, the stand-in (or `baseUrl`), fast retries so an outage is seen quickly. */
  const cliEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...setup.s3Server.env,
    TMDB_TOKEN: setup.standin.token,
    TMDB_BASE_URL: setup.standin.baseUrl,
    TMDB_RETRY_BASE_MS: "10",
    TMDB_TIMEOUT_MS: "2000",
    ...extra,
  });

  const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> =>
    setup.s3Server.during("api-ingestor", () => runIngestCli(args, cliEnv(env)));

  /**
   * Runs `ingest:api` (three records a file) and sends it `signal` once two Raw files are written: mid-run, with its
   * lease held, so what follows is a real interruption rather than a run that had not started or had already ended.
   */
  function signalMidRun(bucket: string, args: string[], signal: NodeJS.Signals): Promise<CliRun> {
    return setup.s3Server.during("api-ingestor", async () => {
      const child = startIngestCli(args, cliEnv({ RAW_MAX_RECORDS_PER_FILE: "3" }));
      for (let i = 0; i < 400; i++) {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "Raw/TMDB/" }));
        if ((page.KeyCount ?? 0) >= 2) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      child.kill(signal);
      return child.done;
    });
  }

  /** An in-process run into `bucket` against the suite's stand-in, with `options` (selection, retry...) on top. */
  const ingestFromStandin = (bucket: string, options: Partial<Parameters<typeof runApiIngestion>[0]> = {}) =>
    runApiIngestion({ s3, bucket, baseUrl: setup.standin.baseUrl, token: setup.standin.token, ...options });

  /** A port nothing listens on (taken, then released). */
  async function closedPort(): Promise<number> {
    const port = await freePort();
    await new Promise<void>((resolve) => {
      const probe = createServer().listen(port, "127.0.0.1", () => probe.close(() => resolve()));
    });
    return port;
  }

  async function readJson<T>(bucket: string, key: string): Promise<T | undefined> {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return JSON.parse(await (object.Body as { transformToString(): Promise<string> }).transformToString()) as T;
    } catch (error) {
      if ((error as { name?: string }).name === "NoSuchKey") return undefined;
      throw error;
    }
  }

  /**
   * The run's one line of failure: stderr holds exactly one non-empty line of ours, starting with the command's name.
   * Node's own process warnings are left out (the AWS SDK warns on Node 20 that it will need Node 22): not our output.
   */
  function oneFailureLine(run: CliRun): string {
    expect(run.code, `exit code; stdout: ${run.stdout}`).to.not.equal(0).and.not.equal(null);
    const ours = run.stderr.replace(/^\(node:\d+\) [\s\S]*?^\(Use `node --trace-warnings[^\n]*\n/gm, "");
    const lines = ours.split("\n").filter((line) => line.trim() !== "");
    expect(lines, run.stderr).to.have.length(1);
    expect(lines[0]).to.match(/^ingest:api failed: /);
    return lines[0] as string;
  }

  it("#4: an unreachable TMDB stops the run non-zero with one line, marks no id failed, and the fixed rerun fetches them all", async () => {
    const bucket = await freshBucket();
    const baseUrl = `http://127.0.0.1:${await closedPort()}/3`;
    const outage = await cli(["--bucket", bucket, "--limit", "20"], { TMDB_BASE_URL: baseUrl });
    const line = oneFailureLine(outage);
    expect(line).to.match(/TMDB could not be reached/);
    expect(line).to.include(baseUrl);
    expect(line).to.match(/check TMDB_BASE_URL.*rerun/);
    const doc = await readJson<{ failed: Record<string, unknown> }>(bucket, CHECKPOINT_KEY);
    expect(doc?.failed ?? {}, "no id is failed for good by an outage").to.deep.equal({});

    const fixed = await cli(["--bucket", bucket, "--limit", "20"]);
    expect(fixed.code, fixed.stderr).to.equal(0);
    const summary = JSON.parse(fixed.stdout.trim().split("\n").at(-1) as string);
    expect(summary).to.include({ done: true, selected: 20, failed: 0, remaining: 0 });
    expect(summary.fetched + summary.notFound).to.equal(20);
  });

  it("#4: a slice that cannot reach TMDB throws (the Lambda's on-failure queue), leaving every id pending", async () => {
    const bucket = await freshBucket();
    const baseUrl = `http://127.0.0.1:${await closedPort()}/3`;
    const error = await runApiIngestion({
      s3,
      bucket,
      baseUrl,
      token: "t",
      selection: { limit: 10 },
      retry: { baseDelayMs: 5 },
    }).catch((caught: Error) => caught);
    expect(error).to.be.instanceOf(Error);
    expect((error as Error).message, (error as Error).message).to.match(
      /TMDB could not be reached.*ECONNREFUSED.*10 ids stay pending/,
    );
    expect((await readJson<{ failed: object }>(bucket, CHECKPOINT_KEY))?.failed ?? {}).to.deep.equal({});
  });

  it("#4: transient failures (5xx, 429 after retries) leave ids pending; only definitive answers are final", async () => {
    const bucket = await freshBucket();
    setup.standin.setFaults(1, ["5xx"]);
    try {
      const error = await ingestFromStandin(bucket, {
        selection: { limit: 5 },
        retry: { baseDelayMs: 5, maxAttempts: 2 },
      }).catch((caught: Error) => caught);
      expect((error as Error).message).to.match(/TMDB could not be reached.*HTTP 5\d\d/);
    } finally {
      setup.standin.setFaults(0);
    }
    expect((await readJson<{ failed: object }>(bucket, CHECKPOINT_KEY))?.failed ?? {}).to.deep.equal({});
    const after = await ingestFromStandin(bucket, { selection: { limit: 5 } });
    expect(after.last).to.include({ done: true, failed: 0, remaining: 0 });
  });

  it("#5: a CSV replaced on the same day (--overwrite, a larger sample) is selected from again, not the cached selection", async () => {
    const bucket = await freshBucket();
    const run = () => ingestFromStandin(bucket, { selection: { limit: 10_000 } });
    const first = await run();
    expect(first.last.selected).to.equal(TITLES);
    // A larger sample lands on the same day (the demo with more titles, or ingest:batch --overwrite).
    const larger = await seedRawCsvs({ s3, bucket, date: DATE, titles: 90, seed: 5 });
    const largerCatalog = await catalogFromDir(larger.dir);
    larger.cleanup();
    const standin = setup.standin;
    const second = await runApiIngestion({
      s3,
      bucket,
      baseUrl: standin.baseUrl,
      token: standin.token,
      selection: { limit: 10_000 },
    }).catch((error: Error) => error);
    // The stand-in serves the first catalog only; what matters is which titles were selected.
    expect(second).to.not.be.instanceOf(Error);
    const result = second as Awaited<ReturnType<typeof run>>;
    expect(result.last.selected, "selected from the new CSVs").to.equal(largerCatalog.size);
    const cached = await readJson<{ titles: [string][] }>(bucket, SELECTION_KEY);
    expect(new Set(cached?.titles.map(([id]) => id))).to.deep.equal(
      new Set(largerCatalog.titles().map((title) => title.imdbId)),
    );
  });

  it("#6: a day without CSVs, or criteria that select nothing, are refused with the fix, and nothing is cached", async () => {
    const bucket = await freshBucket();
    const noDay = await cli(["--bucket", bucket, "--date", "2026-01-02"]);
    const line = oneFailureLine(noDay);
    expect(line).to.match(/no Raw CSV for 2026-01-02/);
    expect(line).to.match(/run the BatchIngestor for that day.*or pick a day that has CSVs.*2026-03-01/);
    expect(await readJson(bucket, SELECTION_KEY), "no selection cached").to.equal(undefined);

    const nothing = await cli(["--bucket", bucket, "--genres", "NoSuchGenre"]);
    expect(oneFailureLine(nothing)).to.match(/select no title.*NoSuchGenre.*widen/);
    expect(await readJson(bucket, SELECTION_KEY), "no empty selection cached").to.equal(undefined);

    // Asking for nothing (--limit 0, the demo's --tmdb-limit 0) is not an error, and is not cached either.
    const none = await cli(["--bucket", bucket, "--limit", "0"]);
    expect(none.code, none.stderr).to.equal(0);
    expect(JSON.parse(none.stdout.trim().split("\n").at(-1) as string)).to.include({ done: true, selected: 0 });
    expect(await readJson(bucket, SELECTION_KEY)).to.equal(undefined);
  });

  it("#8: two ingest:api runs started at once: one fetches, the other says who holds the lease and since when", async () => {
    const bucket = await freshBucket();
    const before = setup.standin.stats().requests;
    const [a, b] = await setup.s3Server.during("api-ingestor", () => {
      const args = ["--bucket", bucket, "--limit", "10000"];
      const first = startIngestCli(args, cliEnv());
      const second = startIngestCli(args, cliEnv());
      return Promise.all([first.done, second.done]);
    });
    const runs = [a, b];
    const winners = runs.filter((run) => run.code === 0);
    const losers = runs.filter((run) => run.code !== 0);
    expect(winners, runs.map((run) => run.stderr).join("\n")).to.have.length(1);
    expect(losers).to.have.length(1);
    const line = oneFailureLine(losers[0] as CliRun);
    expect(line).to.match(/another ApiIngestor run holds the lease/);
    expect(line).to.match(new RegExp(`pid \\d+ on ${hostname()}`));
    expect(line).to.match(/since \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/);
    expect(line).to.match(/wait for it to finish/);
    const audit = await auditRaw(s3, bucket, setup.catalog);
    expect(audit).to.deep.include({ lost: [], duplicated: [], corrupted: [] });
    const known = setup.catalog.titles().filter((title) => isKnown(title.imdbId)).length;
    expect(audit.records).to.equal(known);
    // One run's requests (a /find per title, details per known title), not two.
    expect(setup.standin.stats().requests - before).to.equal(TITLES + known);
    expect(await readJson(bucket, LEASE_KEY), "the winner released its lease").to.equal(undefined);
  });

  it("resumes at once after a SIGKILL on the same host (the dead holder's lease is taken over): 0 lost, 0 duplicated", async () => {
    const bucket = await freshBucket();
    const args = ["--bucket", bucket, "--limit", "10000", "--max-rps", "30"];
    const killed = await signalMidRun(bucket, args, "SIGKILL");
    expect(killed.signal).to.equal("SIGKILL");
    expect(await readJson(bucket, LEASE_KEY), "the killed run's lease is left behind").to.not.equal(undefined);
    const resumed = await cli(["--bucket", bucket, "--limit", "10000"], { RAW_MAX_RECORDS_PER_FILE: "3" });
    expect(resumed.code, resumed.stderr).to.equal(0);
    expect(resumed.stdout).to.match(/took over the lease of pid \d+ .*no longer running/);
    const audit = await auditRaw(s3, bucket, setup.catalog);
    expect(audit).to.deep.include({ lost: [], duplicated: [], corrupted: [] });
  });

  it("stops cleanly on Ctrl-C: files written, lease released, exit 130 with one line; the rerun completes", async () => {
    const bucket = await freshBucket();
    const args = ["--bucket", bucket, "--limit", "10000", "--max-rps", "30"];
    const stopped = await signalMidRun(bucket, args, "SIGINT");
    expect(stopped.code, stopped.stdout).to.equal(130);
    expect(oneFailureLine(stopped)).to.match(
      /interrupted by SIGINT with \d+ ids left; what was fetched is saved: rerun the same command/,
    );
    expect(stopped.stdout).to.include("SIGINT received: stopping after the files in progress");
    expect(await readJson(bucket, LEASE_KEY), "released on the way out").to.equal(undefined);
    const rerun = await cli(args, { RAW_MAX_RECORDS_PER_FILE: "3" });
    expect(rerun.code, rerun.stderr).to.equal(0);
    expect(await auditRaw(s3, bucket, setup.catalog)).to.deep.include({ lost: [], duplicated: [], corrupted: [] });
  });

  it("refuses a live lease held elsewhere, takes over an expired one", async () => {
    const bucket = await freshBucket();
    const since = new Date(Date.now() - 30_000).toISOString();
    const lease = (expiresAt: string) =>
      JSON.stringify({
        holder: "ingest:api pid 4242 on other-host",
        kind: "cli",
        host: "other-host",
        pid: 4242,
        token: "someone-else",
        startedAt: since,
        renewedAt: since,
        expiresAt,
      });
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: LEASE_KEY,
        Body: lease(new Date(Date.now() + 60_000).toISOString()),
      }),
    );
    const refused = await cli(["--bucket", bucket, "--limit", "5"]);
    const line = oneFailureLine(refused);
    expect(line).to.include(`ingest:api pid 4242 on other-host since ${since}`);
    expect(line).to.match(/expires \d{4}-/);
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: LEASE_KEY, Body: lease(new Date(Date.now() - 1000).toISOString()) }),
    );
    const tookOver = await cli(["--bucket", bucket, "--limit", "5"]);
    expect(tookOver.code, tookOver.stderr).to.equal(0);
    expect(tookOver.stdout).to.match(/took over the expired lease of ingest:api pid 4242 on other-host/);
    expect(await readJson(bucket, LEASE_KEY)).to.equal(undefined);
  });

  it("renews its lease while running, stops when another run replaced it, and never deletes that run's lease", async () => {
    const bucket = await freshBucket();
    const lease = await setup.s3Server.during("api-ingestor", () =>
      acquireLease({ s3, bucket, kind: "cli", ttlMs: 1000 }),
    );
    const first = (await readJson<LeaseDoc>(bucket, LEASE_KEY)) as LeaseDoc;
    await new Promise((resolve) => setTimeout(resolve, 700));
    const renewed = (await readJson<LeaseDoc>(bucket, LEASE_KEY)) as LeaseDoc;
    expect(renewed.token).to.equal(first.token);
    expect(Date.parse(renewed.expiresAt)).to.be.greaterThan(Date.parse(first.expiresAt));
    expect(lease.lost.aborted).to.equal(false);
    // Another run takes the key over (as after an expiry): the next renewal's If-Match fails.
    const other = JSON.stringify({ ...renewed, token: "other", holder: "someone else" });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: LEASE_KEY, Body: other }));
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(lease.lost.aborted).to.equal(true);
    expect(lease.lost.reason).to.be.instanceOf(LeaseLostError);
    await setup.s3Server.during("api-ingestor", () => lease.release());
    expect((await readJson<LeaseDoc>(bucket, LEASE_KEY))?.holder, "the other run's lease stays").to.equal(
      "someone else",
    );
  });

  describe("every failure of ingest:api ends in one line saying what happened and what to do", () => {
    const cases: [string, () => Promise<{ args: string[]; env?: Record<string, string> }>, RegExp][] = [
      ["no --bucket", async () => ({ args: [] }), /--bucket is required.*npm run ingest:api -- --bucket/],
      [
        "a malformed --limit",
        async () => ({ args: ["--bucket", "b", "--limit", "ten"] }),
        /--limit: "ten" is not a whole number of 0 or more\. Fix: give one, e.g. --limit 100/,
      ],
      [
        "an unknown flag",
        async () => ({ args: ["--bucket", "b", "--lmit", "3"] }),
        /Unknown option '--lmit'.*--help|see runtime\/api-ingestor\/README.md/,
      ],
      ["no token", async () => ({ args: ["--bucket", "b"], env: { TMDB_TOKEN: "" } }), /TMDB_TOKEN is not set: export/],
      [
        "an impossible --date",
        async () => ({ args: ["--bucket", await freshBucket(), "--date", "2026-02-30"] }),
        /--date: date "2026-02-30" is not a real calendar day\. Fix: give a real day, YYYY-MM-DD/,
      ],
      [
        "a --date after tomorrow (the lake's shared date check)",
        async () => ({ args: ["--bucket", await freshBucket(), "--date", "9999-12-31"] }),
        /--date: date "9999-12-31" is after tomorrow.*give today's date or an earlier day/,
      ],
      [
        "a bucket that does not exist",
        async () => ({ args: ["--bucket", "faults-no-such-bucket"] }),
        /bucket faults-no-such-bucket does not exist.*check --bucket/,
      ],
      [
        "an S3 endpoint nobody answers",
        async () => ({
          args: ["--bucket", "b"],
          env: { AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${await closedPort()}` },
        }),
        /could not reach S3 at http:\/\/127\.0\.0\.1:\d+.*check AWS_ENDPOINT_URL_S3/,
      ],
      [
        "a refused token",
        async () => ({ args: ["--bucket", await freshBucket(), "--limit", "3"], env: { TMDB_TOKEN: "wrong" } }),
        /the TMDB token was refused \(HTTP 401\): check TMDB_TOKEN/,
      ],
    ];
    for (const [what, make, expected] of cases)
      it(what, async () => {
        const { args, env } = await make();
        const run = await cli(args, env);
        expect(oneFailureLine(run)).to.match(expected);
        expect(run.stderr).to.not.include(setup.standin.token);
      });
  });

  it("sent only S3 requests the ApiIngestor's registered policy allows (the lease's conditional writes and delete)", async () => {
    const requests = setup.s3Server.requests("api-ingestor");
    expect(requests.some((r) => r.method === "DELETE" && r.key === LEASE_KEY)).to.equal(true);
    expect(requests.some((r) => r.method === "PUT" && r.key === LEASE_KEY)).to.equal(true);
    const results = await evaluateS3Requests(requests, await registeredPolicies("api-ingestor"));
    expect(describeDenied(results)).to.equal("");
  });
});
