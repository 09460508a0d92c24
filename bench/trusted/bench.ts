/**
 * `npx tsx bench/trusted/bench.ts [--scale full|small] [--titles N] [--work DIR] [--jobs csv,tmdb]`: each Trusted job
 * (glue/trusted_csv.py, glue/trusted_tmdb.py on local Spark, through the same runner as `npm run job`) against DuckDB
 * doing the same conversion with the same typing and checks (bench/trusted/duckdb_trusted.py,
 * bench/trusted/duckdb_trusted_tmdb.py), on the same generated sample in the same run. Prints wall time and peak
 * memory (RSS of each whole process tree) side by side, their ratios, whether both produced the same counts (the
 * exit code is 1 when not), and where the Spark job's time goes (its run report's step durations; the rest is JVM and
 * session start-up).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { DATASETS, lakeKey } from "../../lake/paths";
import { runJob, type JobOutcome } from "../../runtime/local/job";
import { choiceSetting, exitCodeOf, numberSetting, parseFlags } from "../../runtime/shared/flags";
import { localDriverHeap, measure, type Measured } from "../measure";
import { layOutLake } from "./lakeFromSample";

const REPO_ROOT = resolve(__dirname, "..", "..");
const DATE = "2024-06-01";

interface Counts {
  raw: number;
  trusted: number;
  quarantined: number;
  duplicates: number;
}

const pick = (c: Counts): Counts => ({
  raw: c.raw,
  trusted: c.trusted,
  quarantined: c.quarantined,
  duplicates: c.duplicates,
});
const pad = (text: string, width: number) => text.padEnd(width);
const num = (value: number, digits = 1) => value.toFixed(digits).padStart(9);

interface DuckReport {
  datasets: (Counts & { table: string; durations_s: Record<string, number> })[];
  seconds: number;
}

/** Prints one job beside DuckDB: wall time, peak memory, their ratios, the counts and where the time goes. */
function compare(title: string, spark: JobOutcome, duck: Measured, duckReport: DuckReport): boolean {
  const sparkDatasets = (spark.report.datasets as Counts[]).map(pick);
  const duckDatasets = duckReport.datasets.map(pick);
  console.log("");
  console.log(`== ${title}`);
  console.log(
    `rows: ${(spark.report.datasets as (Counts & { dataset: string })[]).map((d) => `${d.dataset} ${d.raw}`).join(", ")} (Raw records)`,
  );
  console.log(`${pad("", 28)}${"wall s".padStart(9)}${"peak MB".padStart(9)}`);
  console.log(`${pad("Spark job", 28)}${num(spark.seconds)}${num(spark.peakRssMb, 0)}`);
  console.log(`${pad("DuckDB same conversion", 28)}${num(duck.seconds)}${num(duck.peakRssMb, 0)}`);
  console.log(
    `${pad("ratio Spark / DuckDB", 28)}${num(spark.seconds / duck.seconds)}${num(spark.peakRssMb / Math.max(1, duck.peakRssMb))}`,
  );
  const agree = JSON.stringify(sparkDatasets) === JSON.stringify(duckDatasets);
  console.log(`same counts (raw, trusted, quarantined, duplicates): ${agree ? "yes" : "NO"}`);
  if (!agree) console.log(`  spark ${JSON.stringify(sparkDatasets)}\n  duckdb ${JSON.stringify(duckDatasets)}`);
  console.log("where the Spark job's time goes (its run report):");
  const steps = spark.report.durations_s as Record<string, number>;
  const inSteps = Object.values(steps).reduce((sum, value) => sum + value, 0);
  // The jobs run their datasets side by side, so their steps can overlap: the rest of the wall time is only known
  // (as start-up and the like) when the steps add up to less than it.
  const rows: [string, number][] = Object.entries(steps);
  if (inSteps <= spark.seconds) rows.push(["JVM + session start-up, listing, report, exit", spark.seconds - inSteps]);
  else console.log(`  (the datasets run side by side: their steps overlap, ${num(inSteps)} s in all)`);
  for (const [step, seconds] of rows)
    console.log(`  ${pad(step, 64)}${num(seconds)} s ${num((100 * seconds) / spark.seconds)} %`);
  console.log("DuckDB's steps (s):");
  for (const dataset of duckReport.datasets)
    for (const [step, seconds] of Object.entries(dataset.durations_s))
      console.log(`  ${pad(`${dataset.table}: ${step}`, 64)}${num(seconds)} s`);
  return agree;
}

