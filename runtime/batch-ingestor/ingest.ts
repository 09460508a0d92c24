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
 *
 * Concurrent runs of the same day (issue 13): the "is something there?" check above only gives the early, friendly
 * refusal. What decides is the write itself, conditional on what the run saw — `If-None-Match: *` when the key was
 * empty, `If-Match: <ETag read>` for --overwrite — so of two runs writing one key at once exactly one wins and the
 * other is refused by S3 (412), then compares its file with the winner's object: the same bytes are accepted (both
 * runs succeed, one object), different bytes end in a refusal naming the fix. A run only ever removes what it wrote
 * itself: its own version (by VersionId, on a versioned bucket such as the lake's) or its own object (DeleteObject
 * `If-Match` on the ETag its write returned), and aborts only its own multipart upload. Tagging cannot be made
 * conditional, so after writing its tag a run confirms the object is still the one it verified (HeadObject `If-Match`)
 * and otherwise replaces its tag set with {@link CLEARED_TAG}, so its tag never vouches for another run's replacement.
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
import { DATASETS, LakePathError, lakeKey, parseDay, s3Uri, todayUtc } from "../../lake/paths";
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
/**
 * The tag set a run leaves when its `sha256` tag may have landed on an object another run put there meanwhile: no
 * `sha256`, so the next run checks the object by its CRC32.
 */
export const CLEARED_TAG = { Key: "sha256-cleared", Value: "replaced-after-verification" } as const;
/** The legacy object metadata key (`x-amz-meta-sha256`) the previous version kept the SHA-256 in; still honoured. */
export const SHA256_METADATA = "sha256";
/**
 * The object metadata key (`x-amz-meta-source-file`) holding the source file's name, encoded by
 * {@link encodeMetadataValue} (HTTP headers carry Latin-1 at best; S3 itself decodes RFC 2047 on the way in).
 */
export const SOURCE_FILE_METADATA = "source-file";
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
  /** What was at the key when the run looked (its ETag conditions a replacement and the tag of an untagged one). */
  stored?: StoredObject;
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
  /** The object's ETag, as the server sends it (quoted): what an `If-Match` write or delete is conditioned on. */
  etag?: string;
  /** The source file's name from the `source-file` metadata, decoded; undefined when the object has none. */
  sourceFile?: string;
}

const ENCODED_WORD = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/i;

/**
 * Encodes a metadata value so any Unicode string survives the trip: printable ASCII is sent as it is; anything else
 * (and anything that looks like an encoded word itself) as one RFC 2047 encoded word, `=?UTF-8?B?<base64>?=`, the
 * form S3 decodes on the way in and gives back on the way out for non-ASCII metadata. Node refuses characters above
 * U+00FF in a header outright (`映画.csv`), and sends U+0080–U+00FF as single Latin-1 bytes that S3 does not read as
 * UTF-8 (`séries.csv` garbled).
 */
