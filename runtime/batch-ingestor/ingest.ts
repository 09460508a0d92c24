/**
 * The BatchIngestor: copies `movies.csv` and `series.csv` whole and byte-for-byte to the Raw zone, at
 * `Raw/Local/CSV/<Movies|Series>/YYYY/MM/DD/<file>`. Everything that can be refused is refused before the first byte
 * is written (bad files, missing bucket or credentials, different bytes already there); uploads stream in parts with
 * bounded memory, read each file once (the SHA-256 and CRC32 are computed by a tap on the upload stream), are verified
 * against the checksum the server computed, and leave nothing behind when they fail.
 *
 * The SHA-256 is kept with the object as its `sha256` tag, written right after the upload is verified (S3 metadata
 * would have to be known when the upload starts, which would take a second read of the file; a tag does not rewrite
 * the object). So a tag also means "verified". A run that stops between the upload and the tagging leaves an untagged
 * object carrying our `part-size` metadata: the next run hashes the local file, and if its size and CRC32 (at that
 * part size) match the server's checksum of the object, it tags the object and skips it; otherwise the object is
 * treated as different bytes (refused unless --overwrite).
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { DATASETS, LakePathError, lakeKey, parseDay, s3Uri, todayUtc } from "../../components/lakePaths";
import { customS3Endpoint, makeS3Client } from "../shared/s3Client";
import { DigestTap, digestFile, type FileDigests } from "./checksum";
import { IngestError, explainS3Error, type S3Target } from "./errors";
import { inspectSource, type SourceKind } from "./validate";

/** The default size of an upload part: large enough for few requests, small enough for bounded memory. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/**
 * The default number of parts uploaded at once per file (memory is about partSize x queueSize per file). 3 rather than
 * 4: the benchmark shows no throughput difference between 2, 3 and 4 (the S3 API server's CPU is the limit), while 4
 * brought our peak RSS up to 253 MB, too close to the 256 MB target.
 */
export const DEFAULT_QUEUE_SIZE = 3;
/** The object tag holding the SHA-256 of the whole file (lowercase hex), written once the upload is verified. */
export const SHA256_TAG = "sha256";
/** The legacy object metadata key (`x-amz-meta-sha256`) the previous version kept the SHA-256 in; still honoured. */
export const SHA256_METADATA = "sha256";
/**
 * The object metadata key (`x-amz-meta-part-size`) recording the part size an upload used: it marks an object as
 * written by the BatchIngestor and lets a later run recompute the object's CRC32 from the local file.
 */
export const PART_SIZE_METADATA = "part-size";

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
  /** SHA-256 of the file, lowercase hex (also the object's `sha256` tag). */
  sha256: string;
  /** True when the same bytes were already there and nothing was uploaded. */
  skipped: boolean;
  /** True when different bytes were there and were replaced (`overwrite`). */
  replaced: boolean;
  /**
   * How the stored object was checked: the server's CRC32 checksum, only its size (a server reporting no checksum), or
   * not at all because it was already there (`already-there`; `already-there-crc32` when an untagged object left by
   * an interrupted run was matched against the server's CRC32 and tagged).
   */
  verifiedBy: "s3-checksum-crc32" | "size-only" | "already-there" | "already-there-crc32";
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
  /** The local file's digests, when it had to be hashed before deciding (something already at the key). */
  digests?: FileDigests;
  /** upload/replace: send the file; skip: already there; tag: already there but untagged (interrupted run). */
  action: "skip" | "upload" | "replace" | "tag";
}

/** What is stored at a key, as far as idempotency is concerned. */
export interface StoredObject {
  /** Size in bytes. */
  bytes: number;
  /** The SHA-256 from the `sha256` tag, else the legacy `sha256` metadata; undefined when neither is there. */
  sha256?: string;
  /** The part size recorded by the BatchIngestor (`part-size` metadata); undefined for objects written otherwise. */
  partSize?: number;
  /** The server's CRC32 checksum of the object, when it reports one. */
  crc32?: string;
}

