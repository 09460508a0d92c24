/**
 * Benchmark (not a test) of title selection over full-size Raw CSVs: the streaming selection the ApiIngestor runs
 * (constant memory) beside a naive read-the-whole-file selection, each in its own process so peak RSS is its own.
 * Prints file sizes, rows, titles selected, time and peak RSS side by side.
 *
 *   npx tsx bench/api-ingestor/selection.ts [--titles N] [--limit 5000]     (default: the sample's full scale)
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileLines, parseCsvLine, type TitleKind } from "../../runtime/api-ingestor/csv";
import { TopTitles, matchesSelection, selectTitles, type Selection } from "../../runtime/api-ingestor/selection";
import { generateSample, titlesForScale } from "../../runtime/sample/generate";
import { exitCodeOf, numberSetting, parseFlags } from "../../runtime/shared/flags";

interface Figures {
  mode: string;
  seconds: number;
  peakRssMb: number;
  rows: number;
  selected: number;
  firstIds: string[];
}

/** Runs one selection in this process and prints its figures as JSON (the child side). */
async function measureHere(mode: string, dir: string, limit: number): Promise<void> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const selection: Selection = { kind: "all", genres: [], minVotes: 0, limit };
  const started = performance.now();
  let rows = 0;
  let ids: string[] = [];
  if (mode === "streaming") {
    const result = await selectTitles(
      (["movies", "series"] as TitleKind[]).map((kind) => ({ kind, lines: () => fileLines(join(dir, `${kind}.csv`)) })),
      selection,
    );
    rows = result.rowsRead;
    ids = result.titles.map((title) => title.imdbId);
  } else {
    // The naive way: the whole file in memory, split into lines, every row parsed and kept.
    const top = new TopTitles(limit);
    for (const kind of ["movies", "series"] as TitleKind[]) {
      const parsed = readFileSync(join(dir, `${kind}.csv`), "utf8")
        .split("\r\n")
        .slice(1)
        .filter((line) => line !== "")
        .map((line) => parseCsvLine(line, kind));
      for (const row of parsed) {
        if (typeof row === "string") continue;
        rows += 1;
        if (matchesSelection(row, selection)) top.add({ imdbId: row.imdbId, kind, votes: row.votes });
      }
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    ids = top.result().map((title) => title.imdbId);
  }
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const figures: Figures = {
    mode,
    seconds: (performance.now() - started) / 1000,
    peakRssMb: peak / 1e6,
    rows,
    selected: ids.length,
    firstIds: ids.slice(0, 5),
  };
  console.log(`FIGURES ${JSON.stringify(figures)}`);
}

function measureInChild(mode: string, dir: string, limit: number): Promise<Figures> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", __filename, "--child", mode, "--dir", dir, "--limit", String(limit)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.on("close", (code) => {
      const line = out.split("\n").find((candidate) => candidate.startsWith("FIGURES "));
      if (code !== 0 || !line) return reject(new Error(`${mode} selection exited with ${code}: ${out}`));
      resolve(JSON.parse(line.slice("FIGURES ".length)) as Figures);
    }),
  );
}

async function main(): Promise<void> {
  const { values } = parseFlags({
    options: {
      titles: { type: "string" },
      limit: { type: "string" },
      child: { type: "string" },
      dir: { type: "string" },
    },
  });
  const limit = numberSetting("--limit", values.limit, { min: 1, example: 5000 }) ?? 5000;
  const titles = numberSetting("--titles", values.titles, { min: 2, example: 10_000 }) ?? titlesForScale("full");
  if (values.child) return measureHere(values.child, values.dir as string, limit);

  const dir = mkdtempSync(join(tmpdir(), "cinelake-selection-"));
  try {
    const sample = await generateSample({ outDir: dir, titles, seed: 99 });
    const sizeMb = (statSync(sample.moviesPath).size + statSync(sample.seriesPath).size) / 1e6;
    console.log(
      `selection benchmark: movies.csv + series.csv = ${sizeMb.toFixed(0)} MB, ` +
        `${sample.movieRows + sample.seriesRows} rows, ${sample.movieTitles + sample.seriesTitles} titles, limit ${limit}`,
    );
    const streaming = await measureInChild("streaming", dir, limit);
    const naive = await measureInChild("naive", dir, limit);
    const rows: [string, (f: Figures) => string][] = [
      ["rows read", (f) => String(f.rows)],
      ["titles selected", (f) => String(f.selected)],
      ["time (s)", (f) => f.seconds.toFixed(1)],
      ["peak RSS (MB)", (f) => f.peakRssMb.toFixed(0)],
      ["peak RSS ÷ CSV size", (f) => (f.peakRssMb / sizeMb).toFixed(2)],
    ];
    console.log(`${"".padEnd(22)}${"streaming (ApiIngestor)".padEnd(26)}naive (whole file in memory)`);
    for (const [name, value] of rows) console.log(`${name.padEnd(22)}${value(streaming).padEnd(26)}${value(naive)}`);
    const same =
      JSON.stringify(streaming.firstIds) === JSON.stringify(naive.firstIds) && streaming.selected === naive.selected;
    console.log(
      `same selection: ${same ? "yes" : "NO"}; memory ratio naive ÷ streaming: ${(naive.peakRssMb / streaming.peakRssMb).toFixed(1)}x`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(`benchmark failed: ${exitCodeOf(error) === 1 ? (error.stack ?? error.message) : error.message}`);
  process.exit(exitCodeOf(error));
});