export function encodeMetadataValue(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value) && !ENCODED_WORD.test(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, "utf8").toString("base64")}?=`;
}

/** Decodes a metadata value written by {@link encodeMetadataValue}; a plain value (older objects) is returned as is. */
export function decodeMetadataValue(value: string): string {
  const match = ENCODED_WORD.exec(value);
  return match ? Buffer.from(match[1] as string, "base64").toString("utf8") : value;
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
  const sourceFile = head.Metadata?.[SOURCE_FILE_METADATA];
  return {
    bytes: head.ContentLength ?? 0,
    sha256: tagged ?? head.Metadata?.[SHA256_METADATA],
    ...(Number.isSafeInteger(partSize) && partSize > 0 ? { partSize } : {}),
    ...(head.ChecksumCRC32 !== undefined ? { crc32: head.ChecksumCRC32 } : {}),
    ...(head.ETag !== undefined ? { etag: head.ETag } : {}),
    ...(sourceFile !== undefined ? { sourceFile: decodeMetadataValue(sourceFile) } : {}),
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
    plan.stored = there;
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
        if (!(await tagSha256(client, bucket, plan.key, digest.sha256, plan.stored?.etag, target)))
          throw replacedMeanwhile(uri, plan.source, "while this run was tagging it");
        log(
          `${plan.kind}: ${uri} holds these bytes but was left untagged by an interrupted run (size and CRC32 ` +
            `${digest.s3Crc32} match): tagged sha256 ${digest.sha256}, skipped`,
        );
        return { ...known, verifiedBy: "already-there-crc32" };
      }
      const started = Date.now();
      const { digest, verifiedBy, skipped } = await uploadFile(client, bucket, plan, partSize, options, target);
      const seconds = (Date.now() - started) / 1000;
      if (skipped) {
        log(
          `${plan.kind}: ${uri} was written with these bytes by another run at the same time (sha256 ` +
            `${digest.sha256}): accepted, nothing more uploaded`,
        );
        return {
          ...base,
          bytes: digest.bytes,
          sha256: digest.sha256,
          skipped,
          replaced: false,
          verifiedBy,
          seconds: 0,
        };
      }
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

/**
 * Writes the `sha256` tag of the object at `key` (replacing its tag set, which only ever holds this tag), then, when
 * `etag` is given, confirms the key still holds that object. Tagging cannot be made conditional: if another run
 * (--overwrite) replaced the object since it was verified, the tag may have landed on the replacement, which it does
 * not describe, so the tag set is replaced by {@link CLEARED_TAG} (the replacement is then checked by its CRC32 on
 * the next run, or tagged by its own run) and false is returned.
 */
async function tagSha256(
  client: S3Client,
  bucket: string,
  key: string,
  sha256: string,
  etag: string | undefined,
  target: S3Target,
): Promise<boolean> {
  const uri = s3Uri(bucket, key);
  try {
    await client.send(
      new PutObjectTaggingCommand({
        Bucket: bucket,
        Key: key,
        Tagging: { TagSet: [{ Key: SHA256_TAG, Value: sha256 }] },
      }),
    );
  } catch (error) {
    const explained = explainS3Error(error, `tagging ${uri}`, target);
    throw new IngestError(
      `${explained.message}; the object is in place and verified but has no sha256 tag yet: rerun to tag it (the ` +
        `next run checks it against the local file's CRC32)`,
    );
  }
  if (etag === undefined) return true;
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag }));
    return true;
  } catch (error) {
    if (!isConditionRefused(error) && !isNotFound(error))
      throw explainS3Error(error, `checking ${uri} after tagging it`, target);
    // Replaced by a marker rather than emptied: moto 5.2.5 answers an empty tag set with a 500.
    await client
      .send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: { TagSet: [CLEARED_TAG] } }))
      .catch(() => undefined);
    return false;
  }
}

/** The refusal of a run whose object another run replaced after this one had checked it. */
function replacedMeanwhile(uri: string, source: string, when: string): IngestError {
  return new IngestError(
    `${uri} was replaced by another run ${when}: the key holds the other run's object, not ${source}; rerun (with ` +
      `--overwrite if the day should hold ${source})`,
  );
}

/** True when S3 refused a conditional write or request: 412 (the condition failed) or 409 (a concurrent one won). */
function isConditionRefused(error: unknown): boolean {
  const err = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const status = err?.$metadata?.httpStatusCode;
  return (
    status === 412 ||
    status === 409 ||
    ["PreconditionFailed", "ConditionalRequestConflict"].includes(err?.name ?? err?.Code ?? "")
  );
}

/** What {@link uploadFile} did: uploaded and verified, or found the same bytes written by a run that won the race. */
interface UploadOutcome {
  digest: FileDigests;
  verifiedBy: IngestedFile["verifiedBy"];
  /** True when another run wrote these same bytes at the same time and this run's conditional write was refused. */
  skipped: boolean;
}

/**
 * Streams one file to its key (hashing it on the way), conditional on what the run saw there, verifies the stored
 * object, then tags it with its SHA-256.
 */
