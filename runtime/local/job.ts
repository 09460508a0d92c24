/**
 * `npm run job -- <trusted-csv|trusted-tmdb|refined> (--bucket B | --lake-dir DIR) [--date YYYY-MM-DD|latest]`:
 * runs a Spark job's Glue entry script on local Spark, with the exact job arguments Glue gets (lake/jobs.ts):
 * through s3a against the bucket (endpoint and credentials from the standard AWS environment), or on a local folder
 * laid out like the bucket.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { GLUE_SHARED_PACKAGE, JOBS, jobArguments, type JobName } from "../../lake/jobs";
import { checkBucketName } from "../../lake/names";
import { parseDay } from "../../lake/paths";
import { checkCsvDate } from "../api-ingestor/env";
import { UsageError, exitCodeOf, parseFlags } from "../shared/flags";
import { exitOnSignals, spawnOwned } from "./children";
import { acquireFolderLease } from "./lease";
import { REPO_LOG_DIR, displayPath, failureLine, logFile, logStream, type LoggedStream } from "./processLog";

const REPO_ROOT = resolve(__dirname, "..", "..");

/** Where a run reads and writes: a bucket through s3a, or a local folder. */
export type JobTarget = { bucket: string } | { lakeDir: string };

/** A process to start: the Python interpreter, the script and its arguments, and extra environment. */
export interface JobCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * The lake root a job is given: `s3a://bucket/` or `file:///abs/dir/`. A bucket S3 would refuse is refused here (a
 * ConfigError naming --bucket), before Spark starts.
 */
export function lakeRoot(target: JobTarget): string {
  if ("bucket" in target) {
    checkBucketName(target.bucket, "--bucket", "give the lake bucket's name, e.g. --bucket cinelake-alice-lake");
    return `s3a://${target.bucket}/`;
  }
  const url = pathToFileURL(resolve(target.lakeDir)).href;
  return url.endsWith("/") ? url : `${url}/`;
}

/** The command that runs a job's entry script with its Glue arguments (pure: nothing is started). */
export function jobCommand(
  name: JobName,
  target: JobTarget,
  date = "latest",
  env: NodeJS.ProcessEnv = process.env,
): JobCommand {
  const job = JOBS[name];
  if (!job) throw new Error(`unknown job "${name}": one of ${Object.keys(JOBS).join(", ")}`);
  if (date !== "latest") parseDay(date);
  const args = [join(REPO_ROOT, job.script)];
  for (const [key, value] of Object.entries(jobArguments(name, lakeRoot(target), date))) args.push(`--${key}`, value);
  // The shared module is importable as on Glue (where it arrives through --extra-py-files).
  const shared = resolve(REPO_ROOT, GLUE_SHARED_PACKAGE, "..");
  const pythonPath = [shared, env.PYTHONPATH].filter(Boolean).join(delimiter);
  // Local Spark binds to loopback: nothing outside this machine needs to reach the driver (and VPNs confuse the guess).
  const sparkLocalIp = env.SPARK_LOCAL_IP ?? "127.0.0.1";
  return { command: env.PYTHON ?? "python3", args, env: { PYTHONPATH: pythonPath, SPARK_LOCAL_IP: sparkLocalIp } };
}

/** The command line's usage line. */
const USAGE =
  "usage: npm run job -- <trusted-csv|trusted-tmdb|refined> (--bucket B | --lake-dir DIR) [--date D] [--verbose]";

/**
 * Parses the command line: the job name, the target, the date and `verbose` (only present when `--verbose` is given);
 * throws a UsageError (a wrong command line) or a ConfigError (a bad --date), naming what is wrong.
 */
export function parseJobArgs(argv: string[]): { name: JobName; target: JobTarget; date: string; verbose?: true } {
  const { values, positionals } = parseFlags(
    {
      args: argv,
      allowPositionals: true,
      options: {
        bucket: { type: "string" },
        "lake-dir": { type: "string" },
        date: { type: "string" },
        verbose: { type: "boolean" },
      },
    },
    USAGE,
  );
  const [name] = positionals;
  if (positionals.length !== 1 || !name || !(name in JOBS)) throw new UsageError(USAGE);
  if (!values.bucket === !values["lake-dir"])
    throw new UsageError(`give exactly one of --bucket B or --lake-dir DIR: ${USAGE}`);
  const target: JobTarget = values.bucket ? { bucket: values.bucket } : { lakeDir: values["lake-dir"] as string };
  // `latest` is the jobs' word for the newest day with input; any other --date is a lake day (empty: the default, as
  // in ingest:api).
  const date = values.date === "latest" ? "latest" : (checkCsvDate(values.date, "--date") ?? "latest");
  const parsed = { name: name as JobName, target, date };
  return values.verbose ? { ...parsed, verbose: true } : parsed;
}

