/**
 * Fingerprints of a Spark job's inputs and code, so a rerun of the demo skips a job whose inputs, code and date are
 * those of its last successful run (its outputs are then already in the lake).
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { GLUE_SHARED_PACKAGE, JOBS, type JobName } from "../../lake/jobs";
import { listObjectEntries } from "./mirror";

const REPO_ROOT = resolve(__dirname, "..", "..");

/** The files of a job's code: its entry script and every file of the shared package (subpackages too), sorted. */
export function codeFiles(job: JobName): string[] {
  const packageDir = join(REPO_ROOT, GLUE_SHARED_PACKAGE);
  const shared = readdirSync(packageDir, { recursive: true, encoding: "utf8" })
    .filter((name) => (name.endsWith(".py") || name.endsWith(".json")) && !name.split(sep).includes("__pycache__"))
    .sort()
    .map((name) => join(packageDir, name));
  return [join(REPO_ROOT, JOBS[job].script), ...shared];
}

/**
 * A hash of what a job run depends on: the key, size and ETag of every object under the prefixes it reads, its code,
 * and the date it is given. The ETag stands for the content (issue 13: caches are keyed on content, never on names
 * alone): a CSV replaced by bytes of the same size is a new input. A restored lake keeps its fingerprints because the
 * restore reproduces each object's ETag (mirror.ts).
 */
export async function jobFingerprint(s3: S3Client, bucket: string, job: JobName, date: string): Promise<string> {
  const hash = createHash("sha256").update(`${job}\n${date}\n`);
  for (const prefix of JOBS[job].reads) {
    const objects = [...(await listObjectEntries(s3, bucket, prefix))].sort(([a], [b]) => (a < b ? -1 : 1));
    for (const [key, { size, etag }] of objects) hash.update(`${key}\t${size}\t${etag}\n`);
  }
  for (const file of codeFiles(job)) hash.update(file).update(readFileSync(file));
  return hash.digest("hex");
}
