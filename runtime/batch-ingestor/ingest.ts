/**
 * The BatchIngestor: copies `movies.csv` and `series.csv` whole and byte-for-byte to the Raw zone, at
 * `Raw/Local/CSV/<Movies|Series>/YYYY/MM/DD/<file>`. Everything that can be refused is refused before the first byte
 * is written (bad files, missing bucket or credentials, different bytes already there); uploads stream in parts with
 * bounded memory, are verified against the checksum the server computed, and leave nothing behind when they fail.
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { DATASETS, LakePathError, lakeKey, parseDay, s3Uri, todayUtc } from "../../components/lakePaths";
import { customS3Endpoint, makeS3Client } from "../shared/s3Client";
import { digestFile, type FileDigests } from "./checksum";
import { IngestError, explainS3Error, type S3Target } from "./errors";
import { inspectSource, type SourceKind } from "./validate";

/** The default size of an upload part: large enough for few requests, small enough for bounded memory. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** The default number of parts uploaded at once (memory is about partSize x queueSize). */
export const DEFAULT_QUEUE_SIZE = 4;
/** The object metadata key (`x-amz-meta-sha256`) holding the SHA-256 of the whole file. */
export const SHA256_METADATA = "sha256";

/** Progress of one file's upload. */
export interface IngestProgress {
  /** Which file. */
  kind: SourceKind;
  /** The object key being written. */
  key: string;
  /** Bytes uploaded so far. */
  loaded: number;
  /** Bytes in total. */
  total: number;
  /** Seconds since this file's upload started. */
  seconds: number;
}

/** What to ingest and where. */
export interface BatchIngestOptions {
  /** The lake bucket. */
  bucket: string;
  /** Path of movies.csv. */
  movies: string;
  /** Path of series.csv. */
  series: string;
  /** The day the files land under, `YYYY-MM-DD`; default today in UTC. */
  date?: string;
  /** Replace a file already there with different bytes (otherwise refused). */
  overwrite?: boolean;
  /** The S3 client; default one built from the standard AWS environment. */
  client?: S3Client;
  /** The environment the client was built from (for messages naming the endpoint); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Upload part size in bytes (>= 5 MiB). */
  partSize?: number;
  /** Parts uploaded concurrently. */
  queueSize?: number;
  /** Called as parts complete. */
  onProgress?: (progress: IngestProgress) => void;
  /** Called with one line per decision (skipped, replaced, uploaded). */
  log?: (line: string) => void;
}

/** What happened to one file. */
export interface IngestedFile {
  /** Which file. */
  kind: SourceKind;
  /** The source path. */
  source: string;
  /** The object key. */
  key: string;
  /** `s3://bucket/key`. */
  uri: string;
  /** Size in bytes. */
  bytes: number;
  /** SHA-256 of the file, lowercase hex (also the object's `sha256` metadata). */
  sha256: string;
  /** True when the same bytes were already there and nothing was uploaded. */
  skipped: boolean;
  /** True when different bytes were there and were replaced (`overwrite`). */
  replaced: boolean;
  /** How the stored object was checked: the server's SHA-256 checksum, or only size and metadata. */
  verifiedBy: "s3-checksum-crc32" | "size-and-metadata" | "already-there";
  /** Seconds spent uploading (0 when skipped). */
  seconds: number;
}

/** The outcome of a run. */
export interface BatchIngestSummary {
  /** The bucket written to. */
  bucket: string;
  /** The day the files landed under. */
  date: string;
  /** One entry per file, movies first. */
  files: IngestedFile[];
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Checks a bucket name against the S3 naming rules and throws a clear message otherwise. */
export function checkBucketName(bucket: string): string {
  if (!bucket) throw new IngestError("no bucket given: pass --bucket NAME or set LAKE_BUCKET");
  if (!BUCKET_NAME.test(bucket) || bucket.includes("..") || /^\d+\.\d+\.\d+\.\d+$/.test(bucket))
    throw new IngestError(
      `bucket name "${bucket}" is not a valid S3 bucket name (3-63 lowercase letters, digits, "-" or ".", starting ` +
        `and ending with a letter or digit): check --bucket or LAKE_BUCKET`,
    );
  return bucket;
}

interface FilePlan {
  kind: SourceKind;
  source: string;
  key: string;
  bytes: number;
  digests?: FileDigests;
  action?: "skip" | "upload" | "replace";
}

/** The `sha256` metadata of the object at `key`: null when there is no object, "" when it has none. */
async function storedSha256(client: S3Client, bucket: string, key: string, target: S3Target): Promise<string | null> {
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.Metadata?.[SHA256_METADATA] ?? "";
  } catch (error) {
    if (isNotFound(error)) return null;
    throw explainS3Error(error, `checking ${s3Uri(bucket, key)}`, target);
  }
}

