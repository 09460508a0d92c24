/**
 * Mirrors between an S3 bucket and a local folder laid out like it, so the demo's lake persists between runs (the
 * local S3 API server keeps objects in memory only) and local tools (DuckDB, the preview) read plain files. Objects'
 * user metadata and tags (the BatchIngestor's checksum, the ApiIngestor's ids) are kept beside the folder, in
 * `<folder>.attributes.json`, so a restored object is the object that was mirrored.
 */
import { GetObjectCommand, GetObjectTaggingCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";

/** What a mirror pass did. */
export interface MirrorSummary {
  copied: number;
  unchanged: number;
  removed: number;
  bytes: number;
}

/** What a mirrored object carries besides its bytes. */
interface ObjectAttributes {
  metadata: Record<string, string>;
  tags: Record<string, string>;
}

/** Where the user metadata and tags of a mirrored folder's objects are kept (beside the folder, not in it). */
export function attributesFile(root: string): string {
  return `${root.replace(/\/+$/, "")}.attributes.json`;
}

function readAttributes(root: string): Record<string, ObjectAttributes> {
  const file = attributesFile(root);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, ObjectAttributes>) : {};
}

/** Lists every object (key and size) under a prefix. */
export async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<Map<string, number>> {
  const objects = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) objects.set(object.Key, object.Size ?? 0);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

/** Lists every file (bucket-style key and size) under a prefix of a local lake folder. */
export function listFiles(root: string, prefix: string): Map<string, number> {
  const files = new Map<string, number>();
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // The prefix does not exist locally yet.
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.set(relative(root, path).split(sep).join("/"), statSync(path).size);
    }
  };
  walk(join(root, prefix));
  return files;
}

/**
 * Copies every object under the prefixes from the bucket into the folder (when missing or of another size) and removes
 * local files under those prefixes that the bucket no longer has, so the folder equals the bucket there.
 */
export async function mirrorBucketToFolder(
  s3: S3Client,
  bucket: string,
  root: string,
  prefixes: string[],
): Promise<MirrorSummary> {
  const summary: MirrorSummary = { copied: 0, unchanged: 0, removed: 0, bytes: 0 };
  const attributes = readAttributes(root);
  for (const prefix of prefixes) {
    const remote = await listObjects(s3, bucket, prefix);
    const local = listFiles(root, prefix);
    for (const [key, size] of remote) {
      if (local.get(key) === size) {
        summary.unchanged++;
        continue;
      }
      const target = join(root, key);
      mkdirSync(dirname(target), { recursive: true });
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await pipeline(object.Body as Readable, createWriteStream(target));
      const tagging = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
      const tags = Object.fromEntries((tagging.TagSet ?? []).map((tag) => [tag.Key ?? "", tag.Value ?? ""]));
      const metadata = object.Metadata ?? {};
      if (Object.keys(metadata).length + Object.keys(tags).length > 0) attributes[key] = { metadata, tags };
      else delete attributes[key];
      summary.copied++;
      summary.bytes += size;
    }
    for (const key of local.keys())
      if (!remote.has(key)) {
        rmSync(join(root, key));
        delete attributes[key];
        summary.removed++;
      }
  }
  mkdirSync(dirname(attributesFile(root)), { recursive: true });
  writeFileSync(attributesFile(root), JSON.stringify(attributes));
  return summary;
}

/** Uploads every file under the prefixes of the folder that the bucket lacks (or holds with another size). */
export async function restoreFolderToBucket(
  s3: S3Client,
  bucket: string,
  root: string,
  prefixes: string[],
): Promise<MirrorSummary> {
  const summary: MirrorSummary = { copied: 0, unchanged: 0, removed: 0, bytes: 0 };
  const attributes = readAttributes(root);
  for (const prefix of prefixes) {
    const remote = await listObjects(s3, bucket, prefix);
    for (const [key, size] of listFiles(root, prefix)) {
      if (remote.get(key) === size) {
        summary.unchanged++;
        continue;
      }
      const kept = attributes[key];
      await new Upload({
        client: s3,
        params: { Bucket: bucket, Key: key, Body: createReadStream(join(root, key)), Metadata: kept?.metadata },
        tags: Object.entries(kept?.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
      }).done();
      summary.copied++;
      summary.bytes += size;
    }
  }
  return summary;
}
