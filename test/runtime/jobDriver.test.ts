/**
 * The local jobs driver (issue 12 #3): several Glue entry scripts in one Python process and one JVM. Its protocol is
 * driven directly with probe scripts that leave state behind (none of it may reach the next job) and that fail (the
 * one-line reason comes back, the next request still runs); then the real jobs through {@link JobDriver} against
 * moto, one of them pointed at a refusing endpoint first.
 */
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join, relative } from "node:path";
import type { Readable } from "node:stream";
import { GLUE_SHARED_PACKAGE, JOBS } from "../../lake/jobs";
import { DATASETS, lakeKey, reportPrefix } from "../../lake/paths";
import { codeFiles } from "../../runtime/local/fingerprint";
import { DRIVER_SCRIPT, JobDriver } from "../../runtime/local/jobDriver";
import { generateSample } from "../../runtime/sample/generate";
import { startS3Server, type LocalS3Server } from "../../runtime/local/s3Server";
import { makeS3Client } from "../../runtime/shared/s3Client";
import { isRunning } from "../support/timedProcess";

const ROOT = join(__dirname, "..", "..");
const SPARK_ENV = { CINELAKE_SPARK_MASTER: "local[2]", CINELAKE_DRIVER_MEMORY: "1g", SPARK_LOCAL_IP: "127.0.0.1" };

/** A probe entry script: reports what it finds left over, then leaves every kind of state behind. */
const PROBE = `
import os, sys
import cinelake

def main(argv, spark):
    from pyspark.sql import SparkSession
    hadoop = spark.sparkContext._jsc.hadoopConfiguration()
    seen = {
        "argv": argv,
        "sys_argv": sys.argv,
        "shuffle_partitions": spark.conf.get("spark.sql.shuffle.partitions"),
        "temp_views": sorted(t.name for t in spark.catalog.listTables() if t.isTemporary),
        "global_views": sorted(t.name for t in spark.catalog.listTables("global_temp")),
        "cache_empty": spark._jsparkSession.sharedState().cacheManager().isEmpty(),
        "persisted_rdds": spark.sparkContext._jsc.getPersistentRDDs().size(),
        "hadoop_key": hadoop.get("cinelake.test.leak"),
        "s3a_endpoint": hadoop.get("fs.s3a.endpoint"),
        "module_state": getattr(cinelake, "leaked", None),
        "env": os.environ.get("CINELAKE_TEST_LEAK"),
        "aws_endpoint": os.environ.get("AWS_ENDPOINT_URL"),
        "active_is_given": SparkSession.getActiveSession() is spark,
    }
    spark.conf.set("spark.sql.shuffle.partitions", "3")
    frame = spark.range(10)
    frame.createOrReplaceTempView("leak")
    frame.createOrReplaceGlobalTempView("global_leak")
    spark.table("leak").cache().count()
    spark.sparkContext.parallelize(range(5)).cache().count()
    hadoop.set("cinelake.test.leak", "yes")
    hadoop.set("fs.s3a.endpoint", "http://127.0.0.1:9")
    cinelake.leaked = True
    os.environ["CINELAKE_TEST_LEAK"] = "yes"
    if "--fail" in argv:
        raise SystemExit("cinelake probe: asked to fail; run it without --fail")
    if "--raise" in argv:
        raise ValueError("a bare error")
    return seen
`;

interface Result {
  job: string;
  ok: boolean;
  pid: number;
  report?: Record<string, unknown>;
  error?: string;
}

