/**
 * `npm run demo -- --no-serve` end to end on a small sample: the real runtime code, the TMDB stand-in, the three Glue
 * jobs on local Spark through s3a against moto, the mirror and the DuckDB catalog; then a rerun, which must skip what
 * is already done; then a failing stage, which must be named. The demo's own output holds its stages and results only:
 * what Spark, Hadoop, log4j, py4j, Ivy and the SDKs print goes to the run's log file.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { expect } from "chai";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostname } from "node:os";
import { DATASETS, datasetPrefix, lakeKey, reportPrefix } from "../../lake/paths";
import { TABLES } from "../../lake/tables";
import { treeMemory } from "../../runtime/local/job";
import type { DemoReport, StageResult } from "../../runtime/local/report";

const ROOT = join(__dirname, "..", "..");
const DATE = "2024-06-01";
const TITLES = 120;

/** Lines the tools print that must never reach the demo's terminal (they belong in its log file). */
const TOOL_NOISE =
  /\b(WARN|INFO|ERROR) [\w.$]+:|log4j|NativeCodeLoader|:: resolving dependencies|Ivy Default Cache|py4j|s3a|MetricsConfig|NodeVersionSupportWarning|AWS SDK for JavaScript|DeprecationWarning/;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runDemo(home: string, extraEnv: Record<string, string> = {}, extraArgs: string[] = []): Promise<Run> {
  const args = ["tsx", "runtime/local/demo.ts", "--no-serve", "--home", home, "--date", DATE, ...extraArgs];
  args.push("--titles", String(TITLES), "--tmdb-limit", "80");
  const child = spawn("npx", args, { cwd: ROOT, env: { ...process.env, ...extraEnv } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code: code ?? 1, stdout, stderr })));
}

function latestReport(lakeDir: string): DemoReport {
  const dir = join(lakeDir, reportPrefix("demo"));
  const newest = readdirSync(dir).sort().at(-1) as string;
  return JSON.parse(readFileSync(join(dir, newest), "utf8")) as DemoReport;
}

function stageOf(report: DemoReport, name: string): StageResult {
  const stage = report.stages.find((candidate) => candidate.stage === name);
  if (!stage) throw new Error(`no stage ${name} in the report`);
  return stage;
}

async function scalar(catalog: string, sql: string): Promise<number> {
  const instance = await DuckDBInstance.create(catalog, { access_mode: "READ_ONLY" });
  try {
    const connection = await instance.connect();
    const rows = (await connection.runAndReadAll(sql)).getRows();
    return Number(rows[0]?.[0]);
  } finally {
    instance.closeSync();
  }
}

