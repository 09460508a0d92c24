/**
 * One Python process and one Spark JVM for several local job runs (issue 12 #3). Starting Spark (the JVM, the s3a jars
 * from the Ivy cache, PySpark) costs 10-20 s, more than a job itself at the demo's scale, so the demo runs its three
 * jobs through one driver (`glue/local/jobs_driver.py`): each job's unchanged entry script, its `main(argv, spark)`
 * given exactly the argv Glue gives it (lake/jobs.ts, built by {@link jobCommand}) and the shared session, with what
 * one job leaves in Spark reset before the next (see the driver's doc). `npm run job` and the benchmarks keep one
 * process per job ({@link runJob}), which is also what Glue does.
 *
 * The driver is an owned child (children.ts): it and its JVM end with the command that started it, SIGKILL included.
 * A job's one-line failure (`cinelake <job>: ...`) comes back as its result; a driver that dies, or that would have to
 * start Spark with other settings, is replaced by a new one for the next job.
 */
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Readable, Writable } from "node:stream";
import type { JobName } from "../../lake/jobs";
import { spawnOwned, stopOwned } from "./children";
import { jobCommand, reportCounts, trackPeakMemory, treeMemory, type JobOutcome, type RunJobOptions } from "./job";
import { displayPath, failureLine, logSink, type LogSink } from "./processLog";

const REPO_ROOT = resolve(__dirname, "..", "..");

/** The driver script: local only, outside the package shipped to Glue. */
export const DRIVER_SCRIPT = join(REPO_ROOT, "glue", "local", "jobs_driver.py");

/** How long a driver may take to end once its input closes: its own wait for a JVM writing the class archive
 * (ARCHIVE_WRITE_TIMEOUT_S in jobs_driver.py, 120 s) and a little more. */
export const DRIVER_STOP_TIMEOUT_MS = 150_000;

/**
 * Variables a job gets per request: the driver applies them around each job and the entry hands them to s3a in
 * memory (cinelake.session.apply_local_s3a), so jobs against other endpoints or keys share a driver. Any other
 * variable may be read when Spark starts (CINELAKE_SPARK_MASTER, CINELAKE_DRIVER_MEMORY, JAVA_HOME, ...): a job whose
 * environment differs there gets a new driver.
 */
const PER_JOB_ENV = /^AWS_/;

/** A job run through the driver: the run's outcome plus the pid of the Python process that ran it. */
export interface DriverJobOutcome extends JobOutcome {
  /** The driver's pid: the same for every job one driver ran. */
  pid: number;
}

/** The result line the driver writes on its descriptor 3 after each job. */
interface DriverResult {
  job: string;
  ok: boolean;
  pid: number;
  seconds: number;
  report?: Record<string, unknown>;
  error?: string;
}

/** A started driver process and where its output goes. */
interface Running {
  child: ChildProcess;
  /** The environment it was started with, AWS variables left out (see {@link PER_JOB_ENV}). */
  startKey: string;
  /** Where its stdout and stderr go now: the current job's log. */
  sink: LogSink | undefined;
  /** Echo stdout (the job's report) to the terminal. */
  echo: boolean;
  /** Why it ended, once it has: the exit code or signal. */
  ended?: string;
  /** Waiting for the current job's result line. */
  waiting?: (result: DriverResult | Error) => void;
}

/** Sets each process's peak resident memory (VmHWM) back to its current size, so a peak is measured per job. */
function resetPeakMemory(pid: number): void {
  for (const child of treeMemory(pid).peakKbByPid.keys())
    try {
      writeFileSync(`/proc/${child}/clear_refs`, "5");
    } catch {
      // Not Linux, or the process ended: peaks then span the driver's life, an upper bound.
    }
}