/** What is stored at `key` (size, SHA-256 tag or legacy metadata, part size, CRC32), or null when nothing is. */
export async function storedObject(
  client: S3Client,
  bucket: string,
  key: string,
  target: S3Target,
): Promise<StoredObject | null> {
  const uri = s3Uri(bucket, key);
  let head;
  try {
    head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }));
  } catch (error) {
    if (isNotFound(error)) return null;
    throw explainS3Error(error, `checking ${uri}`, target);
  }
  let tagged: string | undefined;
  try {
    const tagging = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
    tagged = tagging.TagSet?.find((tag) => tag.Key === SHA256_TAG)?.Value;
  } catch (error) {
    throw explainS3Error(error, `reading the tags of ${uri}`, target);
  }
  const partSize = Number(head.Metadata?.[PART_SIZE_METADATA]);
  return {
    bytes: head.ContentLength ?? 0,
    sha256: tagged ?? head.Metadata?.[SHA256_METADATA],
    ...(Number.isSafeInteger(partSize) && partSize > 0 ? { partSize } : {}),
    ...(head.ChecksumCRC32 !== undefined ? { crc32: head.ChecksumCRC32 } : {}),
  };
}

/** True when the server's CRC32 matches the source's (some servers, like moto, omit the `-N` part-count suffix). */
export function sameCrc32(server: string, source: string): boolean {
  return server === source || server === source.replace(/-\d+$/, "");
}

/**
 * Decides what to do with a file when something is already stored at its key. Pure: `local` are the local file's
 * digests, computed at the stored object's part size when it has one. Returns the action, or the refusal's message.
 */