/** What {@link runJob} needs: the job, where (a bucket through s3a, or a local folder) and the day. */
export interface RunJobOptions {
  job: JobName;
  bucket?: string;
  lakeDir?: string;
  /** `YYYY-MM-DD` or `latest` (the default). */
  date?: string;
  /** Extra environment for the job (e.g. CINELAKE_SPARK_MASTER); the AWS environment is inherited. */
  env?: Record<string, string>;
  /** Echo the job's report (stdout) as it runs. Default true. */
  echo?: boolean;
  /**
   * A file the job's log (stderr: Spark, Hadoop, log4j, py4j) is appended to instead of the terminal; a failure then
   * names it. Without one the log goes to the terminal.
   */
  log?: string;
  /** With `log`, also show the job's log live. */
  verbose?: boolean;
}

/** The outcome of a successful run: the job's run report, its numeric counts flattened, and peak memory. */
export interface JobOutcome {
  report: Record<string, unknown>;
  /** Numeric counts of the report, flattened to `a_b` names (durations left out). */
  counts: Record<string, number>;
  /** Peak resident memory of the job's whole process tree (Python driver + JVM), in MB. */
  peakRssMb: number;
  /** Wall time of the run, in seconds. */
  seconds: number;
}

/** The last top-level JSON object a job printed (the entry scripts print their run report last). */
export function lastJsonObject(stdout: string): Record<string, unknown> {
  const starts = [...stdout.matchAll(/^\{/gm)].map((match) => match.index ?? 0);
  for (const start of starts.reverse()) {
    try {
      return JSON.parse(stdout.slice(start)) as Record<string, unknown>;
    } catch {
      // Not a complete object from here: try an earlier opening brace.
    }
  }
  throw new Error("the job printed no run report (a JSON object) on stdout");
}

/** Numeric leaves of a run report, named by their path (`datasets` entries by their `dataset` name). */
export function reportCounts(report: Record<string, unknown>): Record<string, number> {
  const counts: Record<string, number> = {};
  const walk = (value: unknown, path: string[]): void => {
    if (typeof value === "number") counts[path.join("_")] = value;
    else if (Array.isArray(value))
      value.forEach((item, index) => {
        const named = item && typeof item === "object" && "dataset" in item ? String(item.dataset) : String(index);
        walk(item, [...path, named]);
      });
    else if (value && typeof value === "object")
      for (const [key, inner] of Object.entries(value)) {
        if (key === "durations_s" || key === "extra") continue;
        walk(inner, [...path, key]);
      }
  };
  walk(report, []);
  return counts;
}

/** Resident memory of a process tree: current total, and each process's own peak (VmHWM) in kB. */
export interface TreeMemory {
  rssKb: number;
  peakKbByPid: Map<number, number>;
}

/** Resident memory of a process and all its descendants, from /proc (zero where /proc is unavailable). */
export function treeMemory(rootPid: number): TreeMemory {
  const result: TreeMemory = { rssKb: 0, peakKbByPid: new Map() };
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return result;
  }
  const parentOf = new Map<number, number>();
  const memoryOf = new Map<number, [number, number]>();
  for (const entry of entries) {
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
      parentOf.set(Number(entry), field("PPid"));
      memoryOf.set(Number(entry), [field("VmRSS"), field("VmHWM")]);
    } catch {
      // The process ended while we looked.
    }
  }
  const inTree = new Set([rootPid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, parent] of parentOf)
      if (!inTree.has(pid) && inTree.has(parent)) {
        inTree.add(pid);
        grew = true;
      }
  }
  for (const pid of inTree) {
    const [rss, hwm] = memoryOf.get(pid) ?? [0, 0];
    result.rssKb += rss;
    result.peakKbByPid.set(pid, hwm);
  }
  return result;
}

