/**
 * Mirrors between an S3 bucket and a local folder laid out like it, so the demo's lake persists between runs (the
 * local S3 API server keeps objects in memory only) and local tools (DuckDB, the preview) read plain files. Objects'
 * user metadata and tags (the BatchIngestor's checksum, the ApiIngestor's ids) are kept beside the folder, in
 * `<folder>.attributes.json`, so a restored object is the object that was mirrored.
 *
 * Two guarantees (issue 13 #2, #10):
 * - Content, not size, decides what is copied: a file is the object when its MD5 is the object's ETag (for a multipart
 *   ETag, the MD5 of its parts' MD5s at the part size that reproduces it). The ETag a file was written with is kept in
 *   the attributes with its size and mtime, so an untouched file is not hashed again. A restore uploads a file the way
 *   its ETag was made (one PUT, or parts of the same size), so the restored object has the same ETag.
 * - A prefix is replaced as a whole: its new tree is built in `<folder>/.cinelake-mirror/` (unchanged files hard-linked,
 *   changed ones downloaded), marked ready, then swapped in by two renames, and the old tree removed. A mirror that is
 *   stopped at any point leaves either the old tree or the new one, never a mixture of two runs' part files; the next
 *   mirror or restore finishes or rolls back a swap that was under way.
 */
import { GetObjectCommand, GetObjectTaggingCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { listAllObjects } from "../shared/s3Client";
import { Upload } from "@aws-sdk/lib-storage";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  linkSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { ensureDirectory } from "./folders";

/** What a mirror pass did. */
export interface MirrorSummary {
  copied: number;
  unchanged: number;
  removed: number;
  bytes: number;
}

/** What a mirrored object carries besides its bytes, and the content its local file was written with. */
interface KeptObject {
  metadata: Record<string, string>;
  tags: Record<string, string>;
  /** The object's ETag when the file was written (absent in folders mirrored before content was compared). */
  etag?: string;
  /** The file's size and mtime when it was written: while they hold, its content is still `etag`'s. */
  size?: number;
  mtimeMs?: number;
  /** The part size that reproduces a multipart ETag. */
  partSize?: number;
}

/** One object of a bucket listing. */
export interface ObjectEntry {
  size: number;
  /** The ETag, quotes included, as S3 lists it. */
  etag: string;
}

/** The folder inside a mirrored folder where new trees are built before they are swapped in. */
export const STAGING_DIR = ".cinelake-mirror";

/** Where the user metadata and tags of a mirrored folder's objects are kept (beside the folder, not in it). */
export function attributesFile(root: string): string {
  return `${root.replace(/\/+$/, "")}.attributes.json`;
}

function readAttributes(root: string): Record<string, KeptObject> {
  const file = attributesFile(root);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, KeptObject>) : {};
}

function writeAttributes(root: string, attributes: Record<string, KeptObject>): void {
  const file = attributesFile(root);
  ensureDirectory(dirname(file));
  // Written whole and renamed, so a stop mid-write leaves the previous file rather than half a JSON document.
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(attributes));
  renameSync(temporary, file);
}

/** Lists every object (key, size and ETag) under a prefix. */
export async function listObjectEntries(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<Map<string, ObjectEntry>> {
  const objects = new Map<string, ObjectEntry>();
  for await (const object of listAllObjects(s3, bucket, prefix))
    if (object.Key) objects.set(object.Key, { size: object.Size ?? 0, etag: object.ETag ?? "" });
  return objects;
}

/** Lists every object (key and size) under a prefix. */
export async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<Map<string, number>> {
  const entries = await listObjectEntries(s3, bucket, prefix);
  return new Map([...entries].map(([key, entry]) => [key, entry.size]));
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

/** The MD5 of each `partSize` slice of a file (one slice: the whole file when `partSize` is undefined). */
async function partDigests(path: string, partSize?: number): Promise<Buffer[]> {
  const digests: Buffer[] = [];
  let hash = createHash("md5");
  let filled = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = partSize === undefined ? chunk.length - offset : Math.min(partSize - filled, chunk.length - offset);
      hash.update(chunk.subarray(offset, offset + take));
      offset += take;
      filled += take;
      if (partSize !== undefined && filled === partSize) {
        digests.push(hash.digest());
        hash = createHash("md5");
        filled = 0;
      }
    }
  }
  if (filled > 0 || digests.length === 0) digests.push(hash.digest());
  return digests;
}