async function main(): Promise<void> {
  const { values } = parseFlags({
    options: {
      scale: { type: "string" },
      titles: { type: "string" },
      work: { type: "string" },
      jobs: { type: "string" },
    },
  });
  const scale = choiceSetting("--scale", values.scale, ["full", "small"]) ?? "full";
  // Handed to the sample generator as text; checked here so a typo fails before any work.
  numberSetting("--titles", values.titles, { min: 2, example: 10_000 });
  const jobs = (values.jobs ?? "csv,tmdb").split(",");
  for (const job of jobs) choiceSetting("--jobs", job, ["csv", "tmdb"]);
  const work = resolve(values.work ?? join(REPO_ROOT, ".cache", `bench-trusted-${values.titles ?? scale}`));
  const sampleDir = join(work, "sample");
  if (!existsSync(join(sampleDir, "series.csv"))) {
    const sizing = values.titles ? ["--titles", values.titles] : ["--scale", scale];
    const generated = spawnSync("npx", ["tsx", "runtime/sample/cli.ts", sampleDir, ...sizing, "--seed", "1"], {
      cwd: REPO_ROOT,
      stdio: "inherit",
    });
    if (generated.status !== 0) throw new Error("sample generation failed");
  }
  const lakeDir = join(work, "lake");
  rmSync(lakeDir, { recursive: true, force: true });
  mkdirSync(lakeDir, { recursive: true });
  const laid = await layOutLake(sampleDir, lakeDir, DATE, 100, jobs.includes("tmdb"));
  console.log(`bench/trusted: sample ${sampleDir} (${scale}${values.titles ? `, ${values.titles} titles` : ""})`);

  let agree = true;
  if (jobs.includes("csv")) {
    const [moviesCsv, seriesCsv] = laid.csvFiles.map((key) => join(lakeDir, key)) as [string, string];
    console.log(`running the CSV job on local Spark (local[*], driver heap ${localDriverHeap()}) ...`);
    const spark = await runJob({ job: "trusted-csv", lakeDir, date: DATE, echo: false });
    console.log("running DuckDB's CSV conversion (same checks and types, one connection) ...");
    const duck = await measure("python3", [
      "bench/trusted/duckdb_trusted.py",
      join(work, "duckdb-out"),
      moviesCsv,
      "trusted_movies",
      seriesCsv,
      "trusted_series",
    ]);
    agree = compare("CSV job (trusted_csv)", spark, duck, JSON.parse(duck.stdout) as DuckReport) && agree;
  }
  if (jobs.includes("tmdb")) {
    console.log(
      `TMDB records laid out: ${JSON.stringify(laid.tmdbRecords)} in ${JSON.stringify(laid.tmdbFiles)} files`,
    );
    console.log(`running the TMDB job on local Spark (local[*], driver heap ${localDriverHeap()}) ...`);
    const spark = await runJob({ job: "trusted-tmdb", lakeDir, date: DATE, echo: false });
    console.log("running DuckDB's TMDB conversion (same schema, checks and dedupe, one connection) ...");
    const rawDir = (dataset: (typeof DATASETS)[keyof typeof DATASETS]) =>
      join(lakeDir, dirname(lakeKey({ ...dataset, date: DATE, file: "x.json" })));
    const duck = await measure("python3", [
      "bench/trusted/duckdb_trusted_tmdb.py",
      join(work, "duckdb-tmdb-out"),
      DATE,
      "movies",
      rawDir(DATASETS.rawTmdbMovies),
      "series",
      rawDir(DATASETS.rawTmdbSeries),
    ]);
    agree = compare("TMDB job (trusted_tmdb)", spark, duck, JSON.parse(duck.stdout) as DuckReport) && agree;
  }
  if (!agree) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(`bench/trusted: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(exitCodeOf(error));
});
