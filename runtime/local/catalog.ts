/**
 * `npm run catalog -- (--bucket B | --lake-dir DIR) [--out FILE]`: builds the local DuckDB catalog (the twin of the
 * Glue catalog and Athena views) from the table registry and prints where the database file is.
 *
 * DuckDB's httpfs extension cannot be downloaded offline, so for `--bucket` the registry tables' prefixes are first
 * mirrored from the S3 API server (AWS_ENDPOINT_URL_S3) into `.lake/catalog/<bucket>/lake/`; the catalog is then built
 * over that folder by glue/local/catalog.py (the same code the Python tests exercise).
 */
import { dirname, join, resolve } from "node:path";
import { TABLES } from "../../lake/tables";
import { GLUE_SHARED_PACKAGE } from "../../lake/jobs";
import { checkBucketName } from "../../lake/names";
import { UsageError, exitCodeOf, parseFlags } from "../shared/flags";
import { makeS3Client } from "../shared/s3Client";
import { exitOnSignals, spawnOwned } from "./children";
import { acquireFolderLease } from "./lease";
import { mirrorBucketToFolder, type MirrorSummary } from "./mirror";
import { displayPath, failureLine, logStream } from "./processLog";

const REPO_ROOT = resolve(__dirname, "..", "..");

/** What the catalog is built over, and where it is written (undefined: next to the lake folder). */
export type CatalogTarget = ({ bucket: string } | { lakeDir: string }) & { out?: string };

const USAGE = "usage: npm run catalog -- (--bucket B | --lake-dir DIR) [--out FILE]";

/** Parses the command line; throws a UsageError naming what is wrong. */
export function parseCatalogArgs(argv: string[]): CatalogTarget {
  const { values, positionals } = parseFlags(
    {
      args: argv,
      allowPositionals: true,
      options: { bucket: { type: "string" }, "lake-dir": { type: "string" }, out: { type: "string" } },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new UsageError(`unexpected argument(s) ${positionals.join(" ")}: ${USAGE}`);
  if (!values.bucket === !values["lake-dir"])
    throw new UsageError(`give exactly one of --bucket B or --lake-dir DIR: ${USAGE}`);
  const out = values.out ? { out: resolve(values.out) } : {};
  return values.bucket ? { bucket: values.bucket, ...out } : { lakeDir: resolve(values["lake-dir"] as string), ...out };
}

/**
 * The local folder a bucket is mirrored into (its parent then holds the default catalog.duckdb). The name is checked
 * with S3's rule first: it becomes part of a path, so it may not carry `/` or `..`.
 */
export function mirrorFolder(bucket: string, root = REPO_ROOT): string {
  checkBucketName(bucket, "--bucket", "give the lake bucket's name, e.g. --bucket cinelake-alice-lake");
  return join(root, ".lake", "catalog", bucket, "lake");
}

/** The prefixes the catalog reads: every registry table's location (Trusted and Refined), nothing else. */
export function catalogPrefixes(): string[] {
  return [...new Set(TABLES.map((table) => table.location))].sort();
}

/** Mirrors the registry tables' prefixes of a bucket into a local folder (S3 client from the AWS environment). */
export async function mirrorBucket(bucket: string, folder: string): Promise<MirrorSummary> {
  return mirrorBucketToFolder(makeS3Client(), bucket, folder, catalogPrefixes());
}

/** Runs glue/local/catalog.py over a lake folder; resolves to the database file it reports. */
export async function buildCatalog(
  lakeDir: string,
  out?: string,
  options: { log?: string; verbose?: boolean } = {},
): Promise<string> {
  const args = ["-m", "local.catalog", "--lake-dir", lakeDir, ...(out ? ["--out", out] : [])];
  const child = spawnOwned(process.env.PYTHON ?? "python3", args, {
    cwd: REPO_ROOT,
    // With a log file, what Python and DuckDB print on stderr goes there; else to the terminal.
    stdio: ["ignore", "pipe", options.log ? "pipe" : "inherit"],
    env: { ...process.env, PYTHONPATH: resolve(REPO_ROOT, GLUE_SHARED_PACKAGE, "..") },
  });
  const log = options.log && child.stderr ? logStream(child.stderr, options.log, options.verbose) : undefined;
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number>((resolveExit, reject) => {
    child.once("error", (error) => reject(new Error(`could not start python3: ${error.message}`)));
    child.once("close", (exitCode, signal) => resolveExit(exitCode ?? (signal ? 1 : 0)));
  });
  await log?.close();
  const reported = /^catalog: (.+)$/m.exec(stdout)?.[1];
  if (code !== 0 || !reported) {
    const why = log ? `: ${failureLine(log.tail())} (full log: ${displayPath(options.log as string)})` : "";
    throw new Error(`local.catalog failed (exit ${code}) for ${lakeDir}${why}`);
  }
  return reported;
}

/** Mirrors when given a bucket, then builds the catalog; resolves to the database file. */
export async function runCatalog(target: CatalogTarget, root = REPO_ROOT): Promise<string> {
  if ("bucket" in target) {
    const folder = mirrorFolder(target.bucket, root);
    const summary = await mirrorBucket(target.bucket, folder);
    console.error(
      `mirrored s3://${target.bucket} into ${folder}: ${summary.copied} copied, ${summary.unchanged} unchanged, ` +
        `${summary.removed} removed`,
    );
    return buildCatalog(folder, target.out ?? join(dirname(folder), "catalog.duckdb"));
  }
  return buildCatalog(target.lakeDir, target.out);
}

/**
 * Takes the lease on the folder the catalog is built over (the `--lake-dir`, or the bucket's mirror folder, which the
 * command writes): two builds at once, or a build while a demo rewrites that lake, would read a half-written lake.
 */
export async function leaseCatalogFolder(target: CatalogTarget, root = REPO_ROOT): Promise<void> {
  const folder = "bucket" in target ? mirrorFolder(target.bucket, root) : target.lakeDir;
  const what =
    "bucket" in target ? `the mirror folder of --bucket ${target.bucket} (${folder})` : `--lake-dir ${folder}`;
  await acquireFolderLease(folder, "npm run catalog", what);
}

if (require.main === module) {
  exitOnSignals((signal) => `catalog: stopped by ${signal}; run the command again`);
  // Parsing inside the promise, so a bad argument gets the same one-line message as any other failure.
  Promise.resolve()
    .then(() => parseCatalogArgs(process.argv.slice(2)))
    .then(async (target) => {
      await leaseCatalogFolder(target);
      return runCatalog(target);
    })
    .then((path) => console.log(`catalog: ${path}`))
    .catch((error: unknown) => {
      console.error(`catalog: ${error instanceof Error ? error.message : String(error)}`);
      // 2 for a wrong command line or --bucket (rerunning unchanged cannot help), 1 for a failed build.
      process.exit(exitCodeOf(error));
    });
}