function isNotFound(error: unknown): boolean {
  const err = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === "NotFound" || err?.name === "NoSuchKey" || err?.$metadata?.httpStatusCode === 404;
}

/** Loads the two files into the Raw zone and returns what landed where. */
export async function ingestBatch(options: BatchIngestOptions): Promise<BatchIngestSummary> {
  const bucket = checkBucketName(options.bucket);
  const date = options.date ?? todayUtc();
  try {
    parseDay(date);
  } catch (error) {
    if (error instanceof LakePathError) throw new IngestError(`--date: ${error.message}`);
    throw error;
  }
  const partSize = options.partSize ?? DEFAULT_PART_SIZE;
  if (partSize < 5 * 1024 * 1024)
    throw new IngestError(`partSize must be at least 5 MiB (S3's minimum), got ${partSize}`);
  const env = options.env ?? process.env;
  const client = options.client ?? withoutExpectContinue(makeS3Client(env));
  const log = options.log ?? (() => {});
  const target: S3Target = {
    bucket,
    endpoint: customS3Endpoint(env),
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
  };

  const plans: FilePlan[] = [
    { kind: "movies", source: options.movies, dataset: DATASETS.rawMoviesCsv, file: "movies.csv" },
    { kind: "series", source: options.series, dataset: DATASETS.rawSeriesCsv, file: "series.csv" },
  ].map(({ kind, source, dataset, file }) => ({
    kind: kind as SourceKind,
    source,
    key: lakeKey({ ...dataset, date, file }),
    bytes: 0,
  }));

  // 1. Both files must be right before anything is written.
  for (const plan of plans) plan.bytes = (await inspectSource(plan.source, plan.kind)).bytes;

  // 2. The bucket must exist and accept these credentials.
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    throw explainS3Error(error, `checking the bucket "${bucket}"`, target);
  }

  // 3. Compare with what is already there for that day: same bytes are skipped, different bytes refused. When the day
  // holds neither file yet (the usual case) nothing can be refused, so each file is hashed just before its upload and
  // the second file's hashing overlaps the first one's upload.
  const stored = await Promise.all(plans.map((plan) => storedSha256(client, bucket, plan.key, target)));
  if (stored.some((sha256) => sha256 !== null)) {
    const refusals: string[] = [];
    for (const [index, plan] of plans.entries()) {
      plan.digests = await digestFile(plan.source, partSize);
      const there = stored[index];
      if (there === null) plan.action = "upload";
      else if (there === plan.digests.sha256) plan.action = "skip";
      else if (options.overwrite) plan.action = "replace";
      else
        refusals.push(
          `${s3Uri(bucket, plan.key)} already holds ${there ? `different bytes (sha256 ${there})` : "an object without a sha256 (not written by the BatchIngestor)"} ` +
            `than ${plan.source} (sha256 ${plan.digests.sha256})`,
        );
    }
    if (refusals.length > 0)
      throw new IngestError(`${refusals.join("; ")}: nothing was written; rerun with --overwrite to replace it`);
  }
  // Hashing is CPU work on this thread: one file at a time, movies first.
  let previous: Promise<unknown> = Promise.resolve();
  const digests = plans.map((plan) => {
    const digest = plan.digests
      ? Promise.resolve(plan.digests)
      : previous.then(() => digestFile(plan.source, partSize));
    previous = digest.catch(() => undefined);
    return digest;
  });

  // 4. Upload what is needed, both files at once (as awscli does): the server's work on one overlaps the other's.
  const outcomes = await Promise.allSettled(
    plans.map(async (plan, index): Promise<IngestedFile> => {
      const digest = await (digests[index] as Promise<FileDigests>);
      const base = {
        kind: plan.kind,
        source: plan.source,
        key: plan.key,
        uri: s3Uri(bucket, plan.key),
        bytes: digest.bytes,
        sha256: digest.sha256,
      };
      if (plan.action === "skip") {
        log(`${plan.kind}: ${base.uri} already holds these bytes (sha256 ${digest.sha256}): skipped`);
        return { ...base, skipped: true, replaced: false, verifiedBy: "already-there", seconds: 0 };
      }
      const started = Date.now();
      const verifiedBy = await uploadFile(client, bucket, plan, digest, partSize, options, target);
      const seconds = (Date.now() - started) / 1000;
      const replaced = plan.action === "replace";
      log(`${plan.kind}: ${plan.source} -> ${base.uri} (${digest.bytes} bytes${replaced ? ", replaced" : ""})`);
      return { ...base, skipped: false, replaced, verifiedBy, seconds };
    }),
  );
  const failures = outcomes.flatMap((outcome) => (outcome.status === "rejected" ? [outcome.reason as Error] : []));
  if (failures.length > 0) {
    const landed = outcomes.flatMap((outcome) =>
      outcome.status === "fulfilled" ? [`${outcome.value.kind} is in place at ${outcome.value.uri}`] : [],
    );
    const message = failures.map((failure) => failure.message).join("; ");
    throw new IngestError(landed.length > 0 ? `${message} (${landed.join("; ")}; rerun to complete the day)` : message);
  }
  const files = outcomes.map((outcome) => (outcome as PromiseFulfilledResult<IngestedFile>).value);
  return { bucket, date, files };
}

