import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import { execFile } from "node:child_process";
import { appendFile, chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { Transform } from "node:stream";
import { join } from "node:path";
import { crc32, gzipSync } from "node:zlib";
import { DATASETS, lakeKey } from "../../lake/paths";
import { MOVIES_CSV_HEADER, SERIES_CSV_HEADER } from "../../lake/tables/trusted";
import { bundleCli } from "../../runtime/batch-ingestor/build";
import { DigestAccumulator, crc32Base64 } from "../../runtime/batch-ingestor/checksum";
import { failureLine, formatSummary, parseIngestArgs, progressPrinter } from "../../runtime/batch-ingestor/cli";
import { IngestError } from "../../runtime/batch-ingestor/errors";
import {
  PART_SIZE_METADATA,
  SHA256_METADATA,
  SHA256_TAG,
  ingestBatch as ingestBatchUnrecorded,
  storedObject,
  type BatchIngestOptions,
  type BatchIngestSummary,
} from "../../runtime/batch-ingestor/ingest";
import { startCommitGate, type CommitGate, type GateOptions } from "../../bench/faults/s3Gate";
import { freePort } from "../../runtime/local/s3Server";
import { makeS3Client } from "../../runtime/shared/s3Client";
import { generateSample } from "../../runtime/sample/generate";
import {
  describeDenied,
  evaluateS3Requests,
  registeredPolicies,
  startRecordingS3Server,
  type RecordingS3Server,
} from "../support/s3Requests";

const DATE = "2022-05-02";
const MOVIES_KEY = lakeKey({ ...DATASETS.rawMoviesCsv, date: DATE, file: "movies.csv" });
const SERIES_KEY = lakeKey({ ...DATASETS.rawSeriesCsv, date: DATE, file: "series.csv" });
const MIB = 1024 * 1024;

/** Runs a command and returns its exit code and output (never throws on a non-zero exit). */
function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env, maxBuffer: 16 * MIB }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** What a faulty proxy does to a request: `part` is the UploadPart number (0 for other requests). */
type Fault = (part: number, req: IncomingMessage) => "cut" | "corrupt" | "pass";

/** True for a PutObjectTagging request (PUT .../key?tagging). */
function isPutTagging(req: IncomingMessage): boolean {
  return req.method === "PUT" && new URL(req.url ?? "/", "http://x").searchParams.has("tagging");
}

/**
 * An HTTP proxy in front of the S3 API server that misbehaves deterministically on the requests `fault` picks: it cuts
 * their connection after part of the body arrived ("network failure midway") or flips one byte of their body
 * ("corruption in transit"); every other request passes through.
 */
async function startFaultyProxy(target: string, fault: Fault): Promise<{ endpoint: string; server: Server }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const part = Number(new URL(req.url ?? "/", "http://x").searchParams.get("partNumber") ?? "0");
    const action = fault(part, req);
    if (action === "cut") {
      req.once("data", () => req.socket.destroy());
      return;
    }
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    let flipped = action !== "corrupt";
    req
      .pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            if (!flipped && chunk.length > 0) {
              chunk[0] = (chunk[0] as number) ^ 0x01;
              flipped = true;
            }
            callback(null, chunk);
          },
        }),
      )
      .pipe(forward);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { endpoint: `http://127.0.0.1:${port}`, server };
}