async function uploadFile(
  client: S3Client,
  bucket: string,
  plan: FilePlan,
  partSize: number,
  options: BatchIngestOptions,
  target: S3Target,
): Promise<UploadOutcome> {
  const uri = s3Uri(bucket, plan.key);
  const source = createReadStream(plan.source, { highWaterMark: 1 << 20 });
  const tap = new DigestTap(partSize);
  // pipe() does not forward errors: a read error must fail the upload, with the file's path in it.
  source.on("error", (error) => tap.destroy(error));
  source.pipe(tap);
  const taps = UPLOAD_TAPS.get(client);
  taps?.set(`${bucket}/${plan.key}`, tap);
  const started = Date.now();
  // The write that decides: an empty key must still be empty, a replaced object must still be the one the run read.
  // lib-storage passes these to the PutObject of a single-part file and to the CompleteMultipartUpload of the others.
  const replacing = plan.action === "replace" && plan.stored?.etag !== undefined;
  const condition = replacing ? { IfMatch: plan.stored?.etag } : { IfNoneMatch: "*" };
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
      Metadata: {
        [PART_SIZE_METADATA]: String(partSize),
        [SOURCE_FILE_METADATA]: encodeMetadataValue(basename(plan.source)),
      },
      ...condition,
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
  let written: { ETag?: string; VersionId?: string };
  try {
    written = await upload.done();
  } catch (error) {
    taps?.delete(`${bucket}/${plan.key}`);
    source.destroy();
    tap.destroy();
    const cleanup = await abortIncompleteUploads(client, bucket, plan.key, upload.uploadId);
    if (isConditionRefused(error)) return afterLostRace(client, bucket, plan, tap, partSize, replacing, target);
    // File system errors name the path; network errors (also from a "read" syscall) do not.
    const fromFile = (error as NodeJS.ErrnoException)?.path === plan.source;
    const explained = fromFile
      ? new IngestError(`reading ${plan.source} failed midway: ${(error as Error).message}`)
      : explainS3Error(error, `uploading to ${uri}`, target);
    throw new IngestError(`${explained.message}; ${cleanup}`);
  }

  taps?.delete(`${bucket}/${plan.key}`);
  const mine = { etag: written.ETag, versionId: ownVersion(written.VersionId) };
  // The stored object must be the bytes the tap saw, and those must be the whole file as inspected.
  const digest = tap.digests();
  const problems: string[] = [];
  if (digest.bytes !== plan.bytes)
    problems.push(`${digest.bytes} bytes were read from the file, which had ${plan.bytes} (it changed meanwhile)`);
  let verifiedBy: IngestedFile["verifiedBy"] = "size-only";
  try {
    // Only this run's object: with If-Match on its ETag, an object another run put there since is not checked (nor
    // blamed) in its place.
    const head = await client.send(
      new HeadObjectCommand({
        Bucket: bucket,
        Key: plan.key,
        ChecksumMode: "ENABLED",
        ...(mine.etag !== undefined ? { IfMatch: mine.etag } : {}),
      }),
    );
    if (head.ContentLength !== digest.bytes)
      problems.push(`the stored object has ${head.ContentLength} bytes, the file ${digest.bytes}`);
    if (head.ChecksumCRC32 !== undefined) {
      verifiedBy = "s3-checksum-crc32";
      if (!sameCrc32(head.ChecksumCRC32, digest.s3Crc32))
        problems.push(`the server's CRC32 ${head.ChecksumCRC32} differs from the source's ${digest.s3Crc32}`);
    }
  } catch (error) {
    if (isConditionRefused(error) || isNotFound(error)) {
      // Replaced (only an --overwrite run can) or removed by another run before this one could check its write.
      const removed = await removeOwnVersion(client, bucket, plan.key, mine.versionId);
      throw new IngestError(
        `${uri} was replaced by another run before this run could verify what it wrote (${plan.source})` +
          `${removed ? ", and this run's unverified version was removed" : ""}: the key holds the other run's ` +
          `object; rerun (with --overwrite if the day should hold ${plan.source})`,
      );
    }
    throw explainS3Error(error, `verifying ${uri}`, target);
  }
  if (problems.length > 0) {
    // A corrupt object must not stay at the final key, and only this run's own may go.
    const removal = await removeOwnObject(client, bucket, plan.key, mine);
    throw new IngestError(`integrity check failed for ${uri}: ${problems.join("; ")}; ${removal}`);
  }
  // Only a verified object gets its tag: an untagged one is checked again by the next run.
  if (!(await tagSha256(client, bucket, plan.key, digest.sha256, mine.etag, target)))
    throw replacedMeanwhile(uri, plan.source, "right after this run verified it");
  return { digest, verifiedBy, skipped: false };
}

/** The VersionId a write returned when the bucket keeps versions (unversioned buckets answer none, or "null"). */
function ownVersion(versionId: string | undefined): string | undefined {
  return versionId && versionId !== "null" ? versionId : undefined;
}