/**
 * Drops the SDK's `Expect: 100-continue` header from uploads: with it every part opens a new connection and waits a
 * round trip before sending its body, which slows uploads down a lot; the bucket was checked beforehand anyway.
 */
export function withoutExpectContinue(client: S3Client): S3Client {
  client.middlewareStack.remove("addExpectContinueMiddleware");
  return client;
}

async function uploadFile(
  client: S3Client,
  bucket: string,
  plan: FilePlan,
  expected: FileDigests,
  partSize: number,
  options: BatchIngestOptions,
  target: S3Target,
): Promise<IngestedFile["verifiedBy"]> {
  const uri = s3Uri(bucket, plan.key);
  const source = createReadStream(plan.source, { highWaterMark: 1 << 20 });
  const started = Date.now();
  const upload = new Upload({
    client,
    partSize,
    queueSize: options.queueSize ?? DEFAULT_QUEUE_SIZE,
    leavePartsOnError: false,
    params: {
      Bucket: bucket,
      Key: plan.key,
      Body: source,
      ContentLength: expected.bytes,
      ContentType: "text/csv; charset=utf-8",
      // The server checks each part's CRC32 on receipt and reports the object's, compared below with the source's.
      ChecksumAlgorithm: "CRC32",
      Metadata: { [SHA256_METADATA]: expected.sha256, "source-file": basename(plan.source) },
    },
  });
  upload.on("httpUploadProgress", (progress) => {
    options.onProgress?.({
      kind: plan.kind,
      key: plan.key,
      loaded: progress.loaded ?? 0,
      total: progress.total ?? expected.bytes,
      seconds: (Date.now() - started) / 1000,
    });
  });
  try {
    await upload.done();
  } catch (error) {
    source.destroy();
    const cleanup = await abortIncompleteUploads(client, bucket, plan.key);
    // File system errors name the path; network errors (also from a "read" syscall) do not.
    const fromFile = (error as NodeJS.ErrnoException)?.path === plan.source;
    const explained = fromFile
      ? new IngestError(`reading ${plan.source} failed midway: ${(error as Error).message}`)
      : explainS3Error(error, `uploading to ${uri}`, target);
    throw new IngestError(`${explained.message}; ${cleanup}`);
  }

  // The stored object must be the bytes hashed before the upload (the file may have changed since).
  const problems: string[] = [];
  let verifiedBy: IngestedFile["verifiedBy"] = "size-and-metadata";
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: plan.key, ChecksumMode: "ENABLED" }));
    if (head.ContentLength !== expected.bytes)
      problems.push(`the stored object has ${head.ContentLength} bytes, the file ${expected.bytes}`);
    if (head.Metadata?.[SHA256_METADATA] !== expected.sha256) problems.push("the stored sha256 metadata differs");
    if (head.ChecksumCRC32 !== undefined) {
      verifiedBy = "s3-checksum-crc32";
      // Some servers (moto) report a multipart checksum without its `-N` part-count suffix.
      const withoutPartCount = expected.s3Crc32.replace(/-\d+$/, "");
      if (head.ChecksumCRC32 !== expected.s3Crc32 && head.ChecksumCRC32 !== withoutPartCount)
        problems.push(`the server's CRC32 ${head.ChecksumCRC32} differs from the source's ${expected.s3Crc32}`);
    }
  } catch (error) {
    throw explainS3Error(error, `verifying ${uri}`, target);
  }
  if (problems.length > 0) {
    // A corrupt object must not stay at the final key.
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: plan.key })).catch(() => undefined);
    throw new IngestError(`integrity check failed for ${uri}: ${problems.join("; ")}; the object was removed`);
  }
  return verifiedBy;
}

/**
 * Aborts any incomplete multipart upload left at `key` (lib-storage aborts its own, but the abort itself may have
 * failed) and says how it went, for the error message.
 */
export async function abortIncompleteUploads(client: S3Client, bucket: string, key: string): Promise<string> {
  try {
    const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
    const mine = (listed.Uploads ?? []).filter((upload) => upload.Key === key && upload.UploadId);
    for (const upload of mine)
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId }));
    return `nothing new was written at ${key} and no incomplete upload was left behind`;
  } catch (error) {
    return (
      `an incomplete multipart upload of ${key} may remain (cleanup failed: ${(error as Error).message}); the ` +
      `bucket's lifecycle rule removes it, or list it with aws s3api list-multipart-uploads --bucket ${bucket}`
    );
  }
}