/** The ETag S3 gives a file uploaded in one PUT (`partSize` undefined) or in parts of `partSize` bytes. */
export async function fileEtag(path: string, partSize?: number): Promise<string> {
  const digests = await partDigests(path, partSize);
  if (partSize === undefined) return `"${(digests[0] as Buffer).toString("hex")}"`;
  const combined = createHash("md5").update(Buffer.concat(digests)).digest("hex");
  return `"${combined}-${digests.length}"`;
}

const MIB = 1024 * 1024;
/** Part sizes tried for a multipart ETag with no recorded part size: lib-storage's, the BatchIngestor's, s3a's. */
const COMMON_PART_SIZES = [5, 8, 16, 32, 64, 100, 128, 256].map((mib) => mib * MIB);

/** The part sizes that could have made a multipart ETag of `parts` parts for `size` bytes, most likely first. */
function candidatePartSizes(size: number, parts: number, known: (number | undefined)[]): number[] {
  const sizes = [...known.filter((value): value is number => Number.isSafeInteger(value)), ...COMMON_PART_SIZES];
  return [...new Set(sizes)].filter((partSize) => partSize > 0 && Math.ceil(size / partSize) === parts);
}

/**
 * Whether the file at `path` holds the content of an object with `etag`, and the part size that reproduces a
 * multipart ETag. A file whose size and mtime are those it was written with keeps the ETag recorded then.
 */
async function matchContent(
  path: string,
  etag: string,
  kept: KeptObject | undefined,
): Promise<{ same: boolean; partSize?: number }> {
  let size: number;
  let mtimeMs: number;
  try {
    ({ size, mtimeMs } = statSync(path));
  } catch {
    return { same: false };
  }
  if (kept?.etag === etag && kept.size === size && kept.mtimeMs === mtimeMs)
    return { same: true, partSize: kept.partSize };
  const parts = /-(\d+)"?$/.exec(etag)?.[1];
  if (parts === undefined) return { same: (await fileEtag(path)) === etag };
  const known = [kept?.partSize, Number(kept?.metadata?.["part-size"])];
  for (const partSize of candidatePartSizes(size, Number(parts), known))
    if ((await fileEtag(path, partSize)) === etag) return { same: true, partSize };
  return { same: false };
}

function stagingName(prefix: string, state: "tmp" | "ready" | "old"): string {
  return `${encodeURIComponent(prefix)}.${state}`;
}

/** The folder of a prefix (`Trusted/` → `<root>/Trusted`). */
function prefixDir(root: string, prefix: string): string {
  return join(root, prefix.replace(/\/+$/, ""));
}

/**
 * Finishes or rolls back what a stopped mirror left in the staging folder: a ready tree is swapped in (the old one
 * removed), a tree still being built is removed, an old tree whose replacement is in place is removed. Returns the
 * prefixes whose swap it finished.
 */
