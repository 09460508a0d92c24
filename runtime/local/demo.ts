/**
 * `npm run demo`: the whole lake on this machine, with the same runtime code and Spark jobs that run on AWS. Starts
 * moto's S3 API server and (with no TMDB_TOKEN) the TMDB stand-in, generates the sample, runs the BatchIngestor, the
 * ApiIngestor, the three Glue jobs on local Spark through s3a, mirrors the bucket into a local folder (so the lake
 * persists and reruns are incremental), builds the DuckDB catalog and serves the dashboard preview.
 */
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { CHECKPOINT_PREFIX, RAW_TMDB, loadJson, saveJson } from "../api-ingestor/checkpoint";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { SYSTEM_PREFIXES, datasetPrefix, reportPrefix, todayUtc } from "../../lake/paths";
import { TABLES, VIEWS } from "../../lake/tables";
import { JOB_NAMES, jobsIndependentOf, type JobName } from "../../lake/jobs";
import { ingestBatch } from "../batch-ingestor/ingest";
import { runApiIngestion } from "../api-ingestor/ingest";
import { DEFAULT_TMDB_BASE_URL, checkCsvDate } from "../api-ingestor/env";
import { catalogFromBucket } from "../tmdb-standin/catalog";
import { startTmdbStandin, type TmdbStandin } from "../tmdb-standin/server";
import { generateSample, type SampleScale } from "../sample/generate";
import { startDashboardPreview } from "../dashboard-preview/server";
import { choiceSetting, exitCodeOf, numberSetting, parseFlags } from "../shared/flags";
import { makeS3Client } from "../shared/s3Client";
import { buildCatalog } from "./catalog";
import { exitOnSignals } from "./children";
import { ensureDirectory } from "./folders";
import { acquireFolderLeases, type FolderLease } from "./lease";
import { JobDriver } from "./jobDriver";
import { jobFingerprint } from "./fingerprint";
import { mirrorBucketToFolder, restoreFolderToBucket } from "./mirror";
import { findMissingPrerequisites } from "./prerequisites";
import { displayPath, logFile } from "./processLog";
import { formatCounts, formatReport, type DemoReport, type StageResult } from "./report";
import { startS3Server, type LocalS3Server } from "./s3Server";

/** The bucket the demo uses on the local S3 API server. */
export const DEMO_BUCKET = "cinelake-local";

/** Where the demo keeps the fingerprint of each Spark job's last successful run, inside the lake. */
export const JOB_STAMPS_KEY = `${SYSTEM_PREFIXES.localRunner}job-stamps.json`;

/** Every prefix of the lake, mirrored to the local folder and restored from it. */
const LAKE_PREFIXES = ["Raw/", "Trusted/", "Refined/", SYSTEM_PREFIXES.quarantine, "_system/"];

/** The ApiIngestor's Raw prefixes: the jobs that read none of them run beside it. */
const RAW_TMDB_PREFIXES = Object.values(RAW_TMDB).map((dataset) => datasetPrefix(dataset));

/** The demo's settings, from the command line. */
export interface DemoOptions {
  /** The local folder holding the lake mirror, the sample and the catalog (default `.lake`). */
  home: string;
  /** Sample size. */
  scale: SampleScale;
  /** Number of titles in the sample (overrides the scale). */
  titles?: number;
  /** Seed of the sample. */
  seed: number;
  /** The day the Raw files land under (default today, UTC). */
  date: string;
  /** Titles the ApiIngestor fetches at most in this run. */
  tmdbLimit: number;
  /** Serve the dashboard preview at the end (off with --no-serve). */
  serve: boolean;
  /** Port of the preview (0: a free one). */
  port: number;
  /** Rerun every Spark job even when its inputs and code are those of its last successful run. */
  force: boolean;
  /** Show the tools' own output (Spark, Hadoop, log4j, py4j, s3a) live, besides the log file. */
  verbose: boolean;
}

/**
 * Samples of up to this many titles run their Spark jobs with the JVM's quick-start compiler only (C1,
 * `-XX:TieredStopAtLevel=1`). At the demo's 1,000 titles, compiling Spark's own code and each query's generated code
 * is about half the JVM's CPU on two cores, and the optimising compiler (C2) rarely pays back within a run. At full
 * scale the reverse holds: C1-only code made the Trusted CSV job about twice as slow, so bigger samples keep the
 * JVM's default.
 */
