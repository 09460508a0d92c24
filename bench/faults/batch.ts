/**
 * The BatchIngestor's cases of the fault suite (issue 13): concurrent runs of one day (different files, the same
 * files, two --overwrite runs), a corrupted write while another run replaces the day, a day far in the future, and
 * non-Latin-1 file names — each against moto's S3 API server, the runs started truly at once in this process
 * (`ingestBatch`, the code the CLI and the container run; a fulfilled run is an exit 0). Writers go through
 * bench/faults/s3Gate.ts, which makes their commits meet (see there why it orders them).
 *
 * Counting: a file's records are its CSV rows. Lost: rows of a file a run reported as stored, or that the day held
 * before, that are not at the key. Duplicated: rows stored again as a second version with the same bytes. Corrupted:
 * rows of a stored object whose bytes are none of the inputs'. A silent success is a fulfilled run whose file is not
 * what the key holds.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DATASETS, lakeKey } from "../../lake/paths";
import { ingestBatch, storedObject, type BatchIngestSummary } from "../../runtime/batch-ingestor/ingest";
import { startS3Server, type LocalS3Server } from "../../runtime/local/s3Server";
import { generateSample } from "../../runtime/sample/generate";
import { makeS3Client } from "../../runtime/shared/s3Client";
import type { FaultCase, FaultOutcome } from "./cases";
import { startCommitGate, type GateOptions } from "./s3Gate";

const DATE = "2022-05-02";
const MOVIES_KEY = lakeKey({ ...DATASETS.rawMoviesCsv, date: DATE, file: "movies.csv" });
const SERIES_KEY = lakeKey({ ...DATASETS.rawSeriesCsv, date: DATE, file: "series.csv" });
const MIB = 1024 * 1024;

/** The server and sample files the cases share, started on first use. */
interface World {
  server: LocalS3Server;
  s3: S3Client;
  dir: string;
  small: { movies: string; series: string };
  big: { movies: string; series: string };
}

let world: Promise<World> | undefined;
let buckets = 0;

function setUp(): Promise<World> {
  world ??= (async () => {
    const server = await startS3Server();
    const dir = await mkdtemp(join(tmpdir(), "cinelake-faults-batch-"));
    const small = await generateSample({ outDir: join(dir, "small"), titles: 400, seed: 3 });
    // Over three 5 MiB parts for movies: the multipart path.
    const big = await generateSample({ outDir: join(dir, "big"), titles: 30000, seed: 4 });
    return {
      server,
      s3: makeS3Client(server.env),
      dir,
      small: { movies: small.moviesPath, series: small.seriesPath },
      big: { movies: big.moviesPath, series: big.seriesPath },
    };
  })();
  return world;
}

/** Stops the server and removes the sample files. */
export async function teardown(): Promise<void> {
  if (!world) return;
  const { server, dir } = await world;
  world = undefined;
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}

async function newBucket(w: World, versioned: boolean): Promise<string> {
  const bucket = `faults-batch-${++buckets}-${process.pid}`;
  await w.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  if (versioned)
    await w.s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  return bucket;
}

