/**
 * The ApiIngestor's Lambda artifact (the esbuild bundle + the layer, exactly as deployed) run on Node 24, as on the
 * nodejs24.x runtime, against the TMDB stand-in and moto's S3 and Secrets Manager APIs: file limits, one structure per file, kill-and-resume at random
 * moments, fault injection, a refused token, an unreachable TMDB and two invocations at once (the lease). Every run is checked against an independent oracle: the titles of
 * the generated CSVs and which of them the stand-in knows.
 */
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { datasetPrefix, parseLakeKey } from "../../lake/paths";
import { CHECKPOINT_KEY, RAW_TMDB, type CheckpointDoc } from "../../runtime/api-ingestor/checkpoint";
import { LEASE_KEY, type LeaseDoc } from "../../runtime/api-ingestor/lease";
import { API_INGESTOR_ENV } from "../../runtime/api-ingestor/env";
import { seedRawCsvs } from "../../runtime/api-ingestor/localLake";
import { buildLayer, bundleHandler } from "../../runtime/api-ingestor/packaging";
import type { Catalog } from "../../runtime/tmdb-standin/catalog";
import { isKnown } from "../../runtime/tmdb-standin/records";
import { startTmdbStandin, type TmdbStandin } from "../../runtime/tmdb-standin/server";
import { freePort } from "../../runtime/local/s3Server";
import { describeDenied, evaluateS3Requests, registeredPolicies, type RecordingS3Server } from "../support/s3Requests";
import { startTmdbLake, type TmdbLake } from "../support/tmdbLake";

const DATE = "2026-01-15";
const TITLES = 60;

/** Loops the bundled handler like the schedule would, printing each slice's result on a RESULT line. */
const DRIVER = `
const { handler } = require(process.env.CINELAKE_BUNDLE);
const budget = Number(process.env.CINELAKE_SLICE_BUDGET_MS);
(async () => {
  for (let slice = 1; slice <= 200; slice++) {
    const end = Date.now() + budget;
    const context = { getRemainingTimeInMillis: () => end - Date.now(), awsRequestId: "req-" + process.pid + "-" + slice };
    const result = await handler({}, context);
    process.stdout.write("RESULT " + JSON.stringify({ ...result, node: process.version }) + "\\n");
    if (result.done) return;
  }
  throw new Error("not done after 200 slices");
})().catch((error) => {
  process.stdout.write("HANDLER_ERROR " + error.message + "\\n");
  process.exit(3);
});
`;

interface RunOutput {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  results: { done: boolean; fetched: number; notFound: number; failed: number; remaining: number; node: string }[];
}

interface RawRecord {
  imdb_id?: string;
  external_ids?: { imdb_id?: string };
  title?: string;
  name?: string;
}