export function decideAgainstStored(
  stored: StoredObject,
  local: FileDigests,
  overwrite: boolean,
): { action: FilePlan["action"] } | { refusal: string } {
  if (stored.sha256 !== undefined) {
    if (stored.sha256 === local.sha256) return { action: "skip" };
    if (overwrite) return { action: "replace" };
    return { refusal: `different bytes (sha256 ${stored.sha256})` };
  }
  // No SHA-256: an object we wrote whose run stopped before tagging it, or one not written by the BatchIngestor.
  if (stored.partSize !== undefined && stored.crc32 !== undefined) {
    if (stored.bytes === local.bytes && sameCrc32(stored.crc32, local.s3Crc32)) return { action: "tag" };
    if (overwrite) return { action: "replace" };
    return {
      refusal:
        `an untagged object left by an interrupted BatchIngestor run, with different bytes (${stored.bytes} bytes, ` +
        `CRC32 ${stored.crc32})`,
    };
  }
  if (overwrite) return { action: "replace" };
  return { refusal: "an object without a sha256 (not written by the BatchIngestor)" };
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
    action: "upload" as FilePlan["action"],
  }));

  // 1. Both files must be right before anything is written.
  for (const plan of plans) plan.bytes = (await inspectSource(plan.source, plan.kind)).bytes;

  // 2. The bucket must exist and accept these credentials.
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    throw explainS3Error(error, `checking the bucket "${bucket}"`, target);
  }

  // 3. Compare with what is already there for that day: same bytes are skipped, different bytes refused. Only then
  // must a local file be hashed before its upload; when the day holds neither file (the usual case) nothing can be
  // refused, and each file is read once, hashed by a tap on its upload stream.
  const stored = await Promise.all(plans.map((plan) => storedObject(client, bucket, plan.key, target)));
  const refusals: string[] = [];
  for (const [index, plan] of plans.entries()) {
    const there = stored[index];
    if (!there) continue;
    // An untagged object's CRC32 can only be recomputed at the part size it was uploaded with.
    plan.digests = await digestFile(plan.source, there.partSize ?? partSize);
    const decision = decideAgainstStored(there, plan.digests, options.overwrite ?? false);
    if ("action" in decision) plan.action = decision.action;
    else
      refusals.push(
        `${s3Uri(bucket, plan.key)} already holds ${decision.refusal} than ${plan.source} (sha256 ${plan.digests.sha256})`,
      );
  }
  if (refusals.length > 0)
    throw new IngestError(`${refusals.join("; ")}: nothing was written; rerun with --overwrite to replace it`);

  // 4. Upload what is needed, both files at once (as awscli does): the server's work on one overlaps the other's.
  const outcomes = await Promise.allSettled(
    plans.map(async (plan): Promise<IngestedFile> => {
      const uri = s3Uri(bucket, plan.key);
      const base = { kind: plan.kind, source: plan.source, key: plan.key, uri };
      if ((plan.action === "skip" || plan.action === "tag") && plan.digests) {
        const digest = plan.digests;
        const known = {
          ...base,
          bytes: digest.bytes,
          sha256: digest.sha256,
          skipped: true,
          replaced: false,
          seconds: 0,
        };
        if (plan.action === "skip") {
          log(`${plan.kind}: ${uri} already holds these bytes (sha256 ${digest.sha256}): skipped`);
          return { ...known, verifiedBy: "already-there" };
        }
        await tagSha256(client, bucket, plan.key, digest.sha256, target);
        log(
          `${plan.kind}: ${uri} holds these bytes but was left untagged by an interrupted run (size and CRC32 ` +
            `${digest.s3Crc32} match): tagged sha256 ${digest.sha256}, skipped`,
        );
        return { ...known, verifiedBy: "already-there-crc32" };
      }
      const started = Date.now();
      const { digest, verifiedBy } = await uploadFile(client, bucket, plan, partSize, options, target);
      const seconds = (Date.now() - started) / 1000;
      const replaced = plan.action === "replace";
      log(`${plan.kind}: ${plan.source} -> ${uri} (${digest.bytes} bytes${replaced ? ", replaced" : ""})`);
      return { ...base, bytes: digest.bytes, sha256: digest.sha256, skipped: false, replaced, verifiedBy, seconds };
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
 * Tunes a client the BatchIngestor made for uploads. It drops the SDK's `Expect: 100-continue` header: with it every
 * part opens a new connection and waits a round trip before sending its body; the bucket was checked beforehand anyway.
 * It sends part bodies as `UNSIGNED-PAYLOAD` instead of having SigV4 hash every byte with SHA-256 a second time
 * (the SDK's largest CPU cost here): each part still carries its signed CRC32 header, which the server checks on
 * receipt, the object's CRC32 is compared with the source's afterwards, and TLS protects the bodies on AWS. And each
 * part's CRC32 header is the one the digest tap computed while reading the file (the SDK would compute it again):
 * so the server checks the part against the bytes as read from the source.
 */
export function withoutExpectContinue(client: S3Client): S3Client {
  client.middlewareStack.remove("addExpectContinueMiddleware");
  const taps = new Map<string, DigestTap>();
  UPLOAD_TAPS.set(client, taps);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Bucket?: string; Key?: string; PartNumber?: number; ChecksumCRC32?: string };
      const tap = taps.get(`${input.Bucket}/${input.Key}`);
      // A single-part file goes up as one PutObject, once the tap has seen all of it.
      const part = context.commandName === "UploadPartCommand" ? input.PartNumber : 1;
      if (tap && part !== undefined && UNSIGNED_BODY_COMMANDS.has(context.commandName ?? ""))
        input.ChecksumCRC32 ??= tap.partChecksum(part);
      return next(args);
    },
    { step: "initialize", name: "sourcePartChecksums" },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (UNSIGNED_BODY_COMMANDS.has(context.commandName ?? "") && request?.headers)
        request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
      return next(args);
    },
    { step: "build", name: "unsignedUploadBodies" },
  );
  return client;
}

/** The digest taps of the uploads in progress, by `bucket/key`, for each client tuned by withoutExpectContinue. */
const UPLOAD_TAPS = new WeakMap<S3Client, Map<string, DigestTap>>();

/** The commands whose bodies are file bytes (covered by their CRC32 checksum header). */
const UNSIGNED_BODY_COMMANDS = new Set(["UploadPartCommand", "PutObjectCommand"]);

/** Writes the `sha256` tag of the object at `key` (replacing its tag set, which only ever holds this tag). */
async function tagSha256(client: S3Client, bucket: string, key: string, sha256: string, target: S3Target) {
  try {
    await client.send(
      new PutObjectTaggingCommand({
        Bucket: bucket,
        Key: key,
        Tagging: { TagSet: [{ Key: SHA256_TAG, Value: sha256 }] },
      }),
    );
  } catch (error) {
    const explained = explainS3Error(error, `tagging ${s3Uri(bucket, key)}`, target);
    throw new IngestError(
      `${explained.message}; the object is in place and verified but has no sha256 tag yet: rerun to tag it (the ` +
        `next run checks it against the local file's CRC32)`,
    );
  }
}