export function recoverMirror(root: string): string[] {
  const staging = join(root, STAGING_DIR);
  let entries: string[];
  try {
    entries = readdirSync(staging);
  } catch {
    return [];
  }
  const finished: string[] = [];
  for (const name of entries.filter((entry) => entry.endsWith(".tmp")))
    rmSync(join(staging, name), { recursive: true, force: true });
  for (const name of entries.filter((entry) => entry.endsWith(".ready"))) {
    const prefix = decodeURIComponent(name.slice(0, -".ready".length));
    swapIn(root, prefix);
    finished.push(prefix);
  }
  for (const name of entries.filter((entry) => entry.endsWith(".old"))) {
    const old = join(staging, name);
    if (!existsSync(old)) continue;
    const target = prefixDir(root, decodeURIComponent(name.slice(0, -".old".length)));
    // An old tree with nothing in its place means the new one was lost: the old one is put back.
    if (!existsSync(target)) renameSync(old, target);
    else rmSync(old, { recursive: true, force: true });
  }
  return finished;
}

/** Swaps a ready tree in for a prefix's folder: the current one moves aside, the ready one takes its place. */
function swapIn(root: string, prefix: string): void {
  const staging = join(root, STAGING_DIR);
  const ready = join(staging, stagingName(prefix, "ready"));
  const old = join(staging, stagingName(prefix, "old"));
  const target = prefixDir(root, prefix);
  if (existsSync(target)) {
    rmSync(old, { recursive: true, force: true });
    renameSync(target, old);
  }
  ensureDirectory(dirname(target));
  renameSync(ready, target);
  rmSync(old, { recursive: true, force: true });
}

/** Puts an unchanged file into a new tree: a hard link (no copy, same mtime), or a copy where links are refused. */
function linkInto(source: string, target: string): void {
  ensureDirectory(dirname(target));
  try {
    linkSync(source, target);
  } catch {
    copyFileSync(source, target);
  }
}

/**
 * What a mirror and a restore start with: an earlier run's swap finished or rolled back, the attributes kept with the
 * files, and an empty summary.
 */
function beginTransfer(root: string): { summary: MirrorSummary; attributes: Record<string, KeptObject> } {
  recoverMirror(root);
  return { summary: { copied: 0, unchanged: 0, removed: 0, bytes: 0 }, attributes: readAttributes(root) };
}

/**
 * Makes the folder equal the bucket under each prefix: objects whose content the folder lacks are downloaded, files
 * the bucket no longer has are removed, and each prefix that changed is replaced as a whole (see the module's doc).
 * Directory markers (keys ending in `/`) are not files: they are left out.
 */
export async function mirrorBucketToFolder(
  s3: S3Client,
  bucket: string,
  root: string,
  prefixes: string[],
): Promise<MirrorSummary> {
  ensureDirectory(root);
  const { summary, attributes } = beginTransfer(root);
  for (const prefix of prefixes) {
    const remote = await listObjectEntries(s3, bucket, prefix);
    // A key ending in `/` is a directory marker (s3a makes them while a Spark job writes, consoles for "folders"):
    // zero bytes that stand for a folder, which the folder's tree already is. As a file it could not be written.
    for (const key of remote.keys()) if (key.endsWith("/")) remote.delete(key);
    const local = listFiles(root, prefix);
    const unchanged = new Set<string>();
    for (const [key, entry] of remote) {
      if (!local.has(key)) continue;
      const match = await matchContent(join(root, key), entry.etag, attributes[key]);
      if (match.same) {
        unchanged.add(key);
        const { size, mtimeMs } = statSync(join(root, key));
        attributes[key] = { metadata: {}, tags: {}, ...attributes[key], etag: entry.etag, size, mtimeMs };
        if (match.partSize !== undefined) (attributes[key] as KeptObject).partSize = match.partSize;
      }
    }
    const removed = [...local.keys()].filter((key) => !remote.has(key));
    summary.unchanged += unchanged.size;
    if (unchanged.size === remote.size && removed.length === 0) continue;

    const staging = join(root, STAGING_DIR);
    const tree = join(staging, stagingName(prefix, "tmp"));
    rmSync(tree, { recursive: true, force: true });
    ensureDirectory(tree);
    const inTree = (key: string) => join(tree, key.slice(prefix.length));
    for (const [key, entry] of remote) {
      if (unchanged.has(key)) {
        linkInto(join(root, key), inTree(key));
        continue;
      }
      const target = inTree(key);
      ensureDirectory(dirname(target));
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await pipeline(object.Body as Readable, createWriteStream(target));
      const tagging = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
      const tags = Object.fromEntries((tagging.TagSet ?? []).map((tag) => [tag.Key ?? "", tag.Value ?? ""]));
      const etag = object.ETag ?? entry.etag;
      const kept: KeptObject = { metadata: object.Metadata ?? {}, tags, etag };
      // The part size of a multipart ETag is found now, while the bytes are at hand, so a restore can reproduce it.
      const match = await matchContent(target, etag, { ...kept, etag: undefined });
      if (match.partSize !== undefined) kept.partSize = match.partSize;
      const { size, mtimeMs } = statSync(target);
      attributes[key] = { ...kept, size, mtimeMs };
      summary.copied++;
      summary.bytes += entry.size;
    }
    renameSync(tree, join(staging, stagingName(prefix, "ready")));
    swapIn(root, prefix);
    for (const key of removed) delete attributes[key];
    summary.removed += removed.length;
    writeAttributes(root, attributes);
  }
  writeAttributes(root, attributes);
  return summary;
}