/** A copy of `path` with one more data row: the same kind of file, different bytes. */
async function changedCopy(w: World, path: string, name: string): Promise<string> {
  const copy = join(w.dir, name);
  await copyFile(path, copy);
  await appendFile(copy, (await readFile(path, "utf8")).split("\r\n")[1] + "\r\n");
  return copy;
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
/** Data rows of a CSV (CRLF lines minus the header). */
const rows = (bytes: Buffer) =>
  Math.max(
    bytes
      .toString("utf8")
      .split("\r\n")
      .filter((line) => line !== "").length - 1,
    0,
  );

async function objectBytes(w: World, bucket: string, key: string, versionId?: string): Promise<Buffer | undefined> {
  try {
    const response = await w.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    return Buffer.from(await (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
  } catch {
    return undefined;
  }
}

/** What a key ended with, judged against the files that may legitimately be there. */
interface KeyVerdict {
  lost: number;
  duplicated: number;
  corrupted: number;
  silentSuccess: boolean;
  summary: string;
}

/**
 * Judges one key: `promised` are the files fulfilled runs reported as stored there; `allowed` every input that may
 * be there (including what the day held before); `before` what it held before the runs, if anything.
 */
async function judgeKey(
  w: World,
  bucket: string,
  key: string,
  promised: string[],
  allowed: string[],
  before?: string,
): Promise<KeyVerdict> {
  const stored = await objectBytes(w, bucket, key);
  const storedSha = stored ? sha256(stored) : undefined;
  const verdict: KeyVerdict = { lost: 0, duplicated: 0, corrupted: 0, silentSuccess: false, summary: "" };
  const allowedShas = new Map<string, string>();
  for (const path of allowed) allowedShas.set(sha256(await readFile(path)), path);
  for (const path of new Set(promised)) {
    const bytes = await readFile(path);
    if (sha256(bytes) !== storedSha) {
      verdict.lost += rows(bytes);
      verdict.silentSuccess = true;
    }
  }
  if (stored && !allowedShas.has(storedSha as string)) verdict.corrupted += rows(stored);
  if (!stored && before && promised.length === 0) verdict.lost += rows(await readFile(before));
  const listed = await w.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  const versions = (listed.Versions ?? []).filter((v) => v.Key === key);
  if (stored && versions.length > 1) {
    let same = 0;
    for (const version of versions) {
      const bytes = await objectBytes(w, bucket, key, version.VersionId);
      if (bytes && sha256(bytes) === storedSha) same += 1;
    }
    if (same > 1) verdict.duplicated += (same - 1) * rows(stored);
  }
  const name = key.split("/").at(-1);
  verdict.summary = stored
    ? `${name} holds ${
        allowedShas
          .get(storedSha as string)
          ?.split("/")
          .at(-1) ?? "bytes of no input"
      } (${versions.length || 1} version${versions.length > 1 ? "s" : ""})`
    : `${name} is empty`;
  return verdict;
}

/** One line for a run's outcome: exit 0 with what it did, or its refusal (shortened). */
function describeRun(label: string, outcome: PromiseSettledResult<BatchIngestSummary>): string {
  if (outcome.status === "fulfilled")
    return `${label} exit 0 (${outcome.value.files.map((f) => `${f.kind} ${f.skipped ? "accepted" : f.replaced ? "replaced" : "uploaded"}`).join(", ")})`;
  const message = (outcome.reason as Error).message;
  return `${label} refused${message.includes("\n") ? " (MULTI-LINE)" : ""}: "${message.length > 140 ? `${message.slice(0, 140)}…` : message}"`;
}

function combine(verdicts: KeyVerdict[], runs: string[]): FaultOutcome {
  return {
    happened: [...runs, ...verdicts.map((v) => v.summary)].join("; "),
    lost: verdicts.reduce((sum, v) => sum + v.lost, 0),
    duplicated: verdicts.reduce((sum, v) => sum + v.duplicated, 0),
    corrupted: verdicts.reduce((sum, v) => sum + v.corrupted, 0),
    hung: false,
    silentSuccess: verdicts.some((v) => v.silentSuccess),
  };
}

/** Runs two ingestions at once through a commit gate and judges both keys. */
async function twoAtOnce(
  options: { big: boolean; sameMovies: boolean; overwrite: boolean },
  gateOptions: GateOptions = {},
): Promise<FaultOutcome> {
  const w = await setUp();
  const files = options.big ? w.big : w.small;
  const bucket = await newBucket(w, true);
  const partSize = options.big ? { partSize: 5 * MIB } : {};
  let before: string | undefined;
  let first = files.movies;
  if (options.overwrite) {
    await ingestBatch({ bucket, ...files, date: DATE, client: w.s3, env: w.server.env, ...partSize });
    before = files.movies;
    first = await changedCopy(w, files.movies, `overwrite-a-${buckets}.csv`);
  }
  const second = options.sameMovies ? first : await changedCopy(w, first, `other-${buckets}.csv`);
  const gate = await startCommitGate(w.server.endpoint, gateOptions);
  let outcomes: PromiseSettledResult<BatchIngestSummary>[];
  try {
    const env = { ...w.server.env, AWS_ENDPOINT_URL_S3: gate.endpoint };
    const start = (movies: string) =>
      ingestBatch({ bucket, movies, series: files.series, date: DATE, env, overwrite: options.overwrite, ...partSize });
    outcomes = await Promise.allSettled([start(first), start(second)]);
  } finally {
    await gate.close();
  }
  const promisedMovies = outcomes.flatMap((o, i) => (o.status === "fulfilled" ? [i === 0 ? first : second] : []));
  const promisedSeries = outcomes.flatMap((o) => (o.status === "fulfilled" ? [files.series] : []));
  const verdicts = [
    await judgeKey(w, bucket, MOVIES_KEY, promisedMovies, [first, second, ...(before ? [before] : [])], before),
    await judgeKey(w, bucket, SERIES_KEY, promisedSeries, [files.series]),
  ];
  // A refused run that says nothing of what to do is a failure of its own kind: count it as silent.
  const outcome = combine(verdicts, [describeRun("run A", outcomes[0]!), describeRun("run B", outcomes[1]!)]);
  for (const o of outcomes)
    if (o.status === "rejected" && !/rerun/.test((o.reason as Error).message)) outcome.silentSuccess = true;
  // Both refused with different files is allowed only when neither could have been first; exactly one must win.
  if (!options.sameMovies && outcomes.filter((o) => o.status === "fulfilled").length !== 1)
    outcome.happened += " (NOT exactly one winner)";
  return outcome;
}

/** The BatchIngestor's fault cases. */
export const cases: FaultCase[] = [
  {
    name: "batch: different files, same day, at once (single-part)",
    expected: "one run exit 0 with its bytes stored; the other refused in one line naming --overwrite; 1 version",
    run: () => twoAtOnce({ big: false, sameMovies: false, overwrite: false }),
  },
  {
    name: "batch: different files, same day, at once (multipart)",
    expected: "one run exit 0 with its bytes stored; the other refused in one line naming --overwrite; 1 version",
    run: () => twoAtOnce({ big: true, sameMovies: false, overwrite: false }),
  },
  {
    name: "batch: the same files, same day, at once",
    expected: "both runs exit 0; each file one object, one version (no duplicate)",
    run: () => twoAtOnce({ big: false, sameMovies: true, overwrite: false }),
  },
  {
    name: "batch: two --overwrite runs at once (If-Match)",
    expected: "one replacement wins on the ETag both read; the other refused; the previous file kept as history",
    run: () => twoAtOnce({ big: false, sameMovies: false, overwrite: true }),
  },
  {
    name: "batch: corrupt write while another run replaces the day",
    expected: "the corrupt run fails and removes only its own version; the other run's verified file stays",
    run: async () => {
      const w = await setUp();
      const bucket = await newBucket(w, true);
      const theirs = await changedCopy(w, w.big.movies, `verified-meanwhile-${buckets}.csv`);
      let committed = false;
      let other: Promise<BatchIngestSummary> | undefined;
      const gate = await startCommitGate(w.server.endpoint, {
        commitsPerKey: 1,
        corrupt: (request) => request.key === MOVIES_KEY && request.query.get("partNumber") === "2",
        hold: async (request) => {
          if (request.key !== MOVIES_KEY) return;
          if (request.commit) committed = true;
          else if (committed && request.method === "HEAD" && !other) {
            other = ingestBatch({
              bucket,
              movies: theirs,
              series: w.small.series,
              date: DATE,
              overwrite: true,
              client: w.s3,
              env: w.server.env,
            });
            await other.catch(() => undefined);
          }
        },
      });
      let corrupt: PromiseSettledResult<BatchIngestSummary>;
      try {
        const env = { ...w.server.env, AWS_ENDPOINT_URL_S3: gate.endpoint };
        [corrupt] = await Promise.allSettled([
          ingestBatch({ bucket, movies: w.big.movies, series: w.small.series, date: DATE, env, partSize: 5 * MIB }),
        ]);
      } finally {
        await gate.close();
      }
      const [replacing] = await Promise.allSettled([other ?? Promise.reject(new Error("the other run never started"))]);
      const promised = replacing.status === "fulfilled" ? [theirs] : [];
      if (corrupt.status === "fulfilled") promised.push(w.big.movies);
      const verdicts = [await judgeKey(w, bucket, MOVIES_KEY, promised, [theirs])];
      const outcome = combine(verdicts, [describeRun("corrupt run", corrupt), describeRun("replacing run", replacing)]);
      // The corrupt run's own version must be gone: only the replacing run's may remain.
      const listed = await w.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: MOVIES_KEY }));
      const left = (listed.Versions ?? []).length;
      if (left !== 1) outcome.happened += ` (${left} versions left, expected 1)`;
      return outcome;
    },
  },
  {
    name: "batch: --date 9999-12-31",
    expected: "refused before anything is written, in one line",
    run: async () => {
      const w = await setUp();
      const bucket = await newBucket(w, false);
      const [outcome] = await Promise.allSettled([
        ingestBatch({ bucket, ...w.small, date: "9999-12-31", client: w.s3, env: w.server.env }),
      ]);
      const written = await objectBytes(
        w,
        bucket,
        lakeKey({ ...DATASETS.rawMoviesCsv, date: DATE, file: "movies.csv" }),
      );
      return {
        happened: describeRun("run", outcome!) + (written ? "; something was written" : "; nothing written"),
        lost: 0,
        duplicated: 0,
        corrupted: 0,
        hung: false,
        // Accepting the day is the failure of #7: a "success" that poisons every `latest` lookup.
        silentSuccess: outcome!.status === "fulfilled",
      };
    },
  },
  {
    name: "batch: file names 映画.csv and séries.csv",
    expected: "both stored, names read back as they were",
    run: async () => {
      const w = await setUp();
      const bucket = await newBucket(w, false);
      const named = join(w.dir, `unicode-${buckets}`);
      await mkdir(named, { recursive: true });
      const movies = join(named, "映画.csv");
      const series = join(named, "séries.csv");
      await copyFile(w.small.movies, movies);
      await copyFile(w.small.series, series);
      const [outcome] = await Promise.allSettled([
        ingestBatch({ bucket, movies, series, date: DATE, client: w.s3, env: w.server.env }),
      ]);
      const promised = outcome!.status === "fulfilled";
      const verdicts = [
        await judgeKey(w, bucket, MOVIES_KEY, promised ? [movies] : [], [movies]),
        await judgeKey(w, bucket, SERIES_KEY, promised ? [series] : [], [series]),
      ];
      const target = { bucket, region: "us-east-1" };
      const names = [
        (await storedObject(w.s3, bucket, MOVIES_KEY, target).catch(() => null))?.sourceFile,
        (await storedObject(w.s3, bucket, SERIES_KEY, target).catch(() => null))?.sourceFile,
      ];
      const result = combine(verdicts, [describeRun("run", outcome!), `names read back: ${names.join(", ")}`]);
      // A name stored garbled is a record of the lake that no longer says where it came from.
      if (names[0] !== "映画.csv" || names[1] !== "séries.csv") result.corrupted += 1;
      return result;
    },
  },
];