export const QUICK_JIT_MAX_TITLES = 20_000;

/**
 * The quick-start compiler's flags. C1-only also shrinks the JVM's code cache to 48 MB (from 240 MB), and C1 compiles
 * more methods: the demo's one JVM for three jobs filled it ("Out of space in CodeCache for adapters", which stopped
 * the SparkContext), so the cache keeps the tiered default.
 */
export const QUICK_JIT_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m";

/**
 * The environment the demo adds to its Spark jobs for a sample of `titles` titles: the quick-start compiler for a
 * small one, unless CINELAKE_DRIVER_JAVA_OPTIONS is set already (even empty: the user's choice wins).
 */
export function demoJobEnv(titles: number, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (env.CINELAKE_DRIVER_JAVA_OPTIONS !== undefined || titles > QUICK_JIT_MAX_TITLES) return {};
  return { CINELAKE_DRIVER_JAVA_OPTIONS: QUICK_JIT_JAVA_OPTIONS };
}

const USAGE =
  "usage: npm run demo -- [--no-serve] [--port P] [--scale small|full] [--titles N] [--seed S] [--date YYYY-MM-DD]\n" +
  "                       [--tmdb-limit N] [--home DIR] [--force] [--verbose]";

/**
 * Parses the demo's command line; throws a UsageError (an unknown flag, a flag without its value) or a ConfigError (a
 * bad value), one line naming the flag and the fix.
 */
export function parseDemoArgs(argv: string[]): DemoOptions {
  const { values } = parseFlags({
    args: argv,
    options: {
      "no-serve": { type: "boolean" },
      port: { type: "string" },
      scale: { type: "string" },
      titles: { type: "string" },
      seed: { type: "string" },
      date: { type: "string" },
      "tmdb-limit": { type: "string" },
      home: { type: "string" },
      force: { type: "boolean" },
      verbose: { type: "boolean" },
    },
  });
  const scale = choiceSetting<SampleScale>("--scale", values.scale, ["small", "full"]) ?? "small";
  return {
    home: resolve(values.home ?? ".lake"),
    scale,
    titles: numberSetting("--titles", values.titles, { min: 1, example: 1000 }),
    seed: numberSetting("--seed", values.seed, { example: 42 }) ?? 42,
    date: checkCsvDate(values.date, "--date") ?? todayUtc(),
    tmdbLimit:
      numberSetting("--tmdb-limit", values["tmdb-limit"], { example: 100 }) ?? (scale === "full" ? 2000 : 1000),
    serve: !values["no-serve"],
    // 0 asks the system for a free port.
    port: numberSetting("--port", values.port, { max: 65535, example: 8080 }) ?? 8080,
    force: Boolean(values.force),
    verbose: Boolean(values.verbose),
  };
}

/** What the demo's lease names as its holder in the lock files. */
const DEMO_COMMAND = "npm run demo";

/**
 * Takes the leases the demo holds for its whole run (issue 13 #2, #12): on its home, and on the lake and sample
 * folders inside it, so a second demo, or `npm run job`/`catalog --lake-dir` on that lake, or `npm run sample` into
 * that sample folder, is refused while it runs. Creating the home is the first thing the demo does, so an unusable
 * `--home` (e.g. `/proc/x`) is refused here, in one line, before any work.
 */
export async function leaseDemoHome(home: string): Promise<FolderLease[]> {
  ensureDirectory(home, `--home ${home}`, "choose another --home (a folder on a writable disk), e.g. --home .lake");
  return acquireFolderLeases(
    [
      { folder: home, what: `--home ${home}` },
      { folder: join(home, "lake"), what: `the lake folder ${join(home, "lake")}` },
      { folder: join(home, "sample"), what: `the sample folder ${join(home, "sample")}` },
    ],
    DEMO_COMMAND,
    "wait for that run to end (or stop it), or give this one another --home",
  );
}

/**
 * Checks that the preview's port can be bound, before any work (issue 13 #16), by binding it on 127.0.0.1 as the
 * preview will and closing it again; throws one line naming --port 0 and --no-serve.
 */
