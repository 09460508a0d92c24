/**
 * The ApiIngestor's slices in-process against moto's S3 API server and the TMDB stand-in: Raw files winning over the
 * checkpoint, incremental reruns, time-boxing, selection from the Raw CSVs, `api_key` auth and missing inputs.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import { DATASETS, datasetPrefix, lakeKey } from "../../lake/paths";
import { CHECKPOINT_KEY, IDS_METADATA, type CheckpointDoc } from "../../runtime/api-ingestor/checkpoint";
import {
  runApiIngestion as runApiIngestionUnrecorded,
  runSlice as runSliceUnrecorded,
} from "../../runtime/api-ingestor/ingest";
import { seedRawCsvs } from "../../runtime/api-ingestor/localLake";
import { TmdbClient } from "../../runtime/api-ingestor/tmdbClient";
import type { Catalog } from "../../runtime/tmdb-standin/catalog";
import { isKnown } from "../../runtime/tmdb-standin/records";
import { startTmdbStandin, type TmdbStandin } from "../../runtime/tmdb-standin/server";
import { describeDenied, evaluateS3Requests, registeredPolicies } from "../support/s3Requests";
import { startTmdbLake, type TmdbLake } from "../support/tmdbLake";

const DATE = "2026-02-01";

describe("ApiIngestor slices (in-process, stand-in + moto)", function () {
  this.timeout(120_000);
  let setup: TmdbLake;
  let s3: S3Client;
  let catalog: Catalog;
  let standin: TmdbStandin;
  let buckets = 0;

  before(async () => {
    setup = await startTmdbLake({
      bucket: "ingest-seed",
      date: DATE,
      titles: 40,
      seed: 11,
      standin: { rate: 200, latencyMs: 2 },
    });
    ({ s3, catalog, standin } = setup);
  });

  after(() => setup?.stop());

  // The ingestor's S3 requests are labelled, so the last test can check them against its registered policy.
  const runApiIngestion: typeof runApiIngestionUnrecorded = (options) =>
    setup.s3Server.during("api-ingestor", () => runApiIngestionUnrecorded(options));
  const runSlice: typeof runSliceUnrecorded = (...args) =>
    setup.s3Server.during("api-ingestor", () => runSliceUnrecorded(...args));

  async function freshBucket(): Promise<string> {
    buckets += 1;
    const bucket = `ingest-${buckets}`;
    (await seedRawCsvs({ s3, bucket, date: DATE, titles: 40, seed: 11 })).cleanup();
    return bucket;
  }

  const run = (bucket: string, limit: number, extra: Partial<Parameters<typeof runApiIngestion>[0]> = {}) =>
    runApiIngestion({
      s3,
      bucket,
      baseUrl: standin.baseUrl,
      token: standin.token,
      maxRps: 150,
      selection: { limit },
      ...extra,
    });

  async function keys(bucket: string, prefix: string): Promise<string[]> {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (page.Contents ?? []).map((object) => object.Key as string).sort();
  }

  async function checkpoint(bucket: string): Promise<CheckpointDoc> {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: CHECKPOINT_KEY }));
    return JSON.parse(await (object.Body as { transformToString(): Promise<string> }).transformToString());
  }

  it("fetches only what is missing on a rerun, and more when the limit grows (incremental)", async () => {
    const bucket = await freshBucket();
    const first = await run(bucket, 10);
    expect(first.done).to.equal(true);
    expect(first.last.fetched + first.last.notFound).to.equal(10);
    const before = standin.stats().requests;
    const again = await run(bucket, 10);
    expect(again.last.slice.fetched + again.last.slice.notFound).to.equal(0);
    expect(standin.stats().requests - before, "nothing asked of TMDB").to.equal(0);
    const more = await run(bucket, 25);
    expect(more.last.slice.fetched + more.last.slice.notFound).to.equal(15);
    expect(more.last.fetched + more.last.notFound).to.equal(25);
  });

  it("trusts the Raw files over the checkpoint: adopts a file it missed, refetches a file that vanished", async () => {
    const bucket = await freshBucket();
    await run(bucket, 40, { fileLimits: { maxRecords: 10, maxBytes: 10_000_000 } });
    const doc = await checkpoint(bucket);
    const files = Object.keys(doc.files).sort();
    expect(files.length).to.be.at.least(3);
    // A crash between a file's PUT and the checkpoint's: the checkpoint lost its last file.
    const [vanished, missed] = files as [string, string];
    const missedIds = doc.files[missed] as string[];
    delete doc.files[missed];
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: CHECKPOINT_KEY, Body: JSON.stringify(doc) }));
    // And someone deleted another file: its ids must be fetched again.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: vanished }));
    const vanishedIds = doc.files[vanished] as string[];
    const rerun = await run(bucket, 40);
    expect(rerun.last.slice.adoptedFiles).to.equal(1);
    expect(rerun.last.slice.forgottenFiles).to.equal(1);
    expect(rerun.last.slice.fetched).to.equal(vanishedIds.length);
    expect(rerun.last.duplicates).to.equal(0);
    const after = await checkpoint(bucket);
    expect(after.files[missed]).to.deep.equal(missedIds);
    expect(after.files).to.not.have.property(vanished);
    const refetchedFile = rerun.last.slice.files[0] as string;
    expect([...(after.files[refetchedFile] as string[])].sort()).to.deep.equal([...vanishedIds].sort());
  });

  it("stops a slice at its deadline, keeps what it fetched, and the next slice continues", async () => {
    const bucket = await freshBucket();
    const slow = await startTmdbStandin({ catalog, token: standin.token, latencyMs: 150 });
    try {
      const client = new TmdbClient({ baseUrl: slow.baseUrl, token: slow.token, maxRps: 100, maxInFlight: 4 });
      const end = performance.now() + 1200;
      const options = {
        bucket,
        selection: { kind: "all" as const, genres: [], minVotes: 0, limit: 40 },
        stopMarginMs: 400,
      };
      const first = await runSlice({ s3, client }, { ...options, remainingMs: () => end - performance.now() });
      expect(first.done).to.equal(false);
      expect(first.slice.stoppedBy).to.equal("deadline");
      expect(first.fetched + first.notFound).to.be.greaterThan(0);
      expect(first.remaining).to.equal(40 - first.fetched - first.notFound - first.failed);
      const second = await runSlice({ s3, client }, { ...options, remainingMs: () => 60_000 });
      expect(second.done).to.equal(true);
      expect(second.slice.fetched + second.slice.notFound).to.equal(first.remaining);
    } finally {
      await slow.stop();
    }
  });

  it("still works when the stop margin exceeds the slice (a short Lambda timeout with the default margin)", async () => {
    const bucket = await freshBucket();
    const client = new TmdbClient({ baseUrl: standin.baseUrl, token: standin.token, maxRps: 100, maxInFlight: 4 });
    const end = performance.now() + 3000;
    const result = await runSlice(
      { s3, client },
      {
        bucket,
        selection: { kind: "all", genres: [], minVotes: 0, limit: 40 },
        stopMarginMs: 60_000,
        remainingMs: () => end - performance.now(),
      },
    );
    expect(result.slice.fetched + result.slice.notFound).to.be.greaterThan(0);
  });

  it("selects from the Raw CSVs by kind and records unknown ids as not found", async () => {
    const bucket = await freshBucket();
    const result = await run(bucket, 1000, { selection: { kind: "series", limit: 1000 } });
    const series = catalog.titles().filter((title) => title.kind === "series");
    expect(result.last.selected).to.equal(series.length);
    expect(result.last.notFound).to.equal(series.filter((title) => !isKnown(title.imdbId)).length);
    expect(await keys(bucket, datasetPrefix(DATASETS.rawTmdbMovies))).to.deep.equal([]);
    const seriesFiles = await keys(bucket, datasetPrefix(DATASETS.rawTmdbSeries));
    expect(seriesFiles).to.have.length(1);
    expect(seriesFiles[0]).to.match(
      /^Raw\/TMDB\/JSON\/Series\/\d{4}\/\d{2}\/\d{2}\/tmdb-series-\d{8}T\d{6}Z-[0-9a-f]{12}\.json$/,
    );
    const head = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: seriesFiles[0] }));
    expect(head.Metadata?.[IDS_METADATA]?.split(",")).to.have.length(result.last.fetched);
  });

  it("authenticates with api_key when given a v3 key, and never puts the key in a failure reason", async () => {
    const key = "0123456789abcdef0123456789abcdef";
    const keyed = await startTmdbStandin({ catalog, token: key, faultRate: 1, faults: ["5xx"] });
    try {
      const title = catalog.titles().find((candidate) => isKnown(candidate.imdbId)) as {
        imdbId: string;
        kind: "movies";
      };
      const client = new TmdbClient({
        baseUrl: keyed.baseUrl,
        token: key,
        maxRps: 100,
        maxInFlight: 2,
        retry: { maxAttempts: 2, baseDelayMs: 10 },
      });
      const failed = await client.fetchTitle({ imdbId: title.imdbId, kind: title.kind, votes: 0 });
      expect(failed.status).to.equal("failed");
      expect(JSON.stringify(failed)).to.not.include(key);
      keyed.setFaults(0);
      const fetched = await client.fetchTitle({ imdbId: title.imdbId, kind: title.kind, votes: 0 });
      expect(fetched.status).to.equal("fetched");
    } finally {
      await keyed.stop();
    }
  });

  it("names the missing Raw CSVs and the fix", async () => {
    const error = await run("ingest-seed-empty", 5).catch((caught: Error) => caught);
    expect((error as Error).message).to.match(/NoSuchBucket|does not exist/);
    const bucket = await freshBucket();
    await s3.send(
      new DeleteObjectCommand({
        Bucket: bucket,
        Key: lakeKey({ ...DATASETS.rawMoviesCsv, date: DATE, file: "movies.csv" }),
      }),
    );
    await s3.send(
      new DeleteObjectCommand({
        Bucket: bucket,
        Key: lakeKey({ ...DATASETS.rawSeriesCsv, date: DATE, file: "series.csv" }),
      }),
    );
    const none = await run(bucket, 5).catch((caught: Error) => caught);
    expect((none as Error).message).to.match(
      /no Raw CSV in s3:\/\/ingest-\d+\/Raw\/Local\/CSV\/Movies\/.*run the BatchIngestor first/,
    );
  });
  it("sent only S3 requests the ApiIngestor's registered policy allows (404s with s3:ListBucket)", async () => {
    const requests = setup.s3Server.requests("api-ingestor");
    expect(requests.length, "requests recorded").to.be.greaterThan(50);
    // The first run of each bucket reads a checkpoint that does not exist yet: S3 must answer 404, not 403.
    expect(requests.some((r) => r.status === 404 && r.key.startsWith("_system/checkpoints/"))).to.equal(true);
    const results = await evaluateS3Requests(requests, await registeredPolicies("api-ingestor"));
    expect(describeDenied(results)).to.equal("");
  });
});