/** Streams one file to its key (hashing it on the way), verifies the stored object, then tags it with its SHA-256. */
async function uploadFile(
  client: S3Client,
  bucket: string,
  plan: FilePlan,
  partSize: number,
  options: BatchIngestOptions,
  target: S3Target,
): Promise<{ digest: FileDigests; verifiedBy: IngestedFile["verifiedBy"] }> {
  const uri = s3Uri(bucket, plan.key);
  const source = createReadStream(plan.source, { highWaterMark: 1 << 20 });
  const tap = new DigestTap(partSize);
  // pipe() does not forward errors: a read error must fail the upload, with the file's path in it.
  source.on("error", (error) => tap.destroy(error));
  source.pipe(tap);
  const taps = UPLOAD_TAPS.get(client);
  taps?.set(`${bucket}/${plan.key}`, tap);
  const started = Date.now();
  const upload = new Upload({
    client,
    partSize,
    queueSize: options.queueSize ?? DEFAULT_QUEUE_SIZE,
    leavePartsOnError: false,
    params: {
      Bucket: bucket,
      Key: plan.key,
      Body: tap,
      ContentLength: plan.bytes,
      ContentType: "text/csv; charset=utf-8",
      // The server checks each part's CRC32 on receipt and reports the object's, compared below with the source's.
      ChecksumAlgorithm: "CRC32",
      // Known before the first byte, unlike the SHA-256 (a tag, after verification).
      Metadata: { [PART_SIZE_METADATA]: String(partSize), "source-file": basename(plan.source) },
    },
  });
  upload.on("httpUploadProgress", (progress) => {
    options.onProgress?.({
      kind: plan.kind,
      key: plan.key,
      loaded: progress.loaded ?? 0,
      total: progress.total ?? plan.bytes,
      seconds: (Date.now() - started) / 1000,
    });
  });
  try {
    await upload.done();
  } catch (error) {
    taps?.delete(`${bucket}/${plan.key}`);
    source.destroy();
    tap.destroy();
    const cleanup = await abortIncompleteUploads(client, bucket, plan.key);
    // File system errors name the path; network errors (also from a "read" syscall) do not.
    const fromFile = (error as NodeJS.ErrnoException)?.path === plan.source;
    const explained = fromFile
      ? new IngestError(`reading ${plan.source} failed midway: ${(error as Error).message}`)
      : explainS3Error(error, `uploading to ${uri}`, target);
    throw new IngestError(`${explained.message}; ${cleanup}`);
  }

  taps?.delete(`${bucket}/${plan.key}`);
  // The stored object must be the bytes the tap saw, and those must be the whole file as inspected.
  const digest = tap.digests();
  const problems: string[] = [];
  if (digest.bytes !== plan.bytes)
    problems.push(`${digest.bytes} bytes were read from the file, which had ${plan.bytes} (it changed meanwhile)`);
  let verifiedBy: IngestedFile["verifiedBy"] = "size-only";
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: plan.key, ChecksumMode: "ENABLED" }));
    if (head.ContentLength !== digest.bytes)
      problems.push(`the stored object has ${head.ContentLength} bytes, the file ${digest.bytes}`);
    if (head.ChecksumCRC32 !== undefined) {
      verifiedBy = "s3-checksum-crc32";
      if (!sameCrc32(head.ChecksumCRC32, digest.s3Crc32))
        problems.push(`the server's CRC32 ${head.ChecksumCRC32} differs from the source's ${digest.s3Crc32}`);
    }
  } catch (error) {
    throw explainS3Error(error, `verifying ${uri}`, target);
  }
  if (problems.length > 0) {
    // A corrupt object must not stay at the final key.
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: plan.key })).catch(() => undefined);
    throw new IngestError(`integrity check failed for ${uri}: ${problems.join("; ")}; the object was removed`);
  }
  // Only a verified object gets its tag: an untagged one is checked again by the next run.
  await tagSha256(client, bucket, plan.key, digest.sha256, target);
  return { digest, verifiedBy };
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
