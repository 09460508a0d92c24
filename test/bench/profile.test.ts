import { expect } from "chai";
import { parseEventLog } from "../../bench/profile/eventLog";
import { buildJobProfile, stepsFromClocks } from "../../bench/profile/profile";
import { s3Operation, summarizeCalls } from "../../bench/profile/s3Timing";

/** A tiny event log: two jobs, the second reusing the first's shuffle stage (listed again, never completed). */
const LOG = [
  { Event: "SparkListenerApplicationStart", Timestamp: 1000 },
  {
    Event: "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart",
    executionId: 0,
    description: "count at glue/x.py:run:10",
    time: 1100,
  },
  {
    Event: "SparkListenerJobStart",
    "Job ID": 0,
    "Submission Time": 1110,
    "Stage IDs": [0, 1],
    Properties: { "callSite.short": "count at glue/x.py:run:10", "spark.sql.execution.id": "0" },
  },
  { Event: "SparkListenerStageCompleted", "Stage Info": { "Stage ID": 0 } },
  { Event: "SparkListenerStageCompleted", "Stage Info": { "Stage ID": 1 } },
  {
    Event: "SparkListenerTaskEnd",
    "Stage ID": 0,
    "Task Metrics": {
      "Executor Run Time": 400,
      "Executor CPU Time": 300e6,
      "Shuffle Write Metrics": { "Shuffle Bytes Written": 2 * 1024 * 1024 },
    },
  },
  {
    Event: "SparkListenerTaskEnd",
    "Stage ID": 1,
    "Task Metrics": {
      "Executor Run Time": 100,
      "Shuffle Read Metrics": { "Remote Bytes Read": 0, "Local Bytes Read": 2 * 1024 * 1024 },
    },
  },
  { Event: "SparkListenerJobEnd", "Job ID": 0, "Completion Time": 1600 },
  {
    Event: "SparkListenerJobStart",
    "Job ID": 1,
    "Submission Time": 1610,
    "Stage IDs": [1, 2],
    Properties: { "callSite.short": "count at glue/x.py:run:10", "spark.sql.execution.id": "0" },
  },
  { Event: "SparkListenerStageCompleted", "Stage Info": { "Stage ID": 2 } },
  { Event: "SparkListenerTaskEnd", "Stage ID": 2, "Task Metrics": { "Executor Run Time": 50 } },
  { Event: "SparkListenerJobEnd", "Job ID": 1, "Completion Time": 1700 },
  { Event: "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd", executionId: 0, time: 1900 },
]
  .map((event) => JSON.stringify(event))
  .join("\n");

describe("bench/profile", () => {
  it("reads jobs, the stages that ran for each, task metrics and SQL executions from an event log", () => {
    const log = parseEventLog(`${LOG}\n{"Event": "cut off mid-wr`);
    expect(log.jobs.map((job) => [job.id, job.stages, job.tasks, job.taskRunMs])).to.deep.equal([
      [0, 2, 2, 500],
      [1, 1, 1, 50],
    ]);
    expect(log.jobs[0]?.shuffleWriteBytes).to.equal(2 * 1024 * 1024);
    expect(log.jobs[0]?.shuffleReadBytes).to.equal(2 * 1024 * 1024);
    expect(log.jobs[0]?.taskCpuMs).to.equal(300);
    expect(log.sql).to.deep.equal([{ id: 0, description: "count at glue/x.py:run:10", start: 1100, end: 1900 }]);
  });

  it("attributes Spark jobs and S3 requests to steps and call sites by time", () => {
    const profile = buildJobProfile({
      job: "x",
      started: 0,
      ended: 3000,
      peakRssMb: 1,
      report: {},
      eventLog: parseEventLog(LOG),
      python: { steps: [{ name: "build", start: 1.05, end: 2 }], clocks: [] },
      calls: [
        { operation: "GetObject", start: 1200, end: 1300, status: 200, bytesIn: 0, bytesOut: 10 },
        { operation: "HeadObject", start: 2500, end: 2550, status: 404, bytesIn: 0, bytesOut: 0 },
      ],
      cpu: [],
    });
    const [build, outside] = profile.steps;
    expect(build).to.include({ step: "build", sparkJobs: 2, actions: 1, stages: 3, tasks: 3, s3Requests: 1 });
    expect(build?.wallSeconds).to.be.closeTo(0.95, 1e-9);
    expect(outside).to.include({ sparkJobs: 0, s3Requests: 1 });
    expect(outside?.wallSeconds).to.be.closeTo(2.05, 1e-9);
    expect(profile.callSites[0]).to.include({ callSite: "count at glue/x.py:run:10", step: "build", sparkJobs: 2 });
    expect(profile.callSites[0]?.actionSeconds).to.be.closeTo(0.8, 1e-9);
    expect(profile.callSites[0]?.jobSeconds).to.be.closeTo(0.58, 1e-9);
  });

  it("places self-timed steps by matching the report's durations to the job's clock readings", () => {
    const clocks = [
      { time: 100, perf: 5 },
      { time: 102.5, perf: 7.5 },
      { time: 102.5, perf: 7.5 },
      { time: 103.5, perf: 8.5 },
    ];
    expect(stepsFromClocks(clocks, { build: 2.5, checks: 1 })).to.deep.equal([
      { name: "build", start: 100, end: 102.5 },
      { name: "checks", start: 102.5, end: 103.5 },
    ]);
  });

  it("names S3 operations and sums overlapping requests once for busy time", () => {
    expect(s3Operation("GET", "/b/?list-type=2&prefix=a")).to.equal("ListObjectsV2");
    expect(s3Operation("HEAD", "/b/k/x.parquet")).to.equal("HeadObject");
    expect(s3Operation("POST", "/b/?delete")).to.equal("DeleteObjects");
    const call = (start: number, end: number) => ({ operation: "x", start, end, status: 200, bytesIn: 0, bytesOut: 0 });
    expect(summarizeCalls([call(0, 1000), call(500, 1500), call(3000, 3500)])).to.deep.equal({
      requests: 3,
      seconds: 2.5,
      busySeconds: 2,
    });
  });
});