/** The driver started directly: requests on stdin, results read from descriptor 3. */
function startDriver(): { child: ChildProcessWithoutNullStreams; request(body: object): Promise<Result> } {
  const child = spawn("python3", [DRIVER_SCRIPT], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe", "pipe"],
    env: {
      ...process.env,
      ...SPARK_ENV,
      PYTHONPATH: [join(ROOT, GLUE_SHARED_PACKAGE, ".."), process.env.PYTHONPATH].filter(Boolean).join(delimiter),
    },
  }) as unknown as ChildProcessWithoutNullStreams;
  child.stdout.resume();
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  const waiting: ((result: Result) => void)[] = [];
  let pending = "";
  (child.stdio[3] as unknown as Readable).on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) waiting.shift()?.(JSON.parse(line) as Result);
  });
  return {
    child,
    request: (body) =>
      new Promise<Result>((resolve, reject) => {
        waiting.push(resolve);
        child.once("close", (code) => reject(new Error(`driver ended (${code}):\n${stderr}`)));
        child.stdin.write(`${JSON.stringify(body)}\n`);
      }),
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("local jobs driver: several entry scripts in one Python process and one JVM (issue 12 #3)", function () {
  this.timeout(600_000);
  const scratch = mkdtempSync(join(tmpdir(), "cinelake-driver-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("fingerprints every file of the shared package, its subpackages included", () => {
    const packageDir = join(ROOT, GLUE_SHARED_PACKAGE);
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) return name === "__pycache__" ? [] : walk(path);
        return /\.(py|json)$/.test(name) ? [path] : [];
      });
    const files = codeFiles("refined");
    expect(files[0]).to.equal(join(ROOT, JOBS.refined.script));
    expect([...files.slice(1)].sort()).to.deep.equal(walk(packageDir).sort());
    const nested = walk(packageDir).filter((path) => relative(packageDir, path).includes("/"));
    for (const path of nested) expect(files, "a subpackage's file").to.include(path);
  });

  it("gives each job a clean session: nothing a job leaves in Spark, Hadoop, Python or the environment reaches the next", async () => {
    const probe = join(scratch, "probe.py");
    writeFileSync(probe, PROBE);
    const driver = startDriver();
    try {
      const argv = [probe, "--lake_root", "file:///nowhere/", "--date", "latest"];
      const env = { AWS_ENDPOINT_URL: "http://127.0.0.1:1" };
      const first = await driver.request({ job: "probe", script: probe, argv, env });
      expect(first.ok, first.error).to.equal(true);
      const second = await driver.request({ job: "probe", script: probe, argv, env: {} });
      expect(second.ok, second.error).to.equal(true);
      const clean = {
        argv,
        sys_argv: argv,
        temp_views: [],
        global_views: [],
        cache_empty: true,
        persisted_rdds: 0,
        hadoop_key: null,
        module_state: null,
        env: null,
        active_is_given: true,
      };
      expect(first.report).to.deep.include({ ...clean, aws_endpoint: "http://127.0.0.1:1" });
      // The second job saw none of it: not the first one's settings, views, caches, module state or variables.
      expect(second.report).to.deep.include({ ...clean, aws_endpoint: null });
      expect(second.report?.s3a_endpoint).to.equal(first.report?.s3a_endpoint);
      // The session's own partition count (cinelake.session), not the 3 the first job set.
      expect(first.report?.shuffle_partitions)
        .to.match(/^[1-9]\d*$/)
        .and.not.equal("3");
      expect(second.report?.shuffle_partitions).to.equal(first.report?.shuffle_partitions);
      expect(second.pid).to.equal(first.pid);
      expect(first.pid).to.equal(driver.child.pid);
    } finally {
      driver.child.kill("SIGKILL");
    }
  });

  it("answers a failed job with its one-line reason and runs the next request in the same process", async () => {
    const probe = join(scratch, "probe-fail.py");
    writeFileSync(probe, PROBE);
    const driver = startDriver();
    try {
      const argv = (flag?: string) => [probe, "--lake_root", "file:///nowhere/", ...(flag ? [flag] : [])];
      const failed = await driver.request({ job: "probe", script: probe, argv: argv("--fail") });
      expect(failed).to.include({ ok: false, error: "cinelake probe: asked to fail; run it without --fail" });
      const raised = await driver.request({ job: "probe", script: probe, argv: argv("--raise") });
      expect(raised.ok).to.equal(false);
      expect(raised.error).to.match(/^cinelake probe: .*a bare error/);
      const missing = await driver.request({ job: "probe", script: join(scratch, "nope.py"), argv: argv() });
      expect(missing.ok).to.equal(false);
      expect(missing.error).to.match(/^cinelake probe: /);
      const after = await driver.request({ job: "probe", script: probe, argv: argv() });
      expect(after.ok, after.error).to.equal(true);
      // The failed runs' leftovers were cleared too.
      expect(after.report).to.deep.include({ temp_views: [], cache_empty: true, module_state: null, env: null });
      expect(new Set([failed.pid, raised.pid, missing.pid, after.pid]).size).to.equal(1);
    } finally {
      driver.child.kill("SIGKILL");
    }
  });

  describe("the real jobs through JobDriver against moto", () => {
    let server: LocalS3Server;
    let s3: S3Client;
    const bucket = "driver-lake";
    let movieRows = 0;

    before(async () => {
      server = await startS3Server();
      s3 = makeS3Client({ ...process.env, ...server.env });
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      const sample = await generateSample({ outDir: join(scratch, "sample"), titles: 30, seed: 3 });
      for (const [dataset, path, file] of [
        [DATASETS.rawMoviesCsv, sample.moviesPath, "movies.csv"],
        [DATASETS.rawSeriesCsv, sample.seriesPath, "series.csv"],
      ] as const) {
        const key = lakeKey({ ...dataset, date: "2024-05-02", file });
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(path) }));
      }
      movieRows = sample.movieRows;
    });
    after(() => server?.stop());

    it("runs a failing job, then the three jobs, all in one process; s3a settings of the failed one do not stick", async () => {
      const driver = new JobDriver();
      const log = join(scratch, "jobs.log");
      const base = { bucket, echo: false, log, env: { ...SPARK_ENV, ...server.env } };
      try {
        // The first run goes to a port nobody listens on: it fails with the entry's one line, naming the log.
        const refusing = { ...base.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}` };
        delete (refusing as Record<string, string>).AWS_ENDPOINT_URL_S3;
        const failed = await driver
          .run({ ...base, job: "trusted-csv", date: "2024-05-02", env: refusing })
          .catch((error: Error) => error);
        expect(failed).to.be.instanceOf(Error);
        expect((failed as Error).message).to.match(
          /^job trusted-csv failed: cinelake trusted-csv: .+ \(full log: \S+jobs\.log\)$/,
        );
        const firstPid = driver.pid;
        expect(firstPid).to.be.a("number");

        const csv = await driver.run({ ...base, job: "trusted-csv", date: "2024-05-02" });
        const tmdb = await driver.run({ ...base, job: "trusted-tmdb", date: "latest" });
        const refined = await driver.run({ ...base, job: "refined", date: "latest" });
        expect([csv.pid, tmdb.pid, refined.pid]).to.deep.equal([firstPid, firstPid, firstPid]);
        expect(csv.counts.datasets_movies_raw).to.equal(movieRows);
        expect(refined.counts.tables_fact_title).to.equal(30);
        expect(csv.peakRssMb).to.be.greaterThan(0);
        // What the successful run wrote is in the bucket: its run report for the day.
        const reports = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: `${reportPrefix("trusted-csv")}dt=2024-05-02/` }),
        );
        expect((reports.Contents ?? []).map((item) => item.Key)).to.have.length(1);
        expect(refined.report).to.have.property("job");

        // Other settings Spark starts with (here the driver's heap) need another JVM: a new driver, the old one gone.
        const other = await driver.run({
          ...base,
          job: "trusted-tmdb",
          env: { ...base.env, CINELAKE_DRIVER_MEMORY: "900m" },
        });
        expect(other.pid).not.to.equal(firstPid);
        expect(isRunning(firstPid as number), "the first driver still runs").to.equal(false);
      } finally {
        await driver.stop();
      }
      expect(driver.pid).to.equal(undefined);
    });

    it("warms up: Spark starts before the first job, which then runs in that same process and session", async () => {
      const driver = new JobDriver();
      const log = join(scratch, "warm.log");
      const options = { bucket, echo: false, log, env: { ...SPARK_ENV, ...server.env } };
      try {
        await driver.warm({ ...options, job: "trusted-csv", date: "2024-05-02" });
        const warmedPid = driver.pid;
        expect(warmedPid).to.be.a("number");
        const startsOfSpark = () => (readFileSync(log, "utf8").match(/:: resolving dependencies ::/g) ?? []).length;
        expect(readFileSync(log, "utf8")).to.include("job trusted-csv warm-up: Spark starts");
        expect(startsOfSpark(), "Spark started by the warm-up").to.equal(1);
        const csv = await driver.run({ ...options, job: "trusted-csv", date: "2024-05-02" });
        expect(csv.pid).to.equal(warmedPid);
        expect(csv.counts.datasets_movies_raw).to.equal(movieRows);
        expect(startsOfSpark(), "the job started Spark again").to.equal(1);
      } finally {
        await driver.stop();
      }
    });
  });
});