describe("BatchIngestor runtime (against moto's S3 API server)", function () {
  let server: RecordingS3Server;
  let s3: S3Client;
  let dir: string;
  let movies: string;
  let series: string;
  let bigMovies: string;
  let bigSeries: string;
  let bucketCount = 0;
  const savedEnv = { ...process.env };

  before(async () => {
    server = await startRecordingS3Server();
    // The SDK's default credential chain reads process.env.
    Object.assign(process.env, server.env);
    s3 = makeS3Client(server.env);
    dir = await mkdtemp(join(tmpdir(), "cinelake-ingest-"));
    const small = await generateSample({ outDir: join(dir, "small"), titles: 400, seed: 3 });
    movies = small.moviesPath;
    series = small.seriesPath;
    // Over three 5 MiB parts for movies: exercises the multipart path.
    const big = await generateSample({ outDir: join(dir, "big"), titles: 30000, seed: 4 });
    bigMovies = big.moviesPath;
    bigSeries = big.seriesPath;
  });

  after(async () => {
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The ingestor's S3 requests are labelled, so the last test can check them against its registered policy. */
  const ingestBatch: typeof ingestBatchUnrecorded = (options) =>
    server.during("batch-ingestor", () => ingestBatchUnrecorded(options));

  async function newBucket(): Promise<string> {
    const bucket = `ingest-test-${++bucketCount}-${process.pid}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    return bucket;
  }

  async function objectBytes(bucket: string, key: string): Promise<Buffer> {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
  }

  /** Whether the object at `key` holds exactly the bytes of the local file at `path`. */
  async function holdsFile(bucket: string, key: string, path: string): Promise<boolean> {
    return (await objectBytes(bucket, key)).equals(await readFile(path));
  }

  /** A copy of `path` with data row `row` added again: the same kind of file, different bytes. */
  async function changedCopy(path: string, name: string, row = 1): Promise<string> {
    const copy = join(dir, name);
    await copyFile(path, copy);
    await appendFile(copy, (await readFile(path, "utf8")).split("\r\n")[row] + "\r\n");
    return copy;
  }

  /**
   * Ingests `changedMovies` over what the bucket holds, with `overwrite`, beside the unchanged series; `ingest` is the
   * unrecorded one for a competing run started inside a gate's hook, whose requests are not the run under test's.
   */
  function overwriteMovies(
    bucket: string,
    changedMovies: string,
    ingest: typeof ingestBatch = ingestBatch,
  ): Promise<BatchIngestSummary> {
    return ingest({
      bucket,
      movies: changedMovies,
      series,
      date: DATE,
      overwrite: true,
      client: s3,
      env: server.env,
    });
  }

  /** Asserts the bucket holds no object and no incomplete multipart upload. */
  async function expectNothingWritten(bucket: string): Promise<void> {
    const objects = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(objects.KeyCount ?? 0, "objects in the bucket").to.equal(0);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(uploads.Uploads ?? [], "incomplete multipart uploads").to.have.length(0);
  }

  /** The object's `sha256` tag, undefined when it has none. */
  async function sha256Tag(bucket: string, key: string): Promise<string | undefined> {
    const tagging = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
    return tagging.TagSet?.find((tag) => tag.Key === SHA256_TAG)?.Value;
  }

  /** Runs an ingestion through a proxy that cuts every PutObjectTagging: the run stops between upload and tagging. */
  async function ingestWithoutTagging(options: Partial<BatchIngestOptions> & { bucket: string }): Promise<string> {
    const proxy = await startFaultyProxy(server.endpoint, (_part, req) => (isPutTagging(req) ? "cut" : "pass"));
    try {
      const proxyEnv = { ...server.env, AWS_ENDPOINT_URL_S3: proxy.endpoint };
      return await ingestError({ client: makeS3Client(proxyEnv), env: proxyEnv, ...options });
    } finally {
      proxy.server.closeAllConnections();
      await new Promise((resolve) => proxy.server.close(resolve));
    }
  }

  async function ingestError(options: Partial<BatchIngestOptions> & { bucket: string }): Promise<string> {
    try {
      await ingestBatch({ movies, series, date: DATE, client: s3, env: server.env, ...options });
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error("ingestBatch was expected to fail");
  }

  it("copies both files byte for byte to the seed's paths and reports what landed where", async () => {
    const bucket = await newBucket();
    const summary = await ingestBatch({ bucket, movies, series, date: DATE, client: s3, env: server.env });
    expect(summary.files.map((file) => file.key)).to.deep.equal([MOVIES_KEY, SERIES_KEY]);
    expect(MOVIES_KEY).to.equal("Raw/Local/CSV/Movies/2022/05/02/movies.csv");
    expect(await holdsFile(bucket, MOVIES_KEY, movies)).to.equal(true);
    expect(await holdsFile(bucket, SERIES_KEY, series)).to.equal(true);
    for (const file of summary.files) {
      expect(file.skipped).to.equal(false);
      expect(file.verifiedBy).to.equal("s3-checksum-crc32");
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: file.key }));
      expect(await sha256Tag(bucket, file.key))
        .to.equal(file.sha256)
        .and.to.match(/^[0-9a-f]{64}$/);
      expect(file.sha256).to.equal(
        createHash("sha256")
          .update(await readFile(file.source))
          .digest("hex"),
      );
      // The SHA-256 is a tag now, not metadata; the metadata records the part size for a later CRC32 check.
      expect(head.Metadata?.[SHA256_METADATA]).to.equal(undefined);
      expect(head.Metadata?.[PART_SIZE_METADATA]).to.equal(String(8 * MIB));
      expect(head.ContentLength).to.equal(file.bytes);
    }
    expect(formatSummary(summary))
      .to.include(`s3://${bucket}/${MOVIES_KEY}`)
      .and.include(`s3://${bucket}/${SERIES_KEY}`);
  });

  it("uploads a multi-part file exactly, verified by the server's checksum, with progress", async () => {
    const bucket = await newBucket();
    const progress: number[] = [];
    // Through a proxy that records the parts' headers, with the client the ingestor makes itself (tuned for uploads).
    const parts: { part: number; path: string; checksum?: string; payload?: string }[] = [];
    const proxy = await startFaultyProxy(server.endpoint, (part, req) => {
      if (part > 0)
        parts.push({
          part,
          path: new URL(req.url ?? "/", "http://x").pathname,
          checksum: req.headers["x-amz-checksum-crc32"] as string | undefined,
          payload: req.headers["x-amz-content-sha256"] as string | undefined,
        });
      return "pass";
    });
    let summary;
    try {
      summary = await ingestBatch({
        bucket,
        movies: bigMovies,
        series: bigSeries,
        date: DATE,
        env: { ...server.env, AWS_ENDPOINT_URL_S3: proxy.endpoint },
        partSize: 5 * MIB,
        onProgress: (p) => p.kind === "movies" && progress.push(p.loaded),
      });
    } finally {
      proxy.server.closeAllConnections();
      await new Promise((resolve) => proxy.server.close(resolve));
    }
    // Part bodies are not hashed again for SigV4; each still carries the CRC32 the server checks on receipt.
    expect(parts.length).to.be.at.least(5);
    for (const part of parts) expect(part.payload).to.equal("UNSIGNED-PAYLOAD");
    // The CRC32 headers (from the digest tap) are those of the file's 5 MiB slices.
    const source = await readFile(bigMovies);
    const movieParts = parts.filter((part) => part.path.endsWith("/movies.csv"));
    expect(movieParts.map((part) => part.part).sort((a, b) => a - b)).to.deep.equal(
      Array.from({ length: Math.ceil(source.length / (5 * MIB)) }, (_, index) => index + 1),
    );
    for (const { part, checksum } of movieParts)
      expect(checksum, `part ${part}`).to.equal(
        crc32Base64(crc32(source.subarray((part - 1) * 5 * MIB, part * 5 * MIB))),
      );
    const file = summary.files[0];
    expect(file?.bytes).to.be.greaterThan(15 * MIB);
    expect(file?.verifiedBy).to.equal("s3-checksum-crc32");
    expect(await holdsFile(bucket, MOVIES_KEY, bigMovies)).to.equal(true);
    expect(await holdsFile(bucket, SERIES_KEY, bigSeries)).to.equal(true);
    expect(progress.length).to.be.at.least(3);
    expect(progress[progress.length - 1]).to.equal(file?.bytes);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(uploads.Uploads ?? []).to.have.length(0);
  });

  it("skips the same bytes, refuses different bytes and replaces them only with overwrite", async () => {
    const bucket = await newBucket();
    await ingestBatch({ bucket, movies, series, date: DATE, client: s3, env: server.env });
    const before = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: MOVIES_KEY }));

    const lines: string[] = [];
    const again = await ingestBatch({
      bucket,
      movies,
      series,
      date: DATE,
      client: s3,
      env: server.env,
      log: (l) => lines.push(l),
    });
    expect(again.files.map((file) => file.skipped)).to.deep.equal([true, true]);
    expect(lines.join("\n")).to.match(/movies: .* already holds these bytes .*: skipped/);
    const after = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: MOVIES_KEY }));
    expect(after.LastModified?.getTime()).to.equal(before.LastModified?.getTime());

    const changed = await changedCopy(movies, "changed-movies.csv");
    const message = await ingestError({ bucket, movies: changed });
    expect(message).to.match(/Raw\/Local\/CSV\/Movies\/2022\/05\/02\/movies\.csv already holds different bytes/);
    expect(message).to.match(/nothing was written; rerun with --overwrite/);
    expect(await holdsFile(bucket, MOVIES_KEY, movies)).to.equal(true);

    const replaced = await overwriteMovies(bucket, changed);
    expect(replaced.files.map((file) => [file.replaced, file.skipped])).to.deep.equal([
      [true, false],
      [false, true],
    ]);
    expect(await holdsFile(bucket, MOVIES_KEY, changed)).to.equal(true);
  });

  it("recognizes objects of the previous version by their sha256 metadata, and refuses foreign ones", async () => {
    const bucket = await newBucket();
    const sha256 = async (path: string) =>
      createHash("sha256")
        .update(await readFile(path))
        .digest("hex");
    for (const [key, path] of [
      [MOVIES_KEY, movies],
      [SERIES_KEY, series],
    ] as const)
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: await readFile(path),
          Metadata: { sha256: await sha256(path) },
        }),
      );
    const again = await ingestBatch({ bucket, movies, series, date: DATE, client: s3, env: server.env });
    expect(again.files.map((file) => [file.skipped, file.verifiedBy])).to.deep.equal([
      [true, "already-there"],
      [true, "already-there"],
    ]);

    const other = await newBucket();
    await s3.send(new PutObjectCommand({ Bucket: other, Key: MOVIES_KEY, Body: await readFile(movies) }));
    const message = await ingestError({ bucket: other });
    expect(message).to.match(
      /movies\.csv already holds an object without a sha256 \(not written by the BatchIngestor\)/,
    );
    expect(message).to.match(/nothing was written; rerun with --overwrite/);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: other }));
    expect((listed.Contents ?? []).map((object) => object.Key)).to.deep.equal([MOVIES_KEY]);
  });

  it("tags, without uploading again, an object an interrupted run left untagged when the local bytes match", async () => {
    const bucket = await newBucket();
    // Uploaded in 5 MiB parts; the rerun uses the default 8 MiB and must recompute the CRC32 at the recorded size.
    const options = { bucket, movies: bigMovies, series, date: DATE, partSize: 5 * MIB };
    const message = await ingestWithoutTagging(options);
    expect(message).to.match(/tagging s3:\/\/.*movies\.csv.*has no sha256 tag yet: rerun to tag it/);
    expect(message).to.match(/tagging s3:\/\/.*series\.csv/);
    expect(await sha256Tag(bucket, MOVIES_KEY)).to.equal(undefined);
    expect(await holdsFile(bucket, MOVIES_KEY, bigMovies)).to.equal(true);
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).to.have.length(0);
    const before = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: MOVIES_KEY }));

    const lines: string[] = [];
    const rerun = await ingestBatch({
      ...options,
      partSize: undefined,
      client: s3,
      env: server.env,
      log: (l) => lines.push(l),
    });
    expect(rerun.files.map((file) => [file.skipped, file.verifiedBy])).to.deep.equal([
      [true, "already-there-crc32"],
      [true, "already-there-crc32"],
    ]);
    expect(lines.join("\n")).to.match(
      /movies: .* left untagged by an interrupted run \(size and CRC32 .* match\): tagged/,
    );
    expect(await sha256Tag(bucket, MOVIES_KEY)).to.equal(rerun.files[0]?.sha256);
    expect(await sha256Tag(bucket, SERIES_KEY)).to.equal(rerun.files[1]?.sha256);
    const after = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: MOVIES_KEY }));
    expect(after.LastModified?.getTime(), "not uploaded again").to.equal(before.LastModified?.getTime());
    expect(after.ETag).to.equal(before.ETag);

    // Tagged now: the next run skips it on the tag alone.
    const third = await ingestBatch({ ...options, client: s3, env: server.env });
    expect(third.files.map((file) => file.verifiedBy)).to.deep.equal(["already-there", "already-there"]);
  });

  it("refuses different bytes over an untagged object an interrupted run left, and replaces them with overwrite", async () => {
    const bucket = await newBucket();
    await ingestWithoutTagging({ bucket });
    const changed = await changedCopy(movies, "changed-untagged-movies.csv", 2);

    const message = await ingestError({ bucket, movies: changed });
    expect(message).to.match(
      /movies\.csv already holds an untagged object left by an interrupted BatchIngestor run, with different bytes/,
    );
    expect(message).to.match(/nothing was written; rerun with --overwrite/);
    expect(await sha256Tag(bucket, MOVIES_KEY)).to.equal(undefined);
    expect(await sha256Tag(bucket, SERIES_KEY), "the other file is not tagged before the refusal").to.equal(undefined);
    expect(await holdsFile(bucket, MOVIES_KEY, movies)).to.equal(true);

    const replaced = await overwriteMovies(bucket, changed);
    expect(replaced.files.map((file) => [file.replaced, file.skipped, file.verifiedBy])).to.deep.equal([
      [true, false, "s3-checksum-crc32"],
      [false, true, "already-there-crc32"],
    ]);
    expect(await holdsFile(bucket, MOVIES_KEY, changed)).to.equal(true);
    expect(await sha256Tag(bucket, MOVIES_KEY)).to.equal(replaced.files[0]?.sha256);
  });

  describe("refuses bad input with a clear message and writes nothing", () => {
    const header = (columns: readonly string[]) => columns.join("|") + "\r\n";
    const movieRow = MOVIES_CSV_HEADER.map((_, i) => (i === 0 ? "tt0000009" : "x")).join("|") + "\r\n";
    const cases: { name: string; make: (path: string) => Promise<void> | void; message: RegExp }[] = [
      { name: "an empty file", make: (p) => writeFile(p, ""), message: /movies file .* is empty/ },
      {
        name: "a header without rows",
        make: (p) => writeFile(p, header(MOVIES_CSV_HEADER)),
        message: /has a header but no data rows/,
      },
      {
        name: "the series file given as movies (swapped)",
        make: (p) => copyFile(series, p),
        message:
          /holds the series CSV \(16 columns\), not the movies CSV \(15 columns\): are the movies and series files swapped\?/,
      },
      {
        name: "a comma-separated file",
        make: (p) => writeFile(p, MOVIES_CSV_HEADER.join(",") + "\r\n" + movieRow.replace(/\|/g, ",")),
        message: /uses "," as its delimiter: the movies CSV is separated by "\|"/,
      },
      {
        name: "a binary file",
        make: (p) => writeFile(p, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0xff, 0x10, 0x00])),
        message: /looks binary \(it contains NUL bytes\)/,
      },
      {
        name: "a gzip-compressed file",
        make: async (p) => writeFile(p, gzipSync(await readFile(movies))),
        message: /is gzip-compressed: decompress it first/,
      },
      {
        name: "a file with a byte order mark",
        make: async (p) => writeFile(p, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), await readFile(movies)])),
        message: /starts with a UTF-8 byte order mark/,
      },
      {
        name: "a header with the typo corrected",
        make: async (p) => writeFile(p, (await readFile(movies, "utf8")).replace("tituloPincipal", "tituloPrincipal")),
        message: /header column 2 is "tituloPrincipal", expected "tituloPincipal"/,
      },
      {
        name: "a header with a column missing",
        make: (p) => writeFile(p, header(MOVIES_CSV_HEADER.slice(0, 14)) + movieRow),
        message: /has 14 columns in its header, the movies CSV has 15/,
      },
      {
        name: "a first row with too few fields",
        make: (p) => writeFile(p, header(MOVIES_CSV_HEADER) + "tt0000009|Miss Jerry|Miss Jerry|1894\r\n"),
        message: /its first data row has 4 fields, the header has 15/,
      },
      {
        name: "Latin-1 text instead of UTF-8",
        make: (p) =>
          writeFile(p, Buffer.from(header(MOVIES_CSV_HEADER) + movieRow.replace("x", "Les Mis\xe9rables"), "latin1")),
        message: /is not valid UTF-8 text/,
      },
      {
        name: "a missing file",
        make: () => undefined,
        message: /movies file .* does not exist: put movies\.csv there or pass --movies PATH/,
      },
      { name: "a directory", make: (p) => mkdir(p), message: /is a directory: give the path of the movies CSV file/ },
      {
        name: "a named pipe",
        make: (p) => run("mkfifo", [p], process.env).then(() => undefined),
        message: /is not a regular file/,
      },
    ];
    cases.forEach(({ name, make, message }, index) => {
      it(`refuses ${name}`, async () => {
        const bucket = await newBucket();
        const bad = join(dir, `bad-${index}`, "movies.csv");
        await mkdir(join(dir, `bad-${index}`), { recursive: true });
        await make(bad);
        expect(await ingestError({ bucket, movies: bad })).to.match(message);
        await expectNothingWritten(bucket);
      });
    });

    it("refuses a good movies file with a bad series file, writing neither", async () => {
      const bucket = await newBucket();
      const bad = join(dir, "only-movies-header.csv");
      await writeFile(bad, header(SERIES_CSV_HEADER));
      expect(await ingestError({ bucket, series: bad })).to.match(/series file .* has a header but no data rows/);
      await expectNothingWritten(bucket);
    });

    it("refuses an impossible date and an invalid bucket name", async () => {
      const bucket = await newBucket();
      expect(await ingestError({ bucket, date: "2023-02-30" })).to.match(/--date: date "2023-02-30" is not a real/);
      expect(await ingestError({ bucket: "My_Bucket" })).to.match(/"My_Bucket" is not a valid S3 bucket name/);
      await expectNothingWritten(bucket);
    });

    it("names the bucket when it does not exist", async () => {
      const message = await ingestError({ bucket: "no-such-lake-bucket" });
      expect(message).to.match(
        /bucket "no-such-lake-bucket" does not exist at the S3 endpoint http:\/\/127\.0\.0\.1:\d+/,
      );
      expect(message).to.include("check --bucket (or LAKE_BUCKET)");
      const buckets = await s3.send(new ListObjectsV2Command({ Bucket: "no-such-lake-bucket" })).catch((e) => e);
      expect((buckets as Error).name).to.equal("NoSuchBucket");
    });

    it("names the endpoint when it is unreachable", async () => {
      const bucket = await newBucket();
      const deadEnv = { ...server.env, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${await freePort()}` };
      const message = await ingestError({ bucket, client: makeS3Client(deadEnv), env: deadEnv });
      expect(message).to.match(/cannot reach the S3 endpoint http:\/\/127\.0\.0\.1:\d+ .*\(ECONNREFUSED\)/);
      expect(message).to.include("AWS_ENDPOINT_URL_S3");
      await expectNothingWritten(bucket);
    });

    it("names the variables to set when credentials are missing (CLI)", async () => {
      const bucket = await newBucket();
      const env = {
        PATH: process.env.PATH,
        HOME: dir,
        AWS_ENDPOINT_URL_S3: server.endpoint,
        AWS_REGION: "us-east-1",
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_CONFIG_FILE: join(dir, "no-config"),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, "no-credentials"),
      };
      const cli = join(__dirname, "../../runtime/batch-ingestor/cli.ts");
      const args = ["tsx", cli, "--bucket", bucket, "--movies", movies, "--series", series, "--date", DATE];
      const result = await run("npx", args, env);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(/no AWS credentials found .*: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
      await expectNothingWritten(bucket);
    });

    it("refuses an unreadable file (run as an unprivileged user)", async function () {
      const setpriv = await run("setpriv", ["--version"], process.env);
      if (setpriv.code !== 0) this.skip();
      const bucket = await newBucket();
      const area = await mkdtemp(join(tmpdir(), "cinelake-unreadable-"));
      try {
        await chmod(area, 0o755);
        const bundled = bundleCli(join(area, "bin"));
        const locked = join(area, "movies.csv");
        await copyFile(movies, locked);
        await chmod(locked, 0o000);
        const readableSeries = join(area, "series.csv");
        await copyFile(series, readableSeries);
        await chmod(readableSeries, 0o644);
        const args = ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, bundled];
        const result = await run("setpriv", [...args, "--bucket", bucket, "--data", area, "--date", DATE], {
          PATH: process.env.PATH,
          ...server.env,
        });
        expect(result.code).to.equal(1);
        expect(result.stderr).to.match(/movies file .*movies\.csv is not readable \(permission denied\)/);
        await expectNothingWritten(bucket);
      } finally {
        await rm(area, { recursive: true, force: true });
      }
    });
  });

  it("leaves nothing behind when the connection is cut midway, and keeps the previous object", async () => {
    const bucket = await newBucket();
    // Both big files need a second 5 MiB part: every second part's connection is cut.
    const proxy = await startFaultyProxy(server.endpoint, (part) => (part >= 2 ? "cut" : "pass"));
    try {
      const proxyEnv = { ...server.env, AWS_ENDPOINT_URL_S3: proxy.endpoint };
      const client = makeS3Client(proxyEnv);
      const options = { bucket, date: DATE, client, env: proxyEnv, partSize: 5 * MIB };
      let message = await ingestError({ ...options, movies: bigMovies, series: bigSeries });
      expect(message).to.match(/cannot reach the S3 endpoint .* while uploading to s3:\/\/.*movies\.csv/);
      expect(message).to.match(/cannot reach the S3 endpoint .* while uploading to s3:\/\/.*series\.csv/);
      expect(message).to.include(`nothing new was written at ${MOVIES_KEY} and no incomplete upload was left behind`);
      await expectNothingWritten(bucket);

      // With the day's files in place, a failed overwrite leaves them untouched.
      await ingestBatch({ bucket, movies, series, date: DATE, client: s3, env: server.env });
      message = await ingestError({ ...options, movies: bigMovies, series, overwrite: true });
      expect(message).to.include("no incomplete upload was left behind");
      expect(await holdsFile(bucket, MOVIES_KEY, movies)).to.equal(true);
      const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      expect(uploads.Uploads ?? []).to.have.length(0);

      // A small file (one request) lands while the big one fails: the message says what is in place.
      const other = await newBucket();
      message = await ingestError({ ...options, bucket: other, movies: bigMovies, series });
      expect(message).to.match(/series is in place at s3:\/\/.*series\.csv; rerun to complete the day/);
      const missing = await s3.send(new HeadObjectCommand({ Bucket: other, Key: MOVIES_KEY })).catch((e) => e);
      expect((missing as Error).name).to.equal("NotFound");
      expect(await holdsFile(other, SERIES_KEY, series)).to.equal(true);
      expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: other }))).Uploads ?? []).to.have.length(0);
    } finally {
      proxy.server.closeAllConnections();
      await new Promise((resolve) => proxy.server.close(resolve));
    }
  });

  it("removes an object whose stored checksum differs from the source's (corrupted in transit)", async () => {
    const bucket = await newBucket();
    const proxy = await startFaultyProxy(server.endpoint, (part) => (part === 2 ? "corrupt" : "pass"));
    try {
      const proxyEnv = { ...server.env, AWS_ENDPOINT_URL_S3: proxy.endpoint };
      const options = { bucket, date: DATE, client: makeS3Client(proxyEnv), env: proxyEnv, partSize: 5 * MIB };
      const message = await ingestError({ ...options, movies: bigMovies, series: bigSeries });
      expect(message).to.match(
        /integrity check failed for s3:\/\/.*movies\.csv: the server's CRC32 .* differs from the source's .*; the object was removed/,
      );
      expect(message).to.match(/integrity check failed for s3:\/\/.*series\.csv/);
      await expectNothingWritten(bucket);
    } finally {
      proxy.server.closeAllConnections();
      await new Promise((resolve) => proxy.server.close(resolve));
    }
  });

  describe("concurrent runs of the same day (issue 13)", () => {
    async function versionedBucket(): Promise<string> {
      const bucket = await newBucket();
      await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
      return bucket;
    }

    /** Every version (and delete marker) of `key`, newest first. */
    async function versions(bucket: string, key: string) {
      const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
      return {
        versions: (listed.Versions ?? []).filter((v) => v.Key === key),
        markers: (listed.DeleteMarkers ?? []).filter((m) => m.Key === key),
      };
    }

    async function withGate<T>(options: GateOptions, run: (gate: CommitGate) => Promise<T>): Promise<T> {
      const gate = await startCommitGate(server.endpoint, options);
      try {
        return await run(gate);
      } finally {
        await gate.close();
      }
    }

    /** Two ingestions started at once through `gate`, each with its own client, labelled as the BatchIngestor's. */
    function atOnce(gate: CommitGate, a: Partial<BatchIngestOptions>, b: Partial<BatchIngestOptions>) {
      const env = { ...server.env, AWS_ENDPOINT_URL_S3: gate.endpoint };
      const start = (options: Partial<BatchIngestOptions>) =>
        ingestBatchUnrecorded({ movies, series, date: DATE, env, ...options } as BatchIngestOptions);
      return server.during("batch-ingestor", () => Promise.allSettled([start(a), start(b)]));
    }

    const sizes = [
      { name: "single-part files (PutObject)", big: false },
      { name: "multipart files (CompleteMultipartUpload)", big: true },
    ];
    for (const { name, big } of sizes)
      it(`different files at once, ${name}: exactly one run wins, the other is refused with the fix, nothing is lost`, async () => {
        const bucket = await versionedBucket();
        const mine = big ? bigMovies : movies;
        const theirs = await changedCopy(mine, `theirs-${big ? "big" : "small"}-movies.csv`);
        // Same series in both runs: that file must end as one object both runs accept.
        const common = { bucket, series: big ? bigSeries : series, ...(big ? { partSize: 5 * MIB } : {}) };
        const [a, b] = await withGate({}, (gate) =>
          atOnce(gate, { ...common, movies: mine }, { ...common, movies: theirs }),
        );
        const outcomes = [a, b].map((o) => o.status);
        expect(outcomes.sort(), "one run succeeds, one is refused").to.deep.equal(["fulfilled", "rejected"]);
        const winner = a.status === "fulfilled" ? mine : theirs;
        const loser = a.status === "rejected" ? a : (b as PromiseRejectedResult);
        const message = (loser.reason as Error).message;
        expect(message).to.match(
          /movies\.csv: another run wrote different bytes .* at the same time; this run's write was refused so as not to overwrite them/,
        );
        expect(message).to.match(/rerun with --overwrite to replace them/);
        expect(message, "one line").not.to.include("\n");
        // The winner's bytes are stored, verified and tagged; the loser left no version behind.
        expect(await holdsFile(bucket, MOVIES_KEY, winner)).to.equal(true);
        const winnerSha = createHash("sha256")
          .update(await readFile(winner))
          .digest("hex");
        expect(await sha256Tag(bucket, MOVIES_KEY)).to.equal(winnerSha);
        const movieVersions = await versions(bucket, MOVIES_KEY);
        expect(movieVersions.versions, "versions of movies.csv").to.have.length(1);
        expect(movieVersions.markers).to.have.length(0);
        // The common series: one object, one version, both runs content.
        expect(await holdsFile(bucket, SERIES_KEY, common.series)).to.equal(true);
        expect((await versions(bucket, SERIES_KEY)).versions, "versions of series.csv").to.have.length(1);
        expect(message).to.match(/series is in place at s3:\/\/.*series\.csv/);
        expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).to.have.length(0);
      });

    it("the same files at once: both runs exit 0 and each file is one object (one version), never a duplicate", async () => {
      const bucket = await versionedBucket();
      const [a, b] = await withGate({}, (gate) => atOnce(gate, { bucket }, { bucket }));
      expect([a.status, b.status]).to.deep.equal(["fulfilled", "fulfilled"]);
      for (const [key, path] of [
        [MOVIES_KEY, movies],
        [SERIES_KEY, series],
      ] as const) {
        expect(await holdsFile(bucket, key, path)).to.equal(true);
        expect((await versions(bucket, key)).versions, key).to.have.length(1);
      }
      const files = [a, b].flatMap((o) => (o as PromiseFulfilledResult<BatchIngestSummary>).value.files);
      // One run uploaded each file, the other found it there (written at the same time) and accepted it.
      expect(
        files
          .filter((f) => f.kind === "movies")
          .map((f) => f.skipped)
          .sort(),
      ).to.deep.equal([false, true]);
    });

    it("two --overwrite runs at once replace a day's file once: one wins on the ETag both read, the other is refused", async () => {
      const bucket = await newBucket();
      await ingestBatch({ bucket, movies, series, date: DATE, client: s3, env: server.env });
      const first = await changedCopy(movies, "overwrite-first.csv");
      const second = await changedCopy(first, "overwrite-second.csv");
      const [a, b] = await withGate({}, (gate) =>
        atOnce(gate, { bucket, movies: first, overwrite: true }, { bucket, movies: second, overwrite: true }),
      );
      expect([a.status, b.status].sort()).to.deep.equal(["fulfilled", "rejected"]);
      const winner = a.status === "fulfilled" ? first : second;
      const loser = (a.status === "rejected" ? a : b) as PromiseRejectedResult;
      expect((loser.reason as Error).message).to.match(
        /movies\.csv changed while this run was replacing it: another run wrote different bytes .* at the same time/,
      );
      expect(await holdsFile(bucket, MOVIES_KEY, winner)).to.equal(true);
    });

    it("a failed run aborts only its own multipart upload, never another run's upload of the same key", async () => {
      const bucket = await newBucket();
      // Another run's upload of the day's movies.csv, in progress.
      const theirs = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: MOVIES_KEY }));
      const proxy = await startFaultyProxy(server.endpoint, (part) => (part >= 2 ? "cut" : "pass"));
      try {
        const proxyEnv = { ...server.env, AWS_ENDPOINT_URL_S3: proxy.endpoint };
        const message = await ingestError({
          bucket,
          movies: bigMovies,
          client: makeS3Client(proxyEnv),
          env: proxyEnv,
          partSize: 5 * MIB,
        });
        expect(message).to.include(`nothing new was written at ${MOVIES_KEY} and no incomplete upload was left behind`);
      } finally {
        proxy.server.closeAllConnections();
        await new Promise((resolve) => proxy.server.close(resolve));
      }
      const uploads = (await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
      expect(uploads.map((upload) => upload.UploadId)).to.deep.equal([theirs.UploadId]);
    });

    it("a run's sha256 tag never stays on an object another run put there between its verification and its tag", async () => {
      const bucket = await newBucket();
      const theirs = await changedCopy(movies, "replaced-before-tagging.csv");
      let other: Promise<BatchIngestSummary> | undefined;
      // Run A's tagging of movies.csv waits until run C (--overwrite, different bytes) has replaced and tagged it.
      const gate = await startCommitGate(server.endpoint, {
        commitsPerKey: 1,
        hold: async (request) => {
          if (request.key !== MOVIES_KEY || request.method !== "PUT" || !request.query.has("tagging") || other) return;
          other = overwriteMovies(bucket, theirs, ingestBatchUnrecorded);
          await other.catch(() => undefined);
        },
      });
      let message: string;
      try {
        const env = { ...server.env, AWS_ENDPOINT_URL_S3: gate.endpoint };
        message = await server.during("batch-ingestor", async () => {
          try {
            await ingestBatchUnrecorded({ bucket, movies, series, date: DATE, env });
          } catch (error) {
            return (error as Error).message;
          }
          throw new Error("run A was expected to fail");
        });
      } finally {
        await gate.close();
      }
      const summary = await other!;
      expect(summary.files[0]?.replaced).to.equal(true);
      expect(message).to.match(/movies\.csv was replaced by another run right after this run verified it: .*rerun/);
      // The key holds C's bytes, and no tag claims they are A's.
      expect(await holdsFile(bucket, MOVIES_KEY, theirs)).to.equal(true);
      const ours = createHash("sha256")
        .update(await readFile(movies))
        .digest("hex");
      expect(await sha256Tag(bucket, MOVIES_KEY)).not.to.equal(ours);
      // So a rerun with A's file compares bytes instead of skipping on a wrong tag.
      expect(await ingestError({ bucket })).to.match(/movies\.csv already holds .*different bytes/);
    });

    for (const versioned of [true, false])
      it(`a failed integrity check removes only the run's own object, never the one another run verified meanwhile (${versioned ? "versioned" : "unversioned"} bucket)`, async () => {
        const bucket = versioned ? await versionedBucket() : await newBucket();
        const theirs = await changedCopy(bigMovies, `verified-meanwhile-${versioned}.csv`);
        let committed = false;
        let other: Promise<BatchIngestSummary> | undefined;
        // Run B's movies part 2 is corrupted in transit; after B's commit, before B checks what it wrote, run C
        // (--overwrite, different bytes) replaces and verifies the day's movies.csv.
        const gate = await startCommitGate(server.endpoint, {
          commitsPerKey: 1,
          hold: async (request) => {
            if (request.key !== MOVIES_KEY) return;
            if (request.commit) committed = true;
            else if (committed && request.method === "HEAD" && !other) {
              other = overwriteMovies(bucket, theirs, ingestBatchUnrecorded);
              await other.catch(() => undefined);
            }
          },
        });
        const proxy = await startFaultyProxy(gate.endpoint, (part) => (part === 2 ? "corrupt" : "pass"));
        try {
          const proxyEnv = { ...server.env, AWS_ENDPOINT_URL_S3: proxy.endpoint };
          const message = await server.during("batch-ingestor", async () => {
            try {
              await ingestBatchUnrecorded({
                bucket,
                movies: bigMovies,
                series,
                date: DATE,
                env: proxyEnv,
                partSize: 5 * MIB,
              });
            } catch (error) {
              return (error as Error).message;
            }
            throw new Error("the corrupted run was expected to fail");
          });
          expect(other, "the other run ran while the first was verifying").not.to.equal(undefined);
          const summary = await other!;
          expect(summary.files[0]?.replaced).to.equal(true);
          expect(message).to.match(
            /movies\.csv was replaced by another run before this run could verify what it wrote/,
          );
          // The other run's verified object is still there, bytes and tag.
          expect(await holdsFile(bucket, MOVIES_KEY, theirs)).to.equal(true);
          expect(await sha256Tag(bucket, MOVIES_KEY)).to.equal(summary.files[0]?.sha256);
          if (versioned) {
            // Only the other run's version is left: the corrupted run removed exactly its own.
            const { versions: left, markers } = await versions(bucket, MOVIES_KEY);
            expect(left, "versions").to.have.length(1);
            expect(markers, "delete markers").to.have.length(0);
          }
        } finally {
          proxy.server.closeAllConnections();
          await new Promise((resolve) => proxy.server.close(resolve));
          await gate.close();
        }
      });

    it("removes its own corrupted version by VersionId on a versioned bucket, leaving the previous version current", async () => {
      const bucket = await versionedBucket();
      await ingestBatch({ bucket, movies: bigMovies, series, date: DATE, client: s3, env: server.env });
      const changed = await changedCopy(bigMovies, "corrupted-replacement.csv");
      const proxy = await startFaultyProxy(server.endpoint, (part) => (part === 2 ? "corrupt" : "pass"));
      try {
        const proxyEnv = { ...server.env, AWS_ENDPOINT_URL_S3: proxy.endpoint };
        const options = { bucket, client: makeS3Client(proxyEnv), env: proxyEnv, partSize: 5 * MIB };
        const message = await ingestError({ ...options, movies: changed, overwrite: true });
        expect(message).to.match(/integrity check failed for s3:\/\/.*movies\.csv: .*; this run's version was removed/);
      } finally {
        proxy.server.closeAllConnections();
        await new Promise((resolve) => proxy.server.close(resolve));
      }
      expect(await holdsFile(bucket, MOVIES_KEY, bigMovies)).to.equal(true);
      const { versions: left, markers } = await versions(bucket, MOVIES_KEY);
      expect(left).to.have.length(1);
      expect(markers).to.have.length(0);
    });
  });

  describe("dates and names", () => {
    it("refuses a day after tomorrow and accepts tomorrow (time zones)", async () => {
      const bucket = await newBucket();
      expect(await ingestError({ bucket, date: "9999-12-31" })).to.match(
        /--date: date "9999-12-31" is after tomorrow \(\d{4}-\d{2}-\d{2}, UTC\)/,
      );
      await expectNothingWritten(bucket);
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      const summary = await ingestBatch({ bucket, movies, series, date: tomorrow, client: s3, env: server.env });
      expect(summary.date).to.equal(tomorrow);
    });

    it("ends every CLI failure in one line saying what happened and what to do, the trace only with CINELAKE_DEBUG", async () => {
      const bucket = await newBucket();
      const cli = join(__dirname, "../../runtime/batch-ingestor/cli.ts");
      const env = { PATH: process.env.PATH, HOME: dir, ...server.env };
      const lastLine = (stderr: string) => stderr.trimEnd().split("\n").at(-1) ?? "";
      const future = await run(
        "npx",
        ["tsx", cli, "--bucket", bucket, "--data", join(dir, "small"), "--date", "9999-12-31"],
        env,
      );
      expect(future.code).to.equal(1);
      expect(lastLine(future.stderr)).to.match(
        /^ingest:batch: --date: date "9999-12-31" is after tomorrow .*: give today's date/,
      );
      expect(future.stderr).not.to.match(/^\s+at /m);
      await expectNothingWritten(bucket);
      const usage = await run("npx", ["tsx", cli, "--bucket", bucket, "--movies", movies], env);
      expect(usage.code).to.equal(2);
      expect(lastLine(usage.stderr)).to.equal(
        "ingest:batch: --movies and --series go together: give both paths (or --data DIR)",
      );
      // An error nobody foresaw: named in one line, pointing at the debug switch instead of printing a trace.
      const unexpected = new TypeError(
        "Cannot read properties of undefined (reading 'ETag')\n    at uploadFile (x.ts:1:1)",
      );
      expect(failureLine(unexpected)).to.equal(
        "ingest:batch: unexpected error (TypeError: Cannot read properties of undefined (reading 'ETag') at " +
          "uploadFile (x.ts:1:1)): nothing was verified by this run; rerun, and if it happens again set " +
          "CINELAKE_DEBUG=1 for the stack trace and report it",
      );
      expect(failureLine(new IngestError("a\nb"))).to.equal("ingest:batch: a b");
    });

    it("stores any Unicode source file name in the metadata, readable back as it was (映画.csv, séries.csv)", async () => {
      const bucket = await newBucket();
      const named = join(dir, "unicode");
      await mkdir(named, { recursive: true });
      const kanji = join(named, "映画.csv");
      const accented = join(named, "séries.csv");
      await copyFile(movies, kanji);
      await copyFile(series, accented);
      // Through a proxy that records the raw metadata headers: what goes over the wire is plain ASCII.
      const sent: string[] = [];
      const proxy = await startFaultyProxy(server.endpoint, (_part, req) => {
        const value = req.headers["x-amz-meta-source-file"];
        if (typeof value === "string") sent.push(value);
        return "pass";
      });
      try {
        const proxyEnv = { ...server.env, AWS_ENDPOINT_URL_S3: proxy.endpoint };
        await ingestBatch({ bucket, movies: kanji, series: accented, date: DATE, env: proxyEnv });
      } finally {
        proxy.server.closeAllConnections();
        await new Promise((resolve) => proxy.server.close(resolve));
      }
      expect(sent).to.have.length(2);
      for (const value of sent) expect(value).to.match(/^[\x20-\x7e]+$/);
      const target = { bucket, region: "us-east-1" };
      expect((await storedObject(s3, bucket, MOVIES_KEY, target))?.sourceFile).to.equal("映画.csv");
      expect((await storedObject(s3, bucket, SERIES_KEY, target))?.sourceFile).to.equal("séries.csv");
      // Objects written before (a plain name, as it was sent) read back unchanged.
      const old = await newBucket();
      await s3.send(
        new PutObjectCommand({ Bucket: old, Key: MOVIES_KEY, Body: "x", Metadata: { "source-file": "movies.csv" } }),
      );
      expect((await storedObject(s3, old, MOVIES_KEY, { bucket: old, region: "us-east-1" }))?.sourceFile).to.equal(
        "movies.csv",
      );
    });
  });

  it("prints progress (bytes and rate) for big files only, at most every interval plus the last line", () => {
    const lines: string[] = [];
    const print = progressPrinter((line) => lines.push(line), 60_000);
    const total = 100 * MIB;
    print({ kind: "series", key: SERIES_KEY, loaded: 1 * MIB, total: 1 * MIB, seconds: 0.1 });
    print({ kind: "movies", key: MOVIES_KEY, loaded: 8 * MIB, total, seconds: 0.5 });
    print({ kind: "movies", key: MOVIES_KEY, loaded: 16 * MIB, total, seconds: 1 });
    print({ kind: "movies", key: MOVIES_KEY, loaded: total, total, seconds: 4 });
    expect(lines).to.deep.equal([
      "movies: 8.4 / 104.9 MB (8%), 16.8 MB/s",
      "movies: 104.9 / 104.9 MB (100%), 26.2 MB/s",
    ]);
  });

  it("computes S3's ChecksumCRC32 forms: base64 of the big-endian CRC32, and the CRC32 of the parts' CRC32s with -N", () => {
    // The expected values were computed apart from this code (Python's zlib.crc32 and struct.pack(">I")); 0xCBF43926
    // is CRC-32/IEEE's published check value of "123456789".
    const single = new DigestAccumulator(16);
    single.update(Buffer.from("12345"));
    single.update(Buffer.from("6789"));
    expect(single.digest().s3Crc32).to.equal("y/Q5Jg==");
    // Parts of 4 bytes cut across the chunks: "0123", "4567", "89".
    const parts = new DigestAccumulator(4);
    parts.update(Buffer.from("012"));
    parts.update(Buffer.from("3456789"));
    expect(parts.digest().s3Crc32).to.equal("Ec437Q==-3");
    expect([1, 2, 3].map((part) => crc32Base64(parts.partCrc32(part) as number))).to.deep.equal([
      "pmadfQ==",
      "TQyj6w==",
      "CUMmDA==",
    ]);
  });

  it("parses the command line, with LAKE_BUCKET and the /data default", () => {
    expect(parseIngestArgs([], { LAKE_BUCKET: "lake" })).to.deep.equal({
      bucket: "lake",
      movies: "/data/movies.csv",
      series: "/data/series.csv",
      date: undefined,
      overwrite: false,
    });
    expect(parseIngestArgs(["--bucket", "b", "--data", "d", "--date", DATE, "--overwrite"], {})).to.include({
      movies: "d/movies.csv",
      date: DATE,
      overwrite: true,
    });
    expect(() => parseIngestArgs([], {})).to.throw(/--bucket is required \(or set LAKE_BUCKET\)/);
    expect(() => parseIngestArgs(["--bucket", "b", "--movies", "m"], {})).to.throw(/--movies and --series go together/);
    expect(() => parseIngestArgs(["--bucket", "b", "--data", "d", "--series", "s"], {})).to.throw(/either --data DIR/);
    expect(() => parseIngestArgs(["--bucket", "b", "--bogus"], {})).to.throw(/Unknown option '--bogus'/);
    expect(parseIngestArgs(["--bucket", "b", "--part-size-mib", "16", "--queue-size", "2"], {})).to.include({
      partSize: 16 * MIB,
      queueSize: 2,
    });
    expect(() => parseIngestArgs(["--bucket", "b", "--part-size-mib", "4"], {})).to.throw(
      /--part-size-mib: "4" is not a whole number of 5 or more\. Fix: give one, e.g. --part-size-mib 8/,
    );
    expect(() => parseIngestArgs(["--bucket", "b", "--queue-size", "0"], {})).to.throw(
      /--queue-size: "0" is not a whole number of 1 or more/,
    );
  });

  // Last (mocha runs a suite's own tests before its nested suites): every request the tests above made the ingestor send.
  describe("IAM", () => {
    it("sent only S3 requests the BatchIngestor's registered policy allows (404s with s3:ListBucket)", async () => {
      const requests = server.requests("batch-ingestor");
      expect(requests.length, "requests recorded").to.be.greaterThan(100);
      const results = await evaluateS3Requests(requests, await registeredPolicies("batch-ingestor"));
      expect(describeDenied(results)).to.equal("");
      expect(results.some((r) => r.request.status === 404 && r.action === "s3:ListBucket")).to.equal(true);
      // Issue 13: the removal of a run's own version (by VersionId) was among them, and allowed.
      expect(results.some((r) => r.action === "s3:DeleteObjectVersion")).to.equal(true);
    });
  });
});
