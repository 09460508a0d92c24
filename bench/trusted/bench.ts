/**
 * `npx tsx bench/trusted/bench.ts [--scale full|small] [--titles N] [--work DIR]`: the CSV job (glue/trusted_csv.py on
 * local Spark, through the same runner as `npm run job`) against DuckDB doing the same conversion with the same typing
 * and checks (bench/trusted/duckdb_trusted.py), on the same generated sample in the same run. Prints wall time and
 * peak memory (RSS of each whole process tree) side by side, their ratios, whether both produced the same counts, and
 * where the Spark job's time goes (its run report's step durations; the rest is JVM and session start-up).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { runJob } from "../../runtime/local/job";
import { choiceSetting, exitCodeOf, numberSetting, parseFlags } from "../../runtime/shared/flags";
import { measure } from "../measure";
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

async function main(): Promise<void> {
  const { values } = parseFlags({
    options: { scale: { type: "string" }, titles: { type: "string" }, work: { type: "string" } },
  });
  const scale = choiceSetting("--scale", values.scale, ["full", "small"]) ?? "full";
  // Handed to the sample generator as text; checked here so a typo fails before any work.
  numberSetting("--titles", values.titles, { min: 2, example: 10_000 });
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
  const laid = await layOutLake(sampleDir, lakeDir, DATE, 100, false);
  const [moviesCsv, seriesCsv] = laid.csvFiles.map((key) => join(lakeDir, key)) as [string, string];

  console.log(`bench/trusted: sample ${sampleDir} (${scale}${values.titles ? `, ${values.titles} titles` : ""})`);
  console.log("running the CSV job on local Spark (local[*], driver 2g) ...");
  const spark = await runJob({ job: "trusted-csv", lakeDir, date: DATE, echo: false });
  console.log("running DuckDB's conversion (same checks and types, one connection) ...");
  const duck = await measure("python3", [
    "bench/trusted/duckdb_trusted.py",
    join(work, "duckdb-out"),
    moviesCsv,
    "trusted_movies",
    seriesCsv,
    "trusted_series",
  ]);
  const duckReport = JSON.parse(duck.stdout) as { datasets: Counts[]; seconds: number };
  const sparkDatasets = (spark.report.datasets as Counts[]).map(pick);
  const duckDatasets = duckReport.datasets.map(pick);

  console.log("");
  console.log(`rows: movies ${sparkDatasets[0]?.raw}, series ${sparkDatasets[1]?.raw} (Raw data lines)`);
  console.log(`${pad("", 28)}${"wall s".padStart(9)}${"peak MB".padStart(9)}`);
  console.log(`${pad("Spark CSV job (trusted_csv)", 28)}${num(spark.seconds)}${num(spark.peakRssMb, 0)}`);
  console.log(`${pad("DuckDB same conversion", 28)}${num(duck.seconds)}${num(duck.peakRssMb, 0)}`);
  console.log(
    `${pad("ratio Spark / DuckDB", 28)}${num(spark.seconds / duck.seconds)}${num(spark.peakRssMb / Math.max(1, duck.peakRssMb))}`,
  );
  const agree = JSON.stringify(sparkDatasets) === JSON.stringify(duckDatasets);
  console.log(`same counts (raw, trusted, quarantined, duplicates): ${agree ? "yes" : "NO"}`);
  if (!agree) console.log(`  spark ${JSON.stringify(sparkDatasets)}\n  duckdb ${JSON.stringify(duckDatasets)}`);

  console.log("");
  console.log("where the Spark job's time goes (its run report):");
  const steps = spark.report.durations_s as Record<string, number>;
  const inSteps = Object.values(steps).reduce((sum, value) => sum + value, 0);
  const rows: [string, number][] = [
    ...Object.entries(steps),
    ["JVM + session start-up, listing, report, exit", spark.seconds - inSteps],
  ];
  for (const [step, seconds] of rows)
    console.log(`  ${pad(step, 56)}${num(seconds)} s ${num((100 * seconds) / spark.seconds)} %`);
  console.log("DuckDB's steps (s):");
  for (const dataset of duckReport.datasets as unknown as { table: string; durations_s: Record<string, number> }[])
    for (const [step, seconds] of Object.entries(dataset.durations_s))
      console.log(`  ${pad(`${dataset.table}: ${step}`, 56)}${num(seconds)} s`);
}

main().catch((error: unknown) => {
  console.error(`bench/trusted: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(exitCodeOf(error));
});
