/**
 * Spark's event log (`spark.eventLog.enabled`), read back: one JSON object per line, as Spark's own history server
 * reads it. Kept: every Spark job with its call site and SQL execution, the stages that really ran for it (skipped
 * stages never complete) and the summed task metrics of their tasks (run time, CPU, GC, shuffle, input, output).
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** One Spark job and what its stages' tasks did. */
export interface SparkJobRecord {
  id: number;
  /** Epoch ms of submission and completion (completion NaN when the log ends before it). */
  submitted: number;
  completed: number;
  /** Spark's call site: with bench/profile's hooks, `<action> at <file>:<function>:<line>` of the job's code. */
  callSite: string;
  /** The caller's frames outside pyspark, innermost first (`callSite.long`), when the hooks set them. */
  callStack: string;
  /** The SQL execution (query) that started it, or undefined for a plain RDD job. */
  sqlExecutionId?: number;
  /** Stages that ran (completed) for this job, and their tasks. */
  stages: number;
  tasks: number;
  /** Summed task metrics. */
  taskRunMs: number;
  taskCpuMs: number;
  gcMs: number;
  shuffleReadBytes: number;
  shuffleWriteBytes: number;
  inputBytes: number;
  outputBytes: number;
}

/** One SQL execution (a DataFrame action or write: the unit Spark plans and optimises). */
export interface SqlExecutionRecord {
  id: number;
  description: string;
  start: number;
  end: number;
}

/** What one application's event log holds. */
export interface EventLog {
  appStart: number;
  appEnd: number;
  jobs: SparkJobRecord[];
  sql: SqlExecutionRecord[];
}

type Json = Record<string, unknown>;
const num = (value: unknown): number => (typeof value === "number" ? value : Number(value ?? 0)) || 0;

/** Parses an event log's text (lines that do not parse, e.g. a last line cut off mid-write, are skipped). */
export function parseEventLog(text: string): EventLog {
  const log: EventLog = { appStart: NaN, appEnd: NaN, jobs: [], sql: [] };
  const jobsById = new Map<number, SparkJobRecord>();
  const jobOfStage = new Map<number, SparkJobRecord>();
  const sqlById = new Map<number, SqlExecutionRecord>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let event: Json;
    try {
      event = JSON.parse(line) as Json;
    } catch {
      continue;
    }
    const kind = String(event.Event ?? "");
    if (kind === "SparkListenerApplicationStart") log.appStart = num(event.Timestamp);
    else if (kind === "SparkListenerApplicationEnd") log.appEnd = num(event.Timestamp);
    else if (kind === "SparkListenerJobStart") {
      const properties = (event.Properties ?? {}) as Record<string, string>;
      const sqlId = properties["spark.sql.execution.id"];
      const job: SparkJobRecord = {
        id: num(event["Job ID"]),
        submitted: num(event["Submission Time"]),
        completed: NaN,
        callSite: properties["callSite.short"] ?? "",
        callStack: properties["callSite.long"] ?? "",
        ...(sqlId !== undefined ? { sqlExecutionId: Number(sqlId) } : {}),
        stages: 0,
        tasks: 0,
        taskRunMs: 0,
        taskCpuMs: 0,
        gcMs: 0,
        shuffleReadBytes: 0,
        shuffleWriteBytes: 0,
        inputBytes: 0,
        outputBytes: 0,
      };
      jobsById.set(job.id, job);
      log.jobs.push(job);
      // A stage runs in the first job that lists it; later jobs list it again as skipped (its shuffle is reused).
      for (const stageId of (event["Stage IDs"] ?? []) as number[])
        if (!jobOfStage.has(stageId)) jobOfStage.set(stageId, job);
    } else if (kind === "SparkListenerJobEnd") {
      const job = jobsById.get(num(event["Job ID"]));
      if (job) job.completed = num(event["Completion Time"]);
    } else if (kind === "SparkListenerStageCompleted") {
      const info = (event["Stage Info"] ?? {}) as Json;
      const job = jobOfStage.get(num(info["Stage ID"]));
      if (job) job.stages += 1;
    } else if (kind === "SparkListenerTaskEnd") {
      const job = jobOfStage.get(num(event["Stage ID"]));
      const metrics = (event["Task Metrics"] ?? {}) as Json;
      if (!job) continue;
      const read = (metrics["Shuffle Read Metrics"] ?? {}) as Json;
      const write = (metrics["Shuffle Write Metrics"] ?? {}) as Json;
      job.tasks += 1;
      job.taskRunMs += num(metrics["Executor Run Time"]);
      job.taskCpuMs += num(metrics["Executor CPU Time"]) / 1e6;
      job.gcMs += num(metrics["JVM GC Time"]);
      job.shuffleReadBytes += num(read["Remote Bytes Read"]) + num(read["Local Bytes Read"]);
      job.shuffleWriteBytes += num(write["Shuffle Bytes Written"]);
      job.inputBytes += num(((metrics["Input Metrics"] ?? {}) as Json)["Bytes Read"]);
      job.outputBytes += num(((metrics["Output Metrics"] ?? {}) as Json)["Bytes Written"]);
    } else if (kind.endsWith("SparkListenerSQLExecutionStart")) {
      const record: SqlExecutionRecord = {
        id: num(event.executionId),
        description: String(event.description ?? ""),
        start: num(event.time),
        end: NaN,
      };
      sqlById.set(record.id, record);
      log.sql.push(record);
    } else if (kind.endsWith("SparkListenerSQLExecutionEnd")) {
      const record = sqlById.get(num(event.executionId));
      if (record) record.end = num(event.time);
    }
  }
  return log;
}

/** Reads the one application log Spark wrote into `dir` (finished, or still `.inprogress` if the JVM was killed). */
export function readEventLogDir(dir: string): EventLog {
  const files = readdirSync(dir).filter((name) => !name.startsWith("."));
  if (files.length !== 1) throw new Error(`expected one Spark event log in ${dir}, found ${files.length}`);
  return parseEventLog(readFileSync(join(dir, files[0] as string), "utf8"));
}