/**
 * After S3 refused this run's conditional write because another run's write got there first: the same bytes are
 * accepted (and tagged if the winner has not yet), anything else ends in a refusal that says what to do.
 */
async function afterLostRace(
  client: S3Client,
  bucket: string,
  plan: FilePlan,
  tap: DigestTap,
  partSize: number,
  replacing: boolean,
  target: S3Target,
): Promise<UploadOutcome> {
  const uri = s3Uri(bucket, plan.key);
  const what = replacing
    ? `${uri} changed while this run was replacing it: another run wrote`
    : `${uri}: another run wrote`;
  const there = await storedObject(client, bucket, plan.key, target);
  if (!there)
    throw new IngestError(
      `${what} it at the same time and its object is gone again (that run failed): nothing of ${plan.source} was ` +
        `written; rerun`,
    );
  // The tap saw the whole file when the write was refused; a different part size means hashing the file again.
  let local: FileDigests;
  try {
    local =
      there.partSize === undefined || there.partSize === partSize
        ? tap.digests()
        : await digestFile(plan.source, there.partSize);
  } catch {
    local = await digestFile(plan.source, there.partSize ?? partSize);
  }
  if (local.bytes === plan.bytes) {
    const decision = decideAgainstStored(there, local, false);
    if ("action" in decision && decision.action === "skip")
      return { digest: local, verifiedBy: "already-there", skipped: true };
    if ("action" in decision && decision.action === "tag") {
      if (!(await tagSha256(client, bucket, plan.key, local.sha256, there.etag, target)))
        throw replacedMeanwhile(uri, plan.source, "while this run was tagging it");
      return { digest: local, verifiedBy: "already-there-crc32", skipped: true };
    }
  }
  const theirs = there.sha256 ? `sha256 ${there.sha256}` : `${there.bytes} bytes, CRC32 ${there.crc32 ?? "unknown"}`;
  throw new IngestError(
    `${what} different bytes (${theirs}) at the same time; this run's write was refused so as not to overwrite ` +
      `them: nothing of ${plan.source} (sha256 ${local.sha256}) was written; check which file belongs to that day, ` +
      `then rerun with --overwrite to replace them`,
  );
}

/**
 * Removes this run's own version by VersionId (versioned buckets: the previous version, if any, is current again).
 * Returns false when there is no version to remove or the removal failed (then a lifecycle rule expires it).
 */
async function removeOwnVersion(
  client: S3Client,
  bucket: string,
  key: string,
  versionId: string | undefined,
): Promise<boolean> {
  if (versionId === undefined) return false;
  try {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes the object this run wrote and nothing else: its version by VersionId on a versioned bucket, otherwise the
 * object only while its ETag is still this run's (DeleteObject If-Match). Says how it went, for the error message.
 */
async function removeOwnObject(
  client: S3Client,
  bucket: string,
  key: string,
  mine: { etag?: string; versionId?: string },
): Promise<string> {
  if (mine.versionId !== undefined)
    return (await removeOwnVersion(client, bucket, key, mine.versionId))
      ? "this run's version was removed (the key is as it was before the run)"
      : `removing this run's version ${mine.versionId} failed: delete it with aws s3api delete-object --bucket ${bucket} --key ${key} --version-id ${mine.versionId}`;
  try {
    await client.send(
      new DeleteObjectCommand({ Bucket: bucket, Key: key, ...(mine.etag !== undefined ? { IfMatch: mine.etag } : {}) }),
    );
    return "the object was removed";
  } catch (error) {
    if (isConditionRefused(error) || isNotFound(error))
      return "the object at the key was left in place: another run replaced this run's object meanwhile";
    return `removing it failed (${(error as Error).message}): delete ${key} by hand before rerunning`;
  }
}

/**
 * Aborts this run's own multipart upload of `key` if it is still open (lib-storage aborts it, but the abort itself may
 * have failed), never another run's upload of the same key, and says how it went, for the error message.
 */
export async function abortIncompleteUploads(
  client: S3Client,
  bucket: string,
  key: string,
  uploadId: string | undefined,
): Promise<string> {
  if (uploadId === undefined) return `nothing new was written at ${key} and no incomplete upload was left behind`;
  try {
    const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
    const mine = (listed.Uploads ?? []).filter((upload) => upload.Key === key && upload.UploadId === uploadId);
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
