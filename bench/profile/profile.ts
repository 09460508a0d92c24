/**
 * One job's profile: the Spark jobs of its event log, the S3 requests it made and the CPU of its processes,
 * attributed to the steps of its run report by time (a Spark job belongs to the step it was submitted in; the
 * steps' absolute times come from bench/profile/py/sitecustomize.py, the report itself keeps only durations).
 */
import { readFileSync } from "node:fs";
import type { EventLog, SparkJobRecord } from "./eventLog";
import { cpuBetween, type CpuSample, type Role } from "./procCpu";
import { summarizeCalls, type S3Call } from "./s3Timing";

/** What sitecustomize.py recorded (epoch seconds). */
export interface PythonEvents {
  pythonStart?: number;
  pythonEnd?: number;
  session?: { start: number; end: number };
  steps: { name: string; start: number; end: number }[];
  /** The job code's own perf_counter readings: wall time and counter value. */
  clocks: { time: number; perf: number }[];
}

/**
 * Steps placed in time for a job that times them itself: each of the report's durations (in order) is matched to
 * the first later pair of the job's perf_counter readings that differ by that duration (the report rounds to ms).
 */
export function stepsFromClocks(
  clocks: { time: number; perf: number }[],
  durations: Record<string, number>,
): { name: string; start: number; end: number }[] {
  const steps: { name: string; start: number; end: number }[] = [];
  let from = 0;
  for (const [name, seconds] of Object.entries(durations)) {
    let found = false;
    for (let i = from; i < clocks.length && !found; i++)
      for (let j = i + 1; j < clocks.length; j++) {
        const start = clocks[i] as { time: number; perf: number };
        const end = clocks[j] as { time: number; perf: number };
        if (Math.abs(end.perf - start.perf - seconds) <= 0.0015) {
          steps.push({ name, start: start.time, end: start.time + (end.perf - start.perf) });
          from = j;
          found = true;
          break;
        }
      }
  }
  return steps;
}

/** Reads sitecustomize.py's JSON lines. */
export function readPythonEvents(path: string): PythonEvents {
  const events: PythonEvents = { steps: [], clocks: [] };
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return events;
  }
  for (const line of text.split("\n").filter(Boolean)) {
    const event = JSON.parse(line) as {
      event: string;
      time?: number;
      start?: number;
      end?: number;
      name?: string;
      perf?: number;
    };
    if (event.event === "python_start") events.pythonStart = event.time;
    else if (event.event === "python_end") events.pythonEnd = event.time;
    else if (event.event === "session" && !events.session)
      events.session = { start: event.start ?? NaN, end: event.end ?? NaN };
    else if (event.event === "clock") events.clocks.push({ time: event.time ?? NaN, perf: event.perf ?? NaN });
    else if (event.event === "step")
      events.steps.push({ name: event.name ?? "?", start: event.start ?? NaN, end: event.end ?? NaN });
  }
  return events;
}

/** Spark and S3 figures summed over a set of Spark jobs and requests. */
export interface Figures {
  sparkJobs: number;
  /** SQL executions (DataFrame actions and writes: each is planned, run and committed on its own). */
  actions: number;
  stages: number;
  tasks: number;
  taskSeconds: number;
  taskCpuSeconds: number;
  gcSeconds: number;
  shuffleReadMb: number;
  shuffleWriteMb: number;
  inputMb: number;
  outputMb: number;
  s3Requests: number;
  /** Summed request time, and time with at least one request outstanding. */
  s3Seconds: number;
  s3BusySeconds: number;
}

/** One step of the run report (or the time outside every step: start-up, listing, report, exit). */
export interface StepProfile extends Figures {
  step: string;
  wallSeconds: number;
  /** CPU seconds of Spark's Python workers during the step (sampled from /proc). */
  pythonWorkerCpuSeconds: number;
  /** CPU seconds of the JVM and of the S3 API server during the step. */
  jvmCpuSeconds: number;
  s3ServerCpuSeconds: number;
}

