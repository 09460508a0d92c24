/**
 * `npm run bench -- bench/profile/run.ts [--scale small|full] [--jobs trusted-csv,trusted-tmdb,refined]
 * [--lambda-ids N] [--work DIR] [--out DIR]`: profiles the Spark jobs per step, run as `npm run job` runs them
 * (runtime/local/job.ts) against moto's S3 API server through s3a, on the benches' generated sample laid out as the
 * Raw zone (bench/trusted/lakeFromSample.ts: the CSVs and the TMDB stand-in's details of every known title).
 *
 * Per job and step: wall time, Spark jobs, SQL executions (actions), stages, tasks, task time, shuffle, Python
 * worker CPU, S3 requests and their time; per job: JVM start (SparkSession creation), peak RSS, CPU by process role,
 * S3 requests by operation and the most expensive call sites of the job's code. Then Glue's cost of one run per job
 * and the ApiIngestor Lambda's GB-seconds per slice. The same figures are written as JSON under .lake/bench/profile/
 * so before and after can be diffed.
 *
 * Nothing in glue/ is changed for this: Spark's event log is switched on through a generated SPARK_CONF_DIR, and
 * bench/profile/py/sitecustomize.py (first on the job's PYTHONPATH) records step times and names call sites.
 */
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { JOBS, type JobName } from "../../lake/jobs";
import { runApiIngestion } from "../../runtime/api-ingestor/ingest";
import { seedRawCsvs } from "../../runtime/api-ingestor/localLake";
import { jobCommand, runJob } from "../../runtime/local/job";
import { restoreFolderToBucket } from "../../runtime/local/mirror";
import { startS3Server } from "../../runtime/local/s3Server";
import { generateSample, type SampleScale } from "../../runtime/sample/generate";
import { makeS3Client } from "../../runtime/shared/s3Client";
import { catalogFromDir } from "../../runtime/tmdb-standin/catalog";
import { startTmdbStandin } from "../../runtime/tmdb-standin/server";
import { layOutLake } from "../trusted/lakeFromSample";
import { apiIngestorMemoryMb, glueCost, lambdaGbSeconds, type GlueCost } from "./cost";
import { readEventLogDir } from "./eventLog";
import { trackCpuByRole, type CpuSample } from "./procCpu";
import { buildJobProfile, readPythonEvents, type JobProfile, type StepProfile } from "./profile";
import { nowMs, startS3TimingProxy, type S3TimingProxy } from "./s3Timing";

const REPO_ROOT = resolve(__dirname, "..", "..");
/** The Raw day the benches lay their sample out on (bench/trusted, bench/refined). */
const DATE = "2024-06-01";
const BUCKET = "cinelake-profile";
/** The TMDB limits the api-ingestor bench measures at (TMDB's documented rate and connection limits, a far API). */
const TMDB_LIMITS = { rate: 40, maxConnections: 20, latencyMs: 200 };

/** Spark settings for the profiled run only: the event log, uncompressed so it reads as JSON lines. */
function sparkDefaults(eventDir: string): string {
  return [
    "spark.eventLog.enabled true",
    `spark.eventLog.dir ${pathToFileURL(eventDir).href}`,
    "spark.eventLog.compress false",
    "",
  ].join("\n");
}

/** Generates the sample and lays out the Raw zone once per work folder (later runs reuse it). */
async function rawZone(work: string, scale: SampleScale): Promise<string> {
  const sampleDir = join(work, "sample");
  const rawDir = join(work, "raw");
  if (existsSync(join(work, "raw.done"))) return rawDir;
  if (!existsSync(join(sampleDir, "series.csv"))) await generateSample({ outDir: sampleDir, scale, seed: 1 });
  rmSync(rawDir, { recursive: true, force: true });
  mkdirSync(rawDir, { recursive: true });
  const laid = await layOutLake(sampleDir, rawDir, DATE);
  console.log(`Raw zone laid out: ${JSON.stringify(laid.tmdbRecords)} TMDB records`);
  writeFileSync(join(work, "raw.done"), "");
  return rawDir;
}

/** Runs one job with the profiling hooks and builds its profile. */
async function profileJob(job: JobName, work: string, proxy: S3TimingProxy): Promise<JobProfile> {
  const date = job === "refined" ? "latest" : DATE;
  const dir = join(work, "profile", job);
  rmSync(dir, { recursive: true, force: true });
  const eventDir = join(dir, "eventlog");
  const confDir = join(dir, "spark-conf");
  mkdirSync(eventDir, { recursive: true });
  mkdirSync(confDir, { recursive: true });
  writeFileSync(join(confDir, "spark-defaults.conf"), sparkDefaults(eventDir));
  const pythonEvents = join(dir, "python-events.jsonl");
  const script = jobCommand(job, { bucket: BUCKET }, date).args[0] as string;
  const callsBefore = proxy.calls().length;
  const cpu = trackCpuByRole();
  const started = nowMs();
  let outcome;
  let samples: CpuSample[] = [];
  try {
    outcome = await runJob({
      job,
      bucket: BUCKET,
      date,
      echo: false,
      log: join(dir, "spark.log"),
      env: {
        AWS_ENDPOINT_URL_S3: proxy.endpoint,
        SPARK_CONF_DIR: confDir,
        CINELAKE_PROFILE_EVENTS: pythonEvents,
        CINELAKE_PROFILE_SCRIPT: script,
      },
    });
  } finally {
    samples = cpu.stop();
  }
  const ended = nowMs();
  return buildJobProfile({
    job,
    started,
    ended,
    peakRssMb: outcome.peakRssMb,
    report: outcome.report,
    eventLog: readEventLogDir(eventDir),
    python: readPythonEvents(pythonEvents),
    calls: proxy.calls().slice(callsBefore),
    cpu: samples,
  });
}