function environmentKey(env: NodeJS.ProcessEnv): string {
  const kept = Object.entries(env).filter(([name, value]) => value !== undefined && !PER_JOB_ENV.test(name));
  return JSON.stringify(kept.sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * Runs Spark jobs one after another in one Python process and one JVM, started at the first job. Call
 * {@link JobDriver.stop} when done (the driver also ends with this command).
 */
export class JobDriver {
  private running: Running | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /** The pid of the driver process now running, if any. */
  get pid(): number | undefined {
    return this.running?.ended === undefined ? this.running?.child.pid : undefined;
  }

  /** Runs one job; resolves with its report, or rejects with its one-line reason. Calls are run one at a time. */
  run(options: RunJobOptions): Promise<DriverJobOutcome> {
    const next = this.queue.then(() => this.runNow(options));
    this.queue = next.catch(() => {});
    return next;
  }

  /**
   * Starts the driver and its Spark session for a job to come (same options as its `run`), without running it, so
   * the JVM starts while the caller does other work; the job's `run` then waits only for what is left of the start.
   * Resolves when Spark is up; rejects with the reason it could not start (the job's own run would then fail too).
   */
  warm(options: RunJobOptions): Promise<void> {
    const next = this.queue.then(() => this.runNow(options, true));
    this.queue = next.catch(() => {});
    return next.then(() => undefined);
  }

  /** Ends the driver: its input is closed so Spark stops cleanly, then its process group is ended. */
  async stop(): Promise<void> {
    await this.queue;
    await this.shutdown();
  }

  private async shutdown(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (!running) return;
    const child = running.child;
    if (running.ended === undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((done) => child.once("exit", () => done()));
      child.stdin?.end();
      // Spark stops within a second or two, but the first run on a machine also waits while the JVM writes its class
      // archive (glue/local/jobs_driver.py, about 10 s); a driver that takes longer is ended with its whole group.
      const timer = setTimeout(() => void stopOwned(child), DRIVER_STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    await running.sink?.close();
  }

  private start(command: string, env: NodeJS.ProcessEnv, startKey: string): Running {
    const child = spawnOwned(command, [DRIVER_SCRIPT], {
      cwd: REPO_ROOT,
      stdio: ["pipe", "pipe", "pipe", "pipe"],
      // Unbuffered, so a job's output is in its log before its result line arrives.
      env: { ...env, PYTHONUNBUFFERED: "1" },
    });
    const running: Running = { child, startKey, sink: undefined, echo: false };
    child.stdin?.on("error", () => {});
    child.stdout?.on("data", (chunk: Buffer) => {
      running.sink?.write(chunk);
      if (running.echo) process.stdout.write(chunk);
    });
    child.stderr?.on("data", (chunk: Buffer) =>
      running.sink ? running.sink.write(chunk) : process.stderr.write(chunk),
    );
    let pending = "";
    (child.stdio[3] as Readable | null)?.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines.filter((text) => text.trim() !== "")) {
        const waiting = running.waiting;
        running.waiting = undefined;
        waiting?.(JSON.parse(line) as DriverResult);
      }
    });
    child.once("error", (error) => {
      running.ended = "error";
      running.waiting?.(new Error(`could not start ${command}: ${error.message}`));
      running.waiting = undefined;
    });
    child.once("close", (code, signal) => {
      running.ended = signal ? `signal ${signal}` : `exit ${code}`;
      running.waiting?.(new Error(`its driver ended (${running.ended})`));
      running.waiting = undefined;
    });
    return running;
  }

  private async runNow(options: RunJobOptions, warmOnly = false): Promise<DriverJobOutcome> {
    if (!options.bucket && !options.lakeDir) throw new Error("JobDriver.run: give a bucket or a lakeDir");
    const target = options.bucket ? { bucket: options.bucket } : { lakeDir: options.lakeDir ?? "" };
    const job: JobName = options.job;
    const command = jobCommand(job, target, options.date ?? "latest");
    const env: NodeJS.ProcessEnv = { ...process.env, ...command.env, ...options.env };
    const startKey = environmentKey(env);
    if (this.running && (this.running.ended !== undefined || this.running.startKey !== startKey)) await this.shutdown();
    this.running ??= this.start(command.command, env, startKey);
    const running = this.running;

    await running.sink?.close();
    running.sink = options.log ? logSink(options.log, options.verbose) : undefined;
    running.echo = options.echo !== false;
    const where = options.log ? ` (full log: ${displayPath(options.log)})` : "";
    const started = performance.now();
    if (running.child.pid) resetPeakMemory(running.child.pid);
    const memory = trackPeakMemory(running.child.pid);
    const result = await new Promise<DriverResult | Error>((resolveResult) => {
      if (running.ended !== undefined) return resolveResult(new Error(`its driver ended (${running.ended})`));
      running.waiting = resolveResult;
      const perJob = Object.fromEntries(Object.entries(env).filter(([name]) => PER_JOB_ENV.test(name)));
      const request = warmOnly
        ? { job, warm: true, argv: [], env: perJob }
        : { job, script: command.args[0], argv: command.args, env: perJob };
      (running.child.stdin as Writable).write(`${JSON.stringify(request)}\n`);
    });
    const peakRssMb = memory.stop();
    if (result instanceof Error) {
      if (result.message.startsWith("could not start")) throw result;
      // The driver died mid-job (a JVM crash, a kill): its own last words say why, where there are any.
      const tail = running.sink?.tail() ?? "";
      const reason = tail.trim() ? `${result.message}: ${failureLine(tail)}` : result.message;
      throw new Error(`job ${job} failed: ${reason}${where}`);
    }
    if (!result.ok) throw new Error(`job ${job} failed: ${result.error ?? "no reason given"}${where}`);
    const report = result.report ?? {};
    return {
      report,
      counts: reportCounts(report),
      peakRssMb,
      seconds: (performance.now() - started) / 1000,
      pid: result.pid,
    };
  }
}