/** One call site of the job's code (an action, read or write) and what its Spark jobs cost. */
export interface CallSiteProfile extends Figures {
  callSite: string;
  /** Caller frames (innermost first) of the first Spark job at this call site. */
  callStack: string;
  step: string;
  /** Wall time of its SQL executions (planning, jobs, commit), or of its jobs when no SQL execution was recorded. */
  actionSeconds: number;
  /** Wall time of the Spark jobs themselves; the difference is driver-side (planning, listing, commit renames). */
  jobSeconds: number;
}

/** The profile of one job run. */
export interface JobProfile {
  job: string;
  wallSeconds: number;
  peakRssMb: number;
  /** Process start to the interpreter's site initialisation (Python start-up). */
  pythonStartSeconds: number;
  /** SparkSession creation: JVM launch, s3a jars from the Ivy cache, SparkContext (getOrCreate). */
  jvmStartSeconds: number;
  cpuSeconds: Record<Role, number>;
  steps: StepProfile[];
  totals: Figures;
  s3ByOperation: Record<string, { requests: number; seconds: number }>;
  callSites: CallSiteProfile[];
  /** The job's own report (counts and step durations), for checking that the profiled run did the same work. */
  report: Record<string, unknown>;
}

/** Intervals in epoch ms. */
type Span = [number, number];
const inSpans = (spans: Span[], time: number) => spans.some(([from, to]) => time >= from && time <= to);
const MB = 1024 * 1024;

function figures(jobs: SparkJobRecord[], calls: S3Call[], actions: number): Figures {
  const sum = (pick: (job: SparkJobRecord) => number) => jobs.reduce((total, job) => total + pick(job), 0);
  const s3 = summarizeCalls(calls);
  return {
    sparkJobs: jobs.length,
    actions,
    stages: sum((job) => job.stages),
    tasks: sum((job) => job.tasks),
    taskSeconds: sum((job) => job.taskRunMs) / 1000,
    taskCpuSeconds: sum((job) => job.taskCpuMs) / 1000,
    gcSeconds: sum((job) => job.gcMs) / 1000,
    shuffleReadMb: sum((job) => job.shuffleReadBytes) / MB,
    shuffleWriteMb: sum((job) => job.shuffleWriteBytes) / MB,
    inputMb: sum((job) => job.inputBytes) / MB,
    outputMb: sum((job) => job.outputBytes) / MB,
    s3Requests: s3.requests,
    s3Seconds: s3.seconds,
    s3BusySeconds: s3.busySeconds,
  };
}

/** What {@link buildJobProfile} combines. */
export interface JobRunData {
  job: string;
  /** Epoch ms when the runner started the job's process, and when it had exited. */
  started: number;
  ended: number;
  peakRssMb: number;
  report: Record<string, unknown>;
  eventLog: EventLog;
  python: PythonEvents;
  calls: S3Call[];
  cpu: CpuSample[];
}