describe("npm run demo (end to end, small sample)", function () {
  this.timeout(20 * 60_000);
  const home = mkdtempSync(join(tmpdir(), "cinelake-demo-"));
  const lakeDir = join(home, "lake");
  let first: Run;
  let report: DemoReport;

  let refused: Run;

  before(async () => {
    // Two demos started at once on a fresh home: one builds the lake, the other is refused before any work.
    const runs = await Promise.all([runDemo(home), runDemo(home)]);
    first = runs.find((run) => run.code === 0) as Run;
    refused = runs.find((run) => run !== first) as Run;
    if (!first) throw new Error(`no demo succeeded:\n${runs.map((run) => run.stderr.slice(-2000)).join("\n")}`);
    report = latestReport(lakeDir);
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it("runs every stage and prints and stores the run report", () => {
    expect(report.ok).to.equal(true);
    expect(report.stages.map((stage) => stage.stage)).to.deep.equal([
      "prerequisites",
      "s3-server",
      "sample",
      "batch-ingest",
      "api-ingest",
      "trusted-csv",
      "trusted-tmdb",
      "refined",
      "mirror",
      "catalog",
    ]);
    for (const stage of report.stages) expect(stage.status, stage.stage).to.equal("ok");
    // The three Spark jobs ran in one Python process (and so one JVM), which ended with the demo (issue 12 #3).
    const pids = ["trusted-csv", "trusted-tmdb", "refined"].map((name) => stageOf(report, name).pid);
    expect(pids[0]).to.be.a("number");
    expect(pids).to.deep.equal([pids[0], pids[0], pids[0]]);
    expect(commandLine(pids[0] as number), "the jobs' driver outlived the demo").to.equal("");
    expect(first.stdout).to.include("cinelake local run succeeded");
    expect(first.stdout).to.include("no TMDB_TOKEN set: using the local TMDB stand-in");
  });

  it("refuses a second demo on the same home before any work, naming the holder and since when (issue 13 #2, #12)", () => {
    expect(refused.code).to.equal(1);
    expect(refused.stdout).not.to.include("▶");
    const lines = refused.stderr.split("\n").filter((line) => line.startsWith("✗"));
    expect(lines, refused.stderr).to.have.length(1);
    expect(lines[0]).to.match(
      new RegExp(
        `^✗ --home ${home} is in use by npm run demo \\(pid \\d+ on ${hostname()}, since \\d{4}-\\d\\d-\\d\\dT[^)]+\\): `,
      ),
    );
  });

  it("prints its own stages and results only, with the tools' output in the run's log file", () => {
    const noise = `${first.stdout}\n${first.stderr}`.split("\n").filter((line) => TOOL_NOISE.test(line));
    expect(noise, "tool output on the terminal").to.deep.equal([]);
    const logs = join(home, "logs");
    const named = /the tools' own output \(Spark, Hadoop, DuckDB\): (\S+demo-[\dT-]+Z\.log)/.exec(first.stdout)?.[1];
    expect(named, first.stdout.slice(-500)).to.be.a("string");
    const log = readFileSync(existsSync(named as string) ? (named as string) : join(ROOT, named as string), "utf8");
    expect(readdirSync(logs)).to.include((named as string).split("/").at(-1));
    // Spark's own banner and the s3a jars' resolution are there instead.
    expect(log).to.match(/Setting default log level to "WARN"/);
    expect(log).to.match(/org\.apache\.hadoop#hadoop-aws;3\.3\.4/);
  });

  it("lands both CSVs byte for byte at the seed's paths, mirrored into the lake folder", () => {
    for (const [dataset, file] of [
      [DATASETS.rawMoviesCsv, "movies.csv"],
      [DATASETS.rawSeriesCsv, "series.csv"],
    ] as const) {
      const landed = readFileSync(join(lakeDir, lakeKey({ ...dataset, date: DATE, file })));
      expect(landed.equals(readFileSync(join(home, "sample", file))), file).to.equal(true);
    }
  });

  it("stores TMDB's JSON in files of at most 100 records, one structure per spec, every fetched id once", () => {
    const api = stageOf(report, "api-ingest");
    const ids: number[] = [];
    for (const [dataset, titleField] of [
      [DATASETS.rawTmdbMovies, "title"],
      [DATASETS.rawTmdbSeries, "name"],
    ] as const) {
      // Dated by the day they were collected (today), whatever the CSVs' day.
      const dir = join(lakeDir, datasetPrefix(dataset));
      for (const file of readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".json"))) {
        expect(file).to.match(/^\d{4}\/\d{2}\/\d{2}\/[^/]+\.json$/);
        const records = JSON.parse(readFileSync(join(dir, file), "utf8")) as Record<string, unknown>[];
        expect(records.length).to.be.within(1, 100);
        for (const record of records) {
          expect(record, `${file} mixes structures`).to.have.property(titleField);
          ids.push(record.id as number);
        }
      }
    }
    const { fetched = 0, notFound = 0, failed = 0 } = api.counts;
    expect(ids.length).to.equal(fetched);
    expect(new Set(ids).size).to.equal(ids.length);
    expect(fetched + notFound + failed).to.equal(80);
  });

  it("accounts for every Raw row and every fetched TMDB record in the Trusted zone", () => {
    const tmdb = stageOf(report, "trusted-tmdb").counts;
    const raw = (tmdb.datasets_movies_raw ?? 0) + (tmdb.datasets_series_raw ?? 0);
    expect(raw).to.equal(stageOf(report, "api-ingest").counts.fetched);
    const csv = stageOf(report, "trusted-csv").counts;
    for (const kind of ["movies", "series"]) {
      const raw = csv[`datasets_${kind}_raw`] as number;
      const kept =
        (csv[`datasets_${kind}_trusted`] ?? 0) +
        (csv[`datasets_${kind}_quarantined`] ?? 0) +
        (csv[`datasets_${kind}_duplicates`] ?? 0);
      expect(raw, kind).to.be.greaterThan(0);
      expect(kept, kind).to.equal(raw);
    }
  });

  it("brings every title of the sample into the model and answers the views from the local catalog", async () => {
    const catalog = join(home, "catalog.duckdb");
    expect(await scalar(catalog, "SELECT count(*) FROM fact_title")).to.equal(TITLES);
    expect(await scalar(catalog, "SELECT count(DISTINCT title_key) FROM v_title_summary")).to.equal(TITLES);
    expect(await scalar(catalog, "SELECT count(*) FROM v_top_titles_by_genre_decade")).to.be.greaterThan(0);
  });

  it("reruns safely and quickly: nothing fetched again, no Spark job run again", async () => {
    const again = await runDemo(home);
    expect(again.code, again.stderr.slice(-2000)).to.equal(0);
    const rerun = latestReport(lakeDir);
    expect(rerun.startedAt).not.to.equal(report.startedAt);
    for (const name of ["sample", "api-ingest", "trusted-csv", "trusted-tmdb", "refined"])
      expect(stageOf(rerun, name).status, name).to.equal("skipped");
    expect(stageOf(rerun, "batch-ingest").summary).to.include("(unchanged)");
    expect(rerun.durationMs).to.be.lessThan(report.durationMs);
  });

  it("names the failed stage and exits non-zero", async () => {
    const failed = await runDemo(home, { PYTHON: "/nonexistent/python3" }, ["--force"]);
    expect(failed.code).to.equal(1);
    expect(failed.stderr).to.match(/stage "trusted-csv" failed: could not start \/nonexistent\/python3/);
    expect(failed.stdout).to.include("cinelake local run FAILED");
  });

  it("stops at a missing prerequisite, naming the fix, and leaves no S3 API server behind (it starts beside the probes)", async () => {
    const motoServers = () =>
      readdirSync("/proc")
        .filter((entry) => /^\d+$/.test(entry))
        .filter((pid) => /\bmoto_server\b/.test(commandLine(Number(pid))));
    const before = new Set(motoServers());
    const failed = await runDemo(home, { JAVA_HOME: "/nonexistent" }, ["--force"]);
    expect(failed.code).to.equal(1);
    expect(failed.stderr).to.match(/stage "prerequisites" failed: missing Java 17 .*fix: install a JDK 17/);
    expect(failed.stdout).not.to.include("▶ s3-server");
    const left = motoServers().filter((pid) => !before.has(pid));
    expect(
      left.map((pid) => commandLine(Number(pid))),
      "moto_server left running",
    ).to.deep.equal([]);
  });

  it("ends a failing Spark job with one line saying what went wrong and naming the log", async () => {
    // A heap size the JVM refuses: Spark cannot start, as when Java is broken.
    const failed = await runDemo(home, { CINELAKE_DRIVER_MEMORY: "lots" }, ["--force"]);
    expect(failed.code).to.equal(1);
    const reasons = failed.stderr.split("\n").filter((line) => line.startsWith("✗"));
    expect(reasons, failed.stderr.slice(-2000)).to.have.length(1);
    expect(reasons[0]).to.match(
      /^✗ stage "trusted-csv" failed: job trusted-csv failed: cinelake trusted-csv: \S.+ \(full log: \S+demo-\S+\.log\)$/,
    );
    const noise = `${failed.stdout}\n${failed.stderr}`.split("\n").filter((line) => TOOL_NOISE.test(line));
    expect(noise).to.deep.equal([]);
  });

  it("leaves no process behind when SIGKILLed, and its rerun resumes from the last finished stage with the clean run's rows (issue 13 #9)", async () => {
    const resumedHome = mkdtempSync(join(tmpdir(), "cinelake-demo-killed-"));
    try {
      // The demo itself (not npx), so the SIGKILL reaches the command that started the servers and Spark.
      const args = [
        "--no-serve",
        "--home",
        resumedHome,
        "--date",
        DATE,
        "--titles",
        String(TITLES),
        "--tmdb-limit",
        "80",
      ];
      const killed = spawn(process.execPath, ["--import", "tsx", "runtime/local/demo.ts", ...args], { cwd: ROOT });
      let output = "";
      killed.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      killed.stderr.on("data", () => {});
      const closed = new Promise((resolve) => killed.once("close", resolve));
      const pid = killed.pid as number;
      let tree: number[] = [];
      const deadline = Date.now() + 600_000;
      // Killed while the second Spark job runs: the sample, both ingests and the CSV job are done by then.
      while (!(output.includes("▶ trusted-tmdb") && tree.some((child) => /\bjava\b/.test(commandLine(child))))) {
        if (Date.now() > deadline || killed.exitCode !== null)
          throw new Error(`never reached trusted-tmdb:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
        tree = [...treeMemory(pid).peakKbByPid.keys()].filter((child) => child !== pid);
      }
      killed.kill("SIGKILL");
      await closed;
      const left = () => tree.filter((child) => commandLine(child) !== "");
      const until = Date.now() + 20_000;
      while (left().length > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 250));
      expect(left().map(commandLine), "left running after the demo's SIGKILL").to.deep.equal([]);

      const rerun = await runDemo(resumedHome);
      expect(rerun.code, rerun.stderr.slice(-2000)).to.equal(0);
      const resumed = latestReport(join(resumedHome, "lake"));
      for (const name of ["sample", "api-ingest", "trusted-csv"])
        expect(stageOf(resumed, name).status, name).to.equal("skipped");
      expect(stageOf(resumed, "batch-ingest").summary).to.include("(unchanged)");
      for (const name of ["trusted-tmdb", "refined"]) expect(stageOf(resumed, name).status, name).to.equal("ok");
      // Nothing lost, nothing twice: every table holds the clean run's row count.
      for (const table of TABLES) {
        const sql = `SELECT count(*) FROM ${table.name}`;
        expect(await scalar(join(resumedHome, "catalog.duckdb"), sql), table.name).to.equal(
          await scalar(join(home, "catalog.duckdb"), sql),
        );
      }
    } finally {
      rmSync(resumedHome, { recursive: true, force: true });
    }
  });
});

/** A process's command line, or "" once it has ended (or is a zombie). */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}