/** Largest object S3 takes in one PUT. */
const SINGLE_PUT_LIMIT = 5 * 1024 * MIB;

/**
 * Uploads every file under the prefixes of the folder whose content the bucket lacks, with the metadata and tags it
 * was mirrored with (when the file still holds that content) and in the shape that reproduces its ETag.
 */
export async function restoreFolderToBucket(
  s3: S3Client,
  bucket: string,
  root: string,
  prefixes: string[],
): Promise<MirrorSummary> {
  const { summary, attributes } = beginTransfer(root);
  for (const prefix of prefixes) {
    const remote = await listObjectEntries(s3, bucket, prefix);
    for (const [key, size] of listFiles(root, prefix)) {
      const path = join(root, key);
      const there = remote.get(key);
      if (there && (await matchContent(path, there.etag, attributes[key])).same) {
        summary.unchanged++;
        continue;
      }
      let kept = attributes[key];
      // A record made for other bytes (the file was changed since) says nothing about this file: upload it bare.
      if (kept?.etag !== undefined && !(await matchContent(path, kept.etag, kept)).same) kept = undefined;
      const multipart = kept?.etag !== undefined && /-\d+"?$/.test(kept.etag);
      const tags = Object.entries(kept?.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
      let etag: string | undefined;
      if (multipart && kept?.partSize !== undefined) {
        const done = await new Upload({
          client: s3,
          partSize: kept.partSize,
          params: { Bucket: bucket, Key: key, Body: createReadStream(path), Metadata: kept.metadata },
          tags,
        }).done();
        etag = done.ETag;
      } else if (size <= SINGLE_PUT_LIMIT) {
        const tagging = tags.map((tag) => `${encodeURIComponent(tag.Key)}=${encodeURIComponent(tag.Value)}`);
        const put = await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: createReadStream(path),
            ContentLength: size,
            Metadata: kept?.metadata,
            ...(tagging.length > 0 ? { Tagging: tagging.join("&") } : {}),
          }),
        );
        etag = put.ETag;
      } else {
        const done = await new Upload({
          client: s3,
          params: { Bucket: bucket, Key: key, Body: createReadStream(path), Metadata: kept?.metadata },
          tags,
        }).done();
        etag = done.ETag;
      }
      const { mtimeMs } = statSync(path);
      attributes[key] = { metadata: kept?.metadata ?? {}, tags: kept?.tags ?? {}, etag, size, mtimeMs };
      if (kept?.partSize !== undefined && multipart) (attributes[key] as KeptObject).partSize = kept.partSize;
      summary.copied++;
      summary.bytes += size;
    }
  }
  if (existsSync(root)) writeAttributes(root, attributes);
  return summary;
}