/** Attributes the run's Spark jobs, requests and CPU to its steps and call sites. */
export function buildJobProfile(data: JobRunData): JobProfile {
  const { eventLog, python, calls, cpu } = data;
  const spansByStep = new Map<string, Span[]>();
  const durations = (data.report.durations_s ?? {}) as Record<string, number>;
  const reported = python.steps.length ? python.steps : stepsFromClocks(python.clocks, durations);
  for (const step of reported) {
    const spans = spansByStep.get(step.name) ?? [];
    spans.push([step.start * 1000, step.end * 1000]);
    spansByStep.set(step.name, spans);
  }
  const allStepSpans = [...spansByStep.values()].flat();
  const outside = "(outside steps: start-up, listing, report, exit)";
  const stepOf = (time: number) => {
    // The innermost (shortest) step containing the instant, should steps ever nest.
    let best: [string, number] | undefined;
    for (const [name, spans] of spansByStep)
      for (const [from, to] of spans)
        if (time >= from && time <= to && (!best || to - from < best[1])) best = [name, to - from];
    return best?.[0] ?? outside;
  };
  const sqlStepOf = new Map(eventLog.sql.map((sql) => [sql.id, stepOf(sql.start)]));
  const jobStep = (job: SparkJobRecord) =>
    job.sqlExecutionId !== undefined
      ? (sqlStepOf.get(job.sqlExecutionId) ?? stepOf(job.submitted))
      : stepOf(job.submitted);

  const stepRow = (name: string, spans: Span[], wallSeconds: number): StepProfile => {
    const jobs = eventLog.jobs.filter((job) => jobStep(job) === name);
    const stepCalls = calls.filter((call) =>
      name === outside ? !inSpans(allStepSpans, call.start) : inSpans(spans, call.start),
    );
    const actions = eventLog.sql.filter((sql) => sqlStepOf.get(sql.id) === name).length;
    const cpuIn = (role: Role) => spans.reduce((total, [from, to]) => total + cpuBetween(cpu, role, from, to), 0);
    return {
      step: name,
      wallSeconds,
      ...figures(jobs, stepCalls, actions),
      pythonWorkerCpuSeconds: cpuIn("pythonWorkers"),
      jvmCpuSeconds: cpuIn("jvm"),
      s3ServerCpuSeconds: cpuIn("s3Server"),
    };
  };
  const steps = [...spansByStep].map(([name, spans]) =>
    stepRow(name, spans, spans.reduce((total, [from, to]) => total + (to - from), 0) / 1000),
  );
  const wallSeconds = (data.ended - data.started) / 1000;
  const inSteps = steps.reduce((total, step) => total + step.wallSeconds, 0);
  // Outside the steps: the whole run minus the steps (CPU over the run, less what the steps used).
  const outsideRow = stepRow(outside, [[data.started, data.ended]], wallSeconds - inSteps);
  for (const key of ["pythonWorkerCpuSeconds", "jvmCpuSeconds", "s3ServerCpuSeconds"] as const)
    outsideRow[key] -= steps.reduce((total, step) => total + step[key], 0);
  steps.push(outsideRow);

  const bySite = new Map<string, SparkJobRecord[]>();
  for (const job of eventLog.jobs) {
    const site = job.callSite || "(no call site)";
    bySite.set(site, [...(bySite.get(site) ?? []), job]);
  }
  const callSites: CallSiteProfile[] = [...bySite].map(([site, jobs]) => {
    const sqls = eventLog.sql.filter((sql) => sql.description === site);
    const spans: Span[] = sqls.length
      ? sqls.map((sql) => [sql.start, sql.end])
      : jobs.map((job) => [job.submitted, job.completed]);
    const siteCalls = calls.filter((call) => inSpans(spans, call.start));
    const duration = (spanList: Span[]) =>
      spanList.reduce((total, [from, to]) => total + (Number.isFinite(to) ? to - from : 0), 0) / 1000;
    return {
      callSite: site,
      callStack: jobs[0]?.callStack ?? "",
      step: jobStep(jobs[0] as SparkJobRecord),
      actionSeconds: duration(spans),
      jobSeconds: duration(jobs.map((job) => [job.submitted, job.completed])),
      ...figures(jobs, siteCalls, sqls.length),
    };
  });
  callSites.sort((a, b) => b.actionSeconds - a.actionSeconds);

  const s3ByOperation: Record<string, { requests: number; seconds: number }> = {};
  for (const call of calls) {
    const entry = (s3ByOperation[call.operation] ??= { requests: 0, seconds: 0 });
    entry.requests += 1;
    entry.seconds += (call.end - call.start) / 1000;
  }
  const roles: Role[] = ["pythonWorkers", "jvm", "pythonDriver", "s3Server", "other"];
  return {
    job: data.job,
    wallSeconds,
    peakRssMb: data.peakRssMb,
    pythonStartSeconds: python.pythonStart ? python.pythonStart - data.started / 1000 : NaN,
    jvmStartSeconds: python.session ? python.session.end - python.session.start : NaN,
    cpuSeconds: Object.fromEntries(
      roles.map((role) => [role, cpuBetween(cpu, role, data.started, data.ended)]),
    ) as Record<Role, number>,
    steps,
    totals: figures(eventLog.jobs, calls, eventLog.sql.length),
    s3ByOperation,
    callSites,
    report: data.report,
  };
}