describe("ApiIngestor Lambda artifact on Node 24, the nodejs24.x runtime (stand-in + moto)", function () {
  this.timeout(300_000);
  let setup: TmdbLake;
  let s3Server: RecordingS3Server;
  let s3: S3Client;
  let work: string;
  let node24: string;
  let catalog: Catalog;
  let standin: TmdbStandin;
  let bucketCount = 0;

  before(async () => {
    setup = await startTmdbLake({
      bucket: "lambda-seed",
      date: DATE,
      titles: TITLES,
      seed: 7,
      standin: { rate: 150, maxConnections: 20, latencyMs: 5 },
    });
    ({ s3Server, s3, catalog, standin } = setup);
    work = mkdtempSync(join(tmpdir(), "cinelake-lambda-"));
    bundleHandler(join(work, "function"));
    buildLayer(join(work, "layer"));
    writeFileSync(join(work, "driver.cjs"), DRIVER);
    node24 = execFileSync("npx", ["-y", "-p", "node@24", "sh", "-c", "command -v node"], { encoding: "utf8" }).trim();
  });

  after(async () => {
    await setup?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A fresh bucket holding the same CSVs (each scenario has its own checkpoint), and a secret with `token`. */
  async function freshLake(token: string): Promise<{ bucket: string; secretId: string }> {
    bucketCount += 1;
    const bucket = `lambda-${bucketCount}`;
    const seeded = await seedRawCsvs({ s3, bucket, date: DATE, titles: TITLES, seed: 7 });
    seeded.cleanup();
    const secretId = `cinelake/tmdb-${bucketCount}`;
    const secrets = new SecretsManagerClient({ region: "us-east-1", endpoint: s3Server.endpoint });
    await secrets.send(new CreateSecretCommand({ Name: secretId, SecretString: token }));
    return { bucket, secretId };
  }

  /** The handler's runs, their S3 requests labelled so the last test can check them against its registered policy. */
  const runHandler = (...args: Parameters<typeof runHandlerUnrecorded>) =>
    s3Server.during("api-ingestor", () => runHandlerUnrecorded(...args));

  function runHandlerUnrecorded(
    target: { bucket: string; secretId: string },
    env: Record<string, string>,
    killAfterMs?: number,
  ): Promise<RunOutput> {
    const child = spawn(node24, [join(work, "driver.cjs")], {
      env: {
        PATH: process.env.PATH,
        ...s3Server.env,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: s3Server.endpoint,
        NODE_PATH: join(work, "layer", "nodejs", "node_modules"),
        CINELAKE_BUNDLE: join(work, "function", "index.js"),
        CINELAKE_SLICE_BUDGET_MS: "4000",
        [API_INGESTOR_ENV.bucket]: target.bucket,
        [API_INGESTOR_ENV.secretId]: target.secretId,
        [API_INGESTOR_ENV.baseUrl]: standin.baseUrl,
        [API_INGESTOR_ENV.limit]: "10000",
        [API_INGESTOR_ENV.maxRps]: "100",
        [API_INGESTOR_ENV.maxInFlight]: "10",
        [API_INGESTOR_ENV.stopMarginMs]: "1500",
        [API_INGESTOR_ENV.timeoutMs]: "2000",
        [API_INGESTOR_ENV.retryBaseMs]: "50",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    return new Promise((resolve) =>
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        if (code !== 0 && code !== 3 && signal === null) console.error(stderr);
        const results = stdout
          .split("\n")
          .filter((line) => line.startsWith("RESULT "))
          .map((line) => JSON.parse(line.slice("RESULT ".length)));
        resolve({ code, signal, stdout, results });
      }),
    );
  }

  async function rawFiles(bucket: string): Promise<{ key: string; text: string; bytes: number }[]> {
    const files = [];
    for (const dataset of Object.values(RAW_TMDB)) {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: datasetPrefix(dataset) }));
      for (const object of page.Contents ?? []) {
        const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
        const text = await (body.Body as { transformToString(): Promise<string> }).transformToString();
        files.push({ key: object.Key as string, text, bytes: Buffer.byteLength(text) });
      }
    }
    return files;
  }

  /** The lease object, or undefined when none is held. */
  async function leaseOf(bucket: string): Promise<LeaseDoc | undefined> {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: LEASE_KEY }));
      return JSON.parse(await (object.Body as { transformToString(): Promise<string> }).transformToString());
    } catch (error) {
      if ((error as { name?: string }).name === "NoSuchKey") return undefined;
      throw error;
    }
  }

  /**
   * Checks the lake against the oracle: each known id in exactly one file (or, with `allowFailed`, recorded as failed
   * with a reason), unknown ids in no file and recorded as not found, and the checkpoint naming exactly the files.
   */
  async function expectCompleteAndUnique(
    bucket: string,
    allowFailed = false,
  ): Promise<{ files: number; failed: number }> {
    const counts = new Map<string, number>();
    const files = await rawFiles(bucket);
    for (const file of files) {
      const spec = parseLakeKey(file.key).spec;
      const records = JSON.parse(file.text) as RawRecord[];
      expect(records, file.key).to.be.an("array").with.length.above(0);
      for (const record of records) {
        // One structure per file: movie details carry `title`, TV details `name`.
        if (spec === "Movies") expect(record).to.have.property("title").and.not.have.property("name");
        else expect(record).to.have.property("name").and.not.have.property("title");
        const id = (spec === "Movies" ? record.imdb_id : record.external_ids?.imdb_id) as string;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
    const checkpoint = JSON.parse(
      await (
        (
          await s3.send(new GetObjectCommand({ Bucket: bucket, Key: CHECKPOINT_KEY }))
        ).Body as {
          transformToString(): Promise<string>;
        }
      ).transformToString(),
    ) as CheckpointDoc;
    const lost: string[] = [];
    const duplicated: string[] = [];
    for (const title of catalog.titles()) {
      const seen = counts.get(title.imdbId) ?? 0;
      if (isKnown(title.imdbId)) {
        const failed = checkpoint.failed[title.imdbId];
        if (seen === 0 && !(allowFailed && failed && failed.reason !== "")) lost.push(title.imdbId);
        if (seen > 1) duplicated.push(title.imdbId);
      } else {
        expect(seen, `${title.imdbId} is unknown to TMDB`).to.equal(0);
        expect(checkpoint.notFound, "unknown ids are recorded as not found").to.have.property(title.imdbId);
      }
    }
    expect({ lost, duplicated }).to.deep.equal({ lost: [], duplicated: [] });
    expect(Object.keys(checkpoint.files).sort()).to.deep.equal(files.map((file) => file.key).sort());
    return { files: files.length, failed: Object.keys(checkpoint.failed).length };
  }

  it("fills the Raw TMDB zone in slices, reading the token from Secrets Manager, 100 records per file at most", async () => {
    const target = await freshLake(standin.token);
    // ~115 requests at 40/s need ~3 s of fetching; a 2.5 s budget with a 1.5 s stop margin leaves 1 s per slice.
    const run = await runHandler(target, { CINELAKE_SLICE_BUDGET_MS: "2500", [API_INGESTOR_ENV.maxRps]: "40" });
    expect(run.code, run.stdout).to.equal(0);
    expect(run.results.at(-1)?.node).to.match(/^v24\./);
    expect(run.results.length, "a 2.5 s budget needs more than one slice").to.be.greaterThan(1);
    expect(run.results.at(-1)).to.include({ done: true, remaining: 0 });
    const { files } = await expectCompleteAndUnique(target.bucket);
    expect(files).to.be.greaterThan(1);
    // The kept limiter, seen from the server: never more than TMDB_MAX_IN_FLIGHT (10) at once, never over the rate.
    expect(standin.stats()).to.deep.include({ throttledByRate: 0, throttledByConnections: 0 });
    expect(standin.stats().peakInFlight).to.be.at.most(10);
    // The token appears nowhere: not in the logs, not in the Raw files, not in the checkpoint.
    expect(run.stdout).to.not.include(standin.token);
    for (const file of await rawFiles(target.bucket)) {
      expect(JSON.parse(file.text).length).to.be.at.most(100);
      expect(file.text).to.not.include(standin.token);
    }
    const checkpoint = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: CHECKPOINT_KEY }));
    const checkpointText = await (checkpoint.Body as { transformToString(): Promise<string> }).transformToString();
    expect(checkpointText).to.not.include(standin.token).and.not.include("127.0.0.1");
  });

  it("cuts files at the record limit when records are small and at 10 MB when they are large", async () => {
    const small = await freshLake(standin.token);
    const bySmall = await runHandler(small, { [API_INGESTOR_ENV.maxRecordsPerFile]: "7" });
    expect(bySmall.code, bySmall.stdout).to.equal(0);
    await expectCompleteAndUnique(small.bucket);
    const smallFiles = await rawFiles(small.bucket);
    expect(Math.max(...smallFiles.map((file) => JSON.parse(file.text).length))).to.equal(7);

    // ~900 KB records: 100 of them would be 90 MB, so the 10 MB limit binds first (at 10 or 11 records).
    const big = await startTmdbStandin({ catalog, token: standin.token, rate: 150, latencyMs: 5, padBytes: 900_000 });
    try {
      const large = await freshLake(standin.token);
      const byBytes = await runHandler(large, {
        [API_INGESTOR_ENV.baseUrl]: big.baseUrl,
        [API_INGESTOR_ENV.kind]: "movies",
        [API_INGESTOR_ENV.limit]: "30",
      });
      expect(byBytes.code, byBytes.stdout).to.equal(0);
      const files = await rawFiles(large.bucket);
      const counts = files.map((file) => JSON.parse(file.text).length as number);
      for (const file of files) expect(file.bytes).to.be.below(10_000_000);
      expect(Math.max(...counts))
        .to.be.below(100)
        .and.at.least(5);
      expect(Math.max(...files.map((file) => file.bytes))).to.be.above(8_000_000);
      expect(counts.reduce((sum, count) => sum + count, 0)).to.equal(byBytes.results.at(-1)?.fetched);
    } finally {
      await big.stop();
    }
  });

  it("loses and duplicates nothing when killed with SIGKILL at random moments (6 trials)", async () => {
    const delays: (number | string)[] = [];
    let killedMidRun = 0;
    // A short lease, so the resumed run can take over the killed one's soon (no pid to check across Lambdas).
    const env = {
      [API_INGESTOR_ENV.maxRecordsPerFile]: "4",
      [API_INGESTOR_ENV.maxRps]: "40",
      [API_INGESTOR_ENV.leaseTtlMs]: "2000",
    };
    // How long an uninterrupted run takes on this machine (start-up included), so the kills spread over a real run.
    const started = performance.now();
    expect((await runHandler(await freshLake(standin.token), env)).code).to.equal(0);
    const runMs = performance.now() - started;
    for (let trial = 0; trial < 6; trial++) {
      const target = await freshLake(standin.token);
      // One random moment in each sixth of 15-95 % of the run: from start-up (no file yet) to the last files.
      const delay = Math.round(runMs * (0.15 + (0.8 * (trial + Math.random())) / 6));
      delays.push(delay);
      const killed = await runHandler(target, env, delay);
      const filesAtKill = (await rawFiles(target.bucket)).length;
      if (killed.signal === "SIGKILL" && filesAtKill > 0) killedMidRun += 1;
      delays[delays.length - 1] =
        `${delay} ms: ${killed.signal === "SIGKILL" ? `killed, ${filesAtKill} files` : "finished"}`;
      // A run killed mid-slice leaves its lease; the next slice may take it once it has expired, not before.
      const lease = await leaseOf(target.bucket);
      if (lease) {
        expect(killed.signal, "only a killed slice leaves its lease").to.equal("SIGKILL");
        const early = await runHandler(target, env);
        if (Date.now() < Date.parse(lease.expiresAt) - 300) {
          expect(early.code).to.equal(3);
          expect(early.stdout).to.match(
            /HANDLER_ERROR another ApiIngestor run holds the lease .* Lambda .* request req-/,
          );
        }
        await new Promise((resolve) =>
          setTimeout(resolve, Math.max(0, Date.parse(lease.expiresAt) - Date.now() + 100)),
        );
      }
      const resumed = await runHandler(target, env);
      expect(resumed.code, `trial ${trial} (killed after ${delay} ms): ${resumed.stdout}`).to.equal(0);
      expect(resumed.results.at(-1)?.done).to.equal(true);
      await expectCompleteAndUnique(target.bucket);
      if (killed.signal !== "SIGKILL") expect(killed.code, "a run that finished before the kill").to.equal(0);
    }
    console.log(`      uninterrupted run ${Math.round(runMs)} ms; kills at ${delays.join("; ")}`);
    expect(killedMidRun, "kills that landed mid-run, after files were written").to.be.at.least(3);
  });

  it("gives every id exactly one outcome under 5xx, timeouts, garbage, resets and 429 storms", async () => {
    standin.setFaults(0.25);
    try {
      const target = await freshLake(standin.token);
      const run = await runHandler(target, {
        [API_INGESTOR_ENV.timeoutMs]: "400",
        [API_INGESTOR_ENV.maxRecordsPerFile]: "10",
      });
      expect(run.code, run.stdout).to.equal(0);
      const last = run.results.at(-1) as RunOutput["results"][number];
      expect(last.done).to.equal(true);
      expect(last.fetched + last.notFound + last.failed).to.equal(catalog.size);
      const injected = standin.stats().faults;
      const retries = run.results.reduce(
        (sum, result) => sum + (result as { slice?: { retries: number } }).slice!.retries,
        0,
      );
      console.log(
        `      faults injected ${JSON.stringify(injected)}; ${retries} retries over ${run.results.length} slices; ` +
          `${last.fetched} fetched, ${last.notFound} not found, ${last.failed} failed of ${catalog.size}`,
      );
      for (const kind of ["5xx", "timeout", "malformed", "reset", "429"] as const)
        expect(injected[kind], `${kind} faults injected`).to.be.greaterThan(0);
      // A known id may end failed only if the checkpoint names it with a reason; none may be lost or duplicated.
      const { failed } = await expectCompleteAndUnique(target.bucket, true);
      expect(failed).to.equal(last.failed);
      expect(retries).to.be.greaterThan(0);
    } finally {
      standin.setFaults(0);
    }
  });

  it("stops at once with a clear message and writes no file when the token is refused", async () => {
    const target = await freshLake("not-the-token");
    const before = standin.stats().requests;
    const run = await runHandler(target, {});
    expect(run.code).to.equal(3);
    expect(run.stdout).to.include("HANDLER_ERROR the TMDB token was refused");
    expect(run.stdout).to.not.include("not-the-token");
    expect(await rawFiles(target.bucket)).to.deep.equal([]);
    // Stopped at once: at most one wave of requests (10 in flight) went out, not one per title.
    expect(standin.stats().requests - before).to.be.at.most(10);
  });
  it("throws when TMDB cannot be reached (the invocation fails: on-failure queue, alarm), leaving every id pending", async () => {
    const target = await freshLake(standin.token);
    const closed = `http://127.0.0.1:${await freePort()}/3`;
    const run = await runHandler(target, { [API_INGESTOR_ENV.baseUrl]: closed, [API_INGESTOR_ENV.limit]: "15" });
    expect(run.code, run.stdout).to.equal(3);
    expect(run.stdout).to.match(
      /HANDLER_ERROR TMDB could not be reached at http:\/\/127\.0\.0\.1:\d+\/3: .*ECONNREFUSED/,
    );
    expect(run.stdout).to.match(/15 ids stay pending: check TMDB_BASE_URL/);
    const checkpoint = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: CHECKPOINT_KEY }));
    const doc = JSON.parse(
      await (checkpoint.Body as { transformToString(): Promise<string> }).transformToString(),
    ) as CheckpointDoc;
    expect(doc.failed, "an outage marks no id failed").to.deep.equal({});
    expect(await leaseOf(target.bucket), "the failed slice released its lease").to.equal(undefined);
    // TMDB is back: the next invocations fetch every id.
    const after = await runHandler(target, { [API_INGESTOR_ENV.limit]: "15" });
    expect(after.code, after.stdout).to.equal(0);
    expect(after.results.at(-1)).to.include({ done: true, failed: 0, remaining: 0 });
  });

  it("runs one slice when invoked twice at once (a manual invoke beside the schedule): the other names the holder", async () => {
    const target = await freshLake(standin.token);
    const before = standin.stats().requests;
    const [a, b] = await Promise.all([runHandler(target, {}), runHandler(target, {})]);
    const runs = [a, b];
    expect(runs.map((run) => run.code).sort(), runs.map((run) => run.stdout).join("\n")).to.deep.equal([0, 3]);
    const refused = runs.find((run) => run.code === 3) as RunOutput;
    expect(refused.stdout).to.match(
      /HANDLER_ERROR another ApiIngestor run holds the lease s3:\/\/lambda-\d+\/_system\/checkpoints\/api-ingestor\/lease\.json: Lambda .* request req-\d+-1 since \d{4}-\d{2}-\d{2}T/,
    );
    expect(refused.results, "the refused invocation fetched nothing").to.deep.equal([]);
    await expectCompleteAndUnique(target.bucket);
    const known = catalog.titles().filter((title) => isKnown(title.imdbId)).length;
    expect(standin.stats().requests - before, "one run's requests, not two").to.equal(catalog.size + known);
  });

  it("sent only S3 requests the ApiIngestor's registered policy allows (404s with s3:ListBucket)", async () => {
    const requests = s3Server.requests("api-ingestor");
    expect(requests.length, "requests recorded").to.be.greaterThan(50);
    const results = await evaluateS3Requests(requests, await registeredPolicies("api-ingestor"));
    expect(describeDenied(results)).to.equal("");
    expect(results.some((r) => r.request.status === 404 && r.action === "s3:ListBucket")).to.equal(true);
  });
});