/**
 * Samples a process tree's memory every 250 ms until stopped; the peak is the sum of each process's own high-water
 * mark (VmHWM), which also catches spikes between samples (an upper bound when processes peak at different times).
 * Only processes seen in two samples or more count: a helper that lives less than a sampling period (the `chmod` or
 * `stat` Hadoop runs per local file) can be caught between fork and exec, when its resident memory is still its
 * parent's, and counting it would add a second JVM's worth of memory that was never used. Such helpers are tiny once
 * they run.
 */
export function trackPeakMemory(pid: number | undefined): { stop(): number } {
  const peaks = new Map<number, number>();
  const sightings = new Map<number, number>();
  const sample = () => {
    if (!pid) return;
    for (const [child, kb] of treeMemory(pid).peakKbByPid) {
      peaks.set(child, Math.max(peaks.get(child) ?? 0, kb));
      sightings.set(child, (sightings.get(child) ?? 0) + 1);
    }
  };
  sample();
  const timer = setInterval(sample, 250);
  return {
    stop() {
      sample();
      clearInterval(timer);
      let total = 0;
      for (const [child, kb] of peaks) if ((sightings.get(child) ?? 0) >= 2) total += kb;
      return Math.round(total / 1024);
    },
  };
}

/** Runs a job's Glue script on local Spark; resolves with its report, or rejects when the job fails. */
export async function runJob(options: RunJobOptions): Promise<JobOutcome> {
  const target: JobTarget = options.bucket ? { bucket: options.bucket } : { lakeDir: options.lakeDir ?? "" };
  if (!options.bucket && !options.lakeDir) throw new Error("runJob: give a bucket or a lakeDir");
  const command = jobCommand(options.job, target, options.date ?? "latest");
  const script = command.args[0] as string;
  if (!existsSync(script)) throw new Error(`${options.job}: its entry script ${script} does not exist yet`);
  const started = performance.now();
  // Owned: the driver, its JVM and its workers die with the command that started them, even after a SIGKILL.
  const child = spawnOwned(command.command, command.args, {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", options.log ? "pipe" : "inherit"],
    env: { ...process.env, ...command.env, ...options.env },
  });
  const log: LoggedStream | undefined =
    options.log && child.stderr ? logStream(child.stderr, options.log, options.verbose) : undefined;
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    if (options.echo !== false) process.stdout.write(chunk);
  });
  const memory = trackPeakMemory(child.pid);
  let peakRssMb = 0;
  try {
    const code = await new Promise<number>((resolveExit, reject) => {
      child.once("error", (error) => reject(new Error(`could not start ${command.command}: ${error.message}`)));
      child.once("close", (exitCode, signal) => resolveExit(exitCode ?? (signal ? 1 : 0)));
    });
    await log?.close();
    if (code !== 0) {
      if (!log) throw new Error(`job ${options.job} failed with exit code ${code} (its log is above)`);
      const where = displayPath(options.log as string);
      throw new Error(`job ${options.job} failed (exit ${code}): ${failureLine(log.tail())} (full log: ${where})`);
    }
  } finally {
    peakRssMb = memory.stop();
  }
  const report = lastJsonObject(stdout);
  return {
    report,
    counts: reportCounts(report),
    peakRssMb,
    seconds: (performance.now() - started) / 1000,
  };
}

async function main(): Promise<void> {
  const { name, target, date, verbose } = parseJobArgs(process.argv.slice(2));
  exitOnSignals((signal) => `job ${name}: stopped by ${signal}; Spark was stopped with it, run the command again`);
  // A job on a local folder writes into it: it runs alone there, and not while a demo owns that lake.
  if ("lakeDir" in target)
    await acquireFolderLease(target.lakeDir, `npm run job -- ${name}`, `--lake-dir ${target.lakeDir}`);
  const log = logFile(REPO_LOG_DIR, `job-${name}`);
  console.error(`job ${name}: ${lakeRoot(target)} date ${date} (Spark's log: ${displayPath(log)})`);
  const outcome = await runJob({ job: name, ...target, date, log, verbose });
  console.error(`job ${name}: done in ${outcome.seconds.toFixed(1)} s, peak RSS ${outcome.peakRssMb} MB`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`job: ${error instanceof Error ? error.message : String(error)}`);
    // 2 for a wrong command line or setting (rerunning unchanged cannot help), 1 for a failed run.
    process.exit(exitCodeOf(error));
  });
}