export async function checkPortFree(port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === "EADDRINUSE"
            ? `port ${port} is already in use: give --port 0 (a free port) or another --port, or --no-serve to build the lake without serving it`
            : `cannot listen on 127.0.0.1:${port} (${error.code ?? error.message}): give --port 0 (a free port) or --no-serve`,
        ),
      ),
    );
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolvePort()));
  });
}

/** Thrown by a stage with what to check; the demo exits non-zero naming the stage. */
class StageFailure extends Error {
  constructor(
    readonly stage: string,
    override readonly cause: unknown,
  ) {
    super(`stage "${stage}" failed: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

type StageBody = () => Promise<Omit<StageResult, "stage" | "durationMs">>;

/** The stages running now (two run side by side at one point), for the line a signal ends the demo with. */
const runningStages = new Set<string>();

async function stage(results: StageResult[], name: string, body: StageBody): Promise<StageResult> {
  process.stdout.write(`\n▶ ${name}\n`);
  runningStages.add(name);
  const start = performance.now();
  // The demo's own memory is sampled during the stage; child processes (Spark) report their own peak.
  let nodePeak = process.memoryUsage().rss;
  const sampler = setInterval(() => (nodePeak = Math.max(nodePeak, process.memoryUsage().rss)), 200);
  try {
    const outcome = await body();
    const peakRssMb = Math.round(nodePeak / 2 ** 20) + (outcome.peakRssMb ?? 0);
    const result: StageResult = {
      stage: name,
      durationMs: Math.round(performance.now() - start),
      ...outcome,
      peakRssMb,
    };
    results.push(result);
    process.stdout.write(`  ✓ ${name}: ${result.summary} (${(result.durationMs / 1000).toFixed(1)} s)\n`);
    return result;
  } catch (error) {
    results.push({
      stage: name,
      status: "failed",
      durationMs: Math.round(performance.now() - start),
      counts: {},
      summary: (error as Error).message?.split("\n")[0] ?? String(error),
    });
    throw new StageFailure(name, error);
  } finally {
    clearInterval(sampler);
    runningStages.delete(name);
  }
}

/** Stages run one after another, each after the one before it has succeeded. */
type Lane = [name: string, body: StageBody][];

/**
 * Runs lanes of stages at the same time (each lane needs what came before it, not the other lanes). The results are
 * kept lane by lane in the given order, whichever ends first; once every lane has ended, the first failure in that
 * order is thrown.
 */
async function lanesSideBySide(results: StageResult[], lanes: Lane[]): Promise<void> {
  const running = lanes.map((lane) => ({ lane, results: [] as StageResult[] }));
  const settled = await Promise.allSettled(
    running.map(async ({ lane, results: own }) => {
      for (const [name, body] of lane) await stage(own, name, body);
    }),
  );
  results.push(...running.flatMap(({ results: own }) => own));
  const failed = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
  if (failed) throw failed.reason;
}

/** Generates the sample unless the same one (scale, titles, seed) is already in the folder. */
async function sampleStage(
  options: DemoOptions,
  sampleDir: string,
): Promise<Omit<StageResult, "stage" | "durationMs">> {
  const stamp = JSON.stringify({ scale: options.scale, titles: options.titles ?? null, seed: options.seed });
  const stampFile = join(sampleDir, "sample.json");
  if (existsSync(stampFile) && existsSync(join(sampleDir, "movies.csv"))) {
    const previous = JSON.parse(readFileSync(stampFile, "utf8")) as { stamp: string; rows: Record<string, number> };
    if (previous.stamp === stamp)
      return { status: "skipped", counts: previous.rows, summary: `same sample already in ${sampleDir}` };
  }
  const result = await generateSample({
    outDir: sampleDir,
    scale: options.scale,
    titles: options.titles,
    seed: options.seed,
  });
  const rows = {
    movieRows: result.movieRows,
    seriesRows: result.seriesRows,
    movieTitles: result.movieTitles,
    seriesTitles: result.seriesTitles,
  };
  writeFileSync(stampFile, JSON.stringify({ stamp, rows }));
  return { status: "ok", counts: rows, summary: `${formatCounts(rows)} in ${sampleDir}` };
}

/** The log file of a demo run started at `startedAt`: the Spark jobs' and the catalog builder's own output. */
export function demoLogFile(options: Pick<DemoOptions, "home">, startedAt: Date): string {
  return logFile(join(options.home, "logs"), "demo", startedAt);
}

/**
 * Runs the whole local lake and returns its report; throws StageFailure naming the stage that failed. The caller
 * holds the home's lease ({@link leaseDemoHome}). After each stage that changes the bucket, the lake folder is
 * mirrored, so a run that is stopped or killed later leaves every finished stage on disk for the next run to resume
 * from (issue 13 #9).
 */
export async function runDemo(
  options: DemoOptions,
  results: StageResult[] = [],
  startedAt = new Date(),
): Promise<DemoReport> {
  const log = demoLogFile(options, startedAt);
  const lakeDir = join(options.home, "lake");
  const sampleDir = join(options.home, "sample");
  const catalogPath = join(options.home, "catalog.duckdb");
  ensureDirectory(lakeDir);
  let server: LocalS3Server | undefined;
  let standin: TmdbStandin | undefined;
  let s3: S3Client | undefined;
  // moto's server starts while the prerequisites are probed (both mostly wait for Python to import): the s3-server
  // stage then only waits for what is left. Whatever the probes find, a started server is stopped at the end.
  const serverStarting = startS3Server().then((started) => (server = started));
  serverStarting.catch(() => {}); // Reported by the s3-server stage, after the prerequisites named what is missing.
  try {
    await stage(results, "prerequisites", async () => {
      const missing = await findMissingPrerequisites();
      if (missing.length > 0)
        throw new Error(
          missing.map((item) => `missing ${item.what} (found: ${item.found}); fix: ${item.fix}`).join("\n"),
        );
      return {
        status: "ok",
        counts: {},
        summary: "Node, Python with the Glue packages, Java 17 and moto_server found",
      };
    });

    await stage(results, "s3-server", async () => {
      const started = await serverStarting;
      Object.assign(process.env, started.env);
      s3 = makeS3Client();
      await s3.send(new CreateBucketCommand({ Bucket: DEMO_BUCKET })).catch((error: Error) => {
        if (error.name !== "BucketAlreadyOwnedByYou") throw error;
      });
      // The whole lake is restored, so ingestors resume from their checkpoints and unchanged jobs can be skipped.
      const restored = await restoreFolderToBucket(s3, DEMO_BUCKET, lakeDir, LAKE_PREFIXES);
      return {
        status: "ok",
        counts: { restoredFiles: restored.copied },
        summary: `moto's S3 API server at ${started.endpoint}, bucket ${DEMO_BUCKET}; ${restored.copied} files restored from ${lakeDir}`,
      };
    });
    const client = s3 as unknown as S3Client;
    // The folder catches up with the bucket after each stage; a later stop then costs only the stage under way.
    const keep = (prefixes = LAKE_PREFIXES) => mirrorBucketToFolder(client, DEMO_BUCKET, lakeDir, prefixes);

    await stage(results, "sample", () => sampleStage(options, sampleDir));

    await stage(results, "batch-ingest", async () => {
      const summary = await ingestBatch({
        bucket: DEMO_BUCKET,
        movies: join(sampleDir, "movies.csv"),
        series: join(sampleDir, "series.csv"),
        date: options.date,
        overwrite: true,
        client,
        log: (line) => process.stdout.write(`  ${line}\n`),
      });
      const uploaded = summary.files.filter((file) => !file.skipped);
      if (uploaded.length > 0) await keep();
      return {
        status: uploaded.length === 0 ? "skipped" : "ok",
        counts: { files: uploaded.length, bytes: summary.files.reduce((sum, file) => sum + file.bytes, 0) },
        summary: summary.files.map((file) => `${file.uri}${file.skipped ? " (unchanged)" : ""}`).join(", "),
      };
    });

    const stamps = (await loadJson<Record<string, string>>(client, DEMO_BUCKET, JOB_STAMPS_KEY)) ?? {};
    const sampleCounts = results.find((result) => result.stage === "sample")?.counts ?? {};
    const jobEnv = demoJobEnv((sampleCounts.movieTitles ?? 0) + (sampleCounts.seriesTitles ?? 0));
    // One Python process and one JVM for the three jobs (issue 12 #3), one job at a time.
    const driver = new JobDriver();
    const jobStage =
      (job: JobName): StageBody =>
      async () => {
        // The CSV job loads the day the files landed under; TMDB files are dated by their collection day (today,
        // when the ApiIngestor ran), so that job and Refined take the latest day they find.
        const date = job === "trusted-csv" ? options.date : "latest";
        const fingerprint = await jobFingerprint(client, DEMO_BUCKET, job, date);
        if (!options.force && stamps[job] === fingerprint)
          return {
            status: "skipped",
            counts: {},
            summary: "inputs and code unchanged since its last successful run (--force reruns it)",
          };
        // The job's report is summarised below and stored in the lake; its log goes to the demo's log file.
        const outcome = await driver.run({
          job,
          bucket: DEMO_BUCKET,
          date,
          echo: false,
          log,
          verbose: options.verbose,
          env: jobEnv,
        });
        stamps[job] = fingerprint;
        await saveJson(client, DEMO_BUCKET, JOB_STAMPS_KEY, stamps);
        await keep();
        return {
          status: "ok",
          counts: outcome.counts,
          peakRssMb: outcome.peakRssMb,
          pid: outcome.pid,
          summary: formatCounts(outcome.counts),
        };
      };
    const apiIngest: StageBody = async () => {
      let baseUrl = process.env.TMDB_BASE_URL || DEFAULT_TMDB_BASE_URL;
      let token = process.env.TMDB_TOKEN;
      if (!token) {
        process.stdout.write(
          "  no TMDB_TOKEN set: using the local TMDB stand-in (set TMDB_TOKEN to use the live API)\n",
        );
        // The stand-in is local, so its limits are raised to keep the demo quick; the client still limits itself.
        standin = await startTmdbStandin({
          catalog: await catalogFromBucket(client, DEMO_BUCKET, options.date),
          rate: 1000,
          maxConnections: 100,
        });
        baseUrl = standin.baseUrl;
        token = standin.token;
      }
      const result = await runApiIngestion({
        bucket: DEMO_BUCKET,
        csvDate: options.date,
        s3: client,
        baseUrl,
        token,
        selection: { limit: options.tmdbLimit },
        ...(standin ? { maxRps: 800, maxInFlight: 80 } : {}),
        log: (line) => process.stdout.write(`  ${line}\n`),
      });
      const last = result.last;
      // Only what the ApiIngestor writes: a Spark job may be writing beside it (its part files, s3a's temporary
      // folders), and the mirror after that job's stage takes its output once it is committed.
      await keep([...RAW_TMDB_PREFIXES, CHECKPOINT_PREFIX]);
      const counts = {
        fetched: last.fetched,
        notFound: last.notFound,
        failed: last.failed,
        remaining: last.remaining,
        files: result.filesWritten,
        requests: result.requests,
        retries: result.retries,
      };
      return {
        status: result.filesWritten === 0 ? "skipped" : "ok",
        counts,
        summary: `${formatCounts(counts)}${standin ? " (stand-in)" : " (live TMDB)"}`,
      };
    };
    // The jobs that read nothing the ApiIngestor writes (the CSV job) run while it fetches TMDB, so Spark's start and
    // that job overlap the fetching; the others wait for it. The jobs still run one at a time, in the registry's order.
    const besideApiIngest = jobsIndependentOf(RAW_TMDB_PREFIXES);
    const lane = (jobs: JobName[]): Lane => jobs.map((job) => [job, jobStage(job)]);
    try {
      await lanesSideBySide(results, [[["api-ingest", apiIngest]], lane(besideApiIngest)]);
      for (const [name, body] of lane(JOB_NAMES.filter((job) => !besideApiIngest.includes(job))))
        await stage(results, name, body);
    } finally {
      await driver.stop();
    }

    await stage(results, "mirror", async () => {
      const mirrored = await mirrorBucketToFolder(client, DEMO_BUCKET, lakeDir, LAKE_PREFIXES);
      return {
        status: "ok",
        counts: { copied: mirrored.copied, unchanged: mirrored.unchanged, removed: mirrored.removed },
        summary: `${lakeDir} now equals the bucket (${formatCounts({ copied: mirrored.copied, unchanged: mirrored.unchanged, removed: mirrored.removed })})`,
      };
    });

    await stage(results, "catalog", async () => {
      const path = await buildCatalog(lakeDir, catalogPath, { log, verbose: options.verbose });
      const counts = { tables: TABLES.length, views: VIEWS.length };
      return { status: "ok", counts, summary: `${path} (${formatCounts(counts)})` };
    });

    const report: DemoReport = {
      startedAt: startedAt.toISOString(),
      bucket: DEMO_BUCKET,
      lakeDir,
      date: options.date,
      ok: true,
      durationMs: Date.now() - startedAt.getTime(),
      stages: results,
    };
    const key = `${reportPrefix("demo")}${startedAt.toISOString().replace(/[:.]/g, "-")}.json`;
    const body = JSON.stringify(report, null, 2);
    await client.send(
      new PutObjectCommand({ Bucket: DEMO_BUCKET, Key: key, Body: body, ContentType: "application/json" }),
    );
    ensureDirectory(dirname(join(lakeDir, key)));
    writeFileSync(join(lakeDir, key), body);
    return report;
  } finally {
    await standin?.stop();
    // A failed prerequisite may come before the server is up: wait for its start, then stop it.
    await serverStarting.catch(() => {});
    await server?.stop();
  }
}