/** The ApiIngestor's measured slice against the TMDB stand-in at TMDB's limits, and its Lambda memory. */
interface LambdaSlice {
  ids: number;
  slices: number;
  sliceSeconds: number;
  memoryMb: number;
  gbSecondsPerSlice: number;
  gbSecondsPer1000Ids: number;
}

async function measureSlice(ids: number): Promise<LambdaSlice> {
  const s3 = makeS3Client();
  // A few more titles than ids, as bench/api-ingestor does: the selection takes the `ids` most voted.
  const lake = await seedRawCsvs({
    s3,
    bucket: "profile-slice",
    date: DATE,
    titles: Math.ceil(ids * 1.05),
    seed: 2024,
  });
  const standin = await startTmdbStandin({ catalog: await catalogFromDir(lake.dir), ...TMDB_LIMITS });
  try {
    const result = await runApiIngestion({
      s3,
      bucket: "profile-slice",
      baseUrl: standin.baseUrl,
      token: standin.token,
      maxRps: TMDB_LIMITS.rate,
      maxInFlight: TMDB_LIMITS.maxConnections,
      selection: { limit: ids },
    });
    const sliceSeconds = result.last.slice.durationMs / 1000;
    const memoryMb = await apiIngestorMemoryMb();
    const gbSecondsPerSlice = lambdaGbSeconds(memoryMb, sliceSeconds);
    return {
      ids: result.last.selected,
      slices: result.slices,
      sliceSeconds,
      memoryMb,
      gbSecondsPerSlice,
      gbSecondsPer1000Ids:
        (gbSecondsPerSlice / Math.max(1, result.last.slice.fetched + result.last.slice.notFound)) * 1000,
    };
  } finally {
    await standin.stop();
    lake.cleanup();
  }
}

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "-");