/** The one line a demo stopped by a signal ends with. */
function stoppedLine(signal: NodeJS.Signals): string {
  const names = [...runningStages].map((name) => `"${name}"`).join(" and ");
  const during = names ? ` during stage ${names}` : "";
  return (
    `\n✗ demo stopped by ${signal}${during}: the lake folder keeps every stage that had finished; ` +
    `run npm run demo again to go on from there`
  );
}

async function main(): Promise<void> {
  let options: DemoOptions;
  try {
    options = parseDemoArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(exitCodeOf(error));
  }
  // Ctrl-C, SIGTERM, SIGHUP: one line, then an exit that ends the child processes and releases the leases.
  const removeSignalHandlers = exitOnSignals(stoppedLine);
  const results: StageResult[] = [];
  const started = Date.now();
  const log = displayPath(demoLogFile(options, new Date(started)));
  try {
    // Both refusals come before any work: a taken port, then a home another run holds or that cannot be created.
    if (options.serve) await checkPortFree(options.port);
    await leaseDemoHome(options.home);
  } catch (error) {
    console.error(`✗ ${(error as Error).message}`);
    if (process.env.CINELAKE_DEBUG) console.error(error);
    process.exit(1);
  }
  try {
    const report = await runDemo(options, results, new Date(started));
    console.log(`\n${formatReport(report)}`);
    console.log(`\nthe tools' own output (Spark, Hadoop, DuckDB): ${log}`);
  } catch (error) {
    const failure = error instanceof StageFailure ? error : new StageFailure("demo", error);
    console.log(
      `\n${formatReport({ startedAt: new Date(started).toISOString(), bucket: DEMO_BUCKET, lakeDir: join(options.home, "lake"), date: options.date, ok: false, durationMs: Date.now() - started, stages: results })}`,
    );
    console.error(`\n✗ ${failure.message}`);
    if (process.env.CINELAKE_DEBUG) console.error(failure.cause);
    process.exit(1);
  }
  if (!options.serve) return;
  let preview;
  try {
    preview = await startDashboardPreview({ catalog: join(options.home, "catalog.duckdb"), port: options.port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    console.error(
      code === "EADDRINUSE"
        ? `\n✗ the lake is built, but port ${options.port} was taken meanwhile: run npm run dashboard -- --port 0 (a free port)`
        : `\n✗ the lake is built, but the preview could not start: ${(error as Error).message}; run npm run dashboard -- --port 0`,
    );
    process.exit(1);
  }
  // While the preview serves, the home stays leased: a second demo would rebuild the catalog it reads.
  console.log(`\ndashboard preview: ${preview.url}  (Ctrl-C to stop; later: npm run dashboard)`);
  removeSignalHandlers();
  const stop = () => void preview.stop().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (require.main === module)
  main().catch((error: unknown) => {
    // Whatever escapes still ends in one line (the trace with CINELAKE_DEBUG).
    console.error(`\n✗ demo: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.CINELAKE_DEBUG) console.error(error);
    process.exit(1);
  });