/** A text table: first column left-aligned, the rest right-aligned. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => (row[index] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => (index === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[index] ?? 0)))
      .join("  ");
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

/** Prints one job's profile: the step table, totals and the top call sites. */
function printJob(profile: JobProfile, top: number): void {
  const stepCells = (step: StepProfile) => [
    step.step,
    fixed(step.wallSeconds),
    String(step.sparkJobs),
    String(step.actions),
    String(step.stages),
    String(step.tasks),
    fixed(step.taskSeconds),
    fixed(step.shuffleReadMb + step.shuffleWriteMb),
    fixed(step.pythonWorkerCpuSeconds),
    String(step.s3Requests),
    fixed(step.s3Seconds),
  ];
  const { totals } = profile;
  console.log(`\n== ${profile.job}: ${fixed(profile.wallSeconds)} s wall, peak RSS ${profile.peakRssMb} MB`);
  console.log(
    table(
      ["step", "wall s", "jobs", "actions", "stages", "tasks", "task s", "shuffle MB", "py wkr s", "S3 req", "S3 s"],
      [
        ...profile.steps.map(stepCells),
        stepCells({
          ...totals,
          step: "total",
          wallSeconds: profile.wallSeconds,
          pythonWorkerCpuSeconds: profile.cpuSeconds.pythonWorkers,
          jvmCpuSeconds: profile.cpuSeconds.jvm,
          s3ServerCpuSeconds: profile.cpuSeconds.s3Server,
        }),
      ],
    ),
  );
  const cpu = profile.cpuSeconds;
  console.log(
    `JVM start (SparkSession getOrCreate) ${fixed(profile.jvmStartSeconds)} s; Python start-up ${fixed(profile.pythonStartSeconds, 2)} s; ` +
      `CPU s: JVM ${fixed(cpu.jvm)}, Python driver ${fixed(cpu.pythonDriver)}, Python workers ${fixed(cpu.pythonWorkers)}, ` +
      `S3 API server ${fixed(cpu.s3Server)}`,
  );
  console.log(
    `S3 API: ${totals.s3Requests} requests, ${fixed(totals.s3Seconds)} s summed, ${fixed(totals.s3BusySeconds)} s with one or more waiting; ` +
      Object.entries(profile.s3ByOperation)
        .sort((a, b) => b[1].requests - a[1].requests)
        .map(([operation, { requests, seconds }]) => `${operation} ${requests} (${fixed(seconds)} s)`)
        .join(", "),
  );
  console.log(
    `shuffle read ${fixed(totals.shuffleReadMb)} MB, write ${fixed(totals.shuffleWriteMb)} MB; GC ${fixed(totals.gcSeconds)} s`,
  );
  console.log(`top ${top} call sites by action time (SQL execution: planning + Spark jobs + commit):`);
  console.log(
    table(
      ["call site", "step", "action s", "jobs s", "jobs", "stages", "tasks", "shuffle MB", "S3 req"],
      profile.callSites
        .slice(0, top)
        .map((site) => [
          site.callSite,
          site.step,
          fixed(site.actionSeconds),
          fixed(site.jobSeconds),
          String(site.sparkJobs),
          String(site.stages),
          String(site.tasks),
          fixed(site.shuffleReadMb + site.shuffleWriteMb),
          String(site.s3Requests),
        ]),
    ),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scale: { type: "string", default: "small" },
      jobs: { type: "string", default: Object.keys(JOBS).join(",") },
      "lambda-ids": { type: "string", default: "1000" },
      top: { type: "string", default: "8" },
      work: { type: "string" },
      out: { type: "string" },
    },
  });
  const scale = values.scale as SampleScale;
  if (scale !== "small" && scale !== "full") throw new Error(`--scale must be small or full, not "${scale}"`);
  const jobs = values.jobs.split(",").map((name) => name.trim()) as JobName[];
  for (const job of jobs)
    if (!(job in JOBS)) throw new Error(`unknown job "${job}": one of ${Object.keys(JOBS).join(", ")}`);
  const work = resolve(values.work ?? join(REPO_ROOT, ".cache", `bench-profile-${scale}`));
  const outDir = resolve(values.out ?? join(REPO_ROOT, ".lake", "bench", "profile"));

  const rawDir = await rawZone(work, scale);
  const server = await startS3Server();
  Object.assign(process.env, server.env);
  // The hooks: first on the job's PYTHONPATH (runtime/local/job.ts puts glue/ before what the environment has).
  process.env.PYTHONPATH = [join(__dirname, "py"), process.env.PYTHONPATH].filter(Boolean).join(delimiter);
  const proxy = await startS3TimingProxy(server.endpoint);
  const profiles: JobProfile[] = [];
  let slice: LambdaSlice | undefined;
  try {
    const s3 = makeS3Client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const uploaded = await restoreFolderToBucket(s3, BUCKET, rawDir, ["Raw/"]);
    console.log(
      `bench/profile (${scale}): ${uploaded.copied} Raw files (${fixed(uploaded.bytes / 1024 / 1024)} MB) on moto at ${server.endpoint}`,
    );
    for (const job of jobs) {
      console.log(`profiling ${job} ...`);
      const profile = await profileJob(job, work, proxy);
      profiles.push(profile);
      printJob(profile, Number(values.top));
    }
    const lambdaIds = Number(values["lambda-ids"]);
    if (lambdaIds > 0) {
      console.log(`\nmeasuring one ApiIngestor slice of ${lambdaIds} ids against the TMDB stand-in ...`);
      slice = await measureSlice(lambdaIds);
    }
  } finally {
    await proxy.stop();
    await server.stop();
  }

  const costs: GlueCost[] = profiles.map((profile) => glueCost(profile.job as JobName, profile.wallSeconds));
  console.log("\nGlue cost of one run (assumes Glue's run time = this machine's wall time for the whole job):");
  console.log(
    table(
      ["job", "Glue", "workers", "run s", "billed s", "DPU-s", "USD"],
      costs.map((cost) => [
        cost.job,
        cost.glueVersion,
        `${cost.workers} x ${cost.workerType}`,
        fixed(cost.runSeconds),
        String(cost.billedSeconds),
        String(cost.dpuSeconds),
        cost.usd.toFixed(4),
      ]),
    ),
  );
  if (slice)
    console.log(
      `ApiIngestor Lambda: ${slice.memoryMb} MB; measured slice of ${slice.ids} ids (${slice.slices} slice(s)) ` +
        `${fixed(slice.sliceSeconds)} s -> ${fixed(slice.gbSecondsPerSlice, 2)} GB-s per slice ` +
        `(${fixed(slice.gbSecondsPer1000Ids, 2)} GB-s per 1000 ids at TMDB's ${TMDB_LIMITS.rate} requests/s)`,
    );

  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  // Timings are only comparable on an equally idle machine: the load average says how busy this one was.
  console.log(
    `load average at the end (1, 5, 15 min): ${loadavg()
      .map((load) => load.toFixed(1))
      .join(", ")}`,
  );
  const body = JSON.stringify(
    { scale, measuredAt: new Date().toISOString(), loadAverage: loadavg(), jobs: profiles, glue: costs, lambda: slice },
    null,
    2,
  );
  for (const name of [`profile-${scale}-${stamp}.json`, `profile-${scale}-latest.json`])
    writeFileSync(join(outDir, name), body + "\n");
  console.log(`\nwritten: ${join(outDir, `profile-${scale}-${stamp}.json`)} (and profile-${scale}-latest.json)`);
}

main().catch((error: unknown) => {
  console.error(`bench/profile: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
