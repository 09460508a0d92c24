/**
 * bench/dashboard: how fast the local preview's first render is, in a real browser (Debian's chromium), at full scale.
 *
 *   npx tsx bench/dashboard/run.ts [--catalog FILE] [--runs N]
 *
 * With --catalog it measures that catalog (e.g. the one `npm run catalog` built from a full-scale sample). Without it,
 * it builds a full-scale-shaped catalog: the analysis views materialized as tables from as many synthetic titles as
 * `npm run sample -- --scale full` generates (test/browser/syntheticCatalog.ts), and a small one beside it, and prints
 * both with their ratio. "First render" is navigation start → every chart painted (the page's own mark), per fresh page.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { Browser } from "playwright-core";
import { FULL_SCALE_TITLES, SMALL_SCALE_TITLES } from "../../runtime/sample/rows";
import { startDashboardPreview } from "../../runtime/dashboard-preview/server";
import { exitCodeOf, numberSetting, parseFlags } from "../../runtime/shared/flags";
import { buildSyntheticCatalog } from "../../test/browser/syntheticCatalog";
import { launchChromium } from "../../test/browser/chromium";

/** What one catalog measured. */
interface Figures {
  label: string;
  rows: string;
  startMs: number;
  loadMs: number;
  firstRenderMs: number[];
  filterMs: number[];
  coldRenderMs: number[];
  queryMs: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const ms = (value: number) => `${Math.round(value)} ms`;

/** Row counts of the biggest views, for the record. */
async function rowCounts(catalog: string): Promise<string> {
  const instance = await DuckDBInstance.create(catalog, { access_mode: "READ_ONLY" });
  const connection = await instance.connect();
  try {
    const count = async (view: string) =>
      Number((await connection.runAndReadAll(`SELECT COUNT(*) FROM ${view}`)).getRows()[0]?.[0] ?? 0);
    const titles = Number(
      (await connection.runAndReadAll("SELECT COUNT(DISTINCT title_key) FROM v_title_summary")).getRows()[0]?.[0] ?? 0,
    );
    return (
      `${titles.toLocaleString("en-US")} titles, v_title_summary ${(await count("v_title_summary")).toLocaleString("en-US")} rows, ` +
      `v_title_artists ${(await count("v_title_artists")).toLocaleString("en-US")} rows`
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function measure(browser: Browser, label: string, catalog: string, runs: number): Promise<Figures> {
  const rows = await rowCounts(catalog);
  const started = performance.now();
  const preview = await startDashboardPreview({ catalog });
  const startMs = performance.now() - started;
  const firstRenderMs: number[] = [];
  const filterMs: number[] = [];
  const coldRenderMs: number[] = [];
  let queryMs = 0;
  try {
    for (let run = 0; run < runs; run++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const payload = page.waitForResponse((r) => r.url().includes("/api/data"));
      await page.goto(preview.url);
      await page.waitForFunction(() => (window.__cinelake?.renders ?? 0) >= 1, undefined, { timeout: 60_000 });
      // performance.now() in the page counts from its navigation start.
      firstRenderMs.push(await page.evaluate(() => window.__cinelake?.renderedAt ?? NaN));
      queryMs = ((await (await payload).json()) as { queryMs: number }).queryMs;
      // A different decade each run, so every filter change misses the preview's per-selection cache.
      const decades = await page.$$eval("select[name=decade] option", (options) =>
        options.map((o) => (o as HTMLOptionElement).value).filter(Boolean),
      );
      const before = await page.evaluate(() => performance.now());
      await page.selectOption("select[name=decade]", decades[run % decades.length] ?? "");
      await page.waitForFunction(() => (window.__cinelake?.renders ?? 0) >= 2, undefined, { timeout: 60_000 });
      filterMs.push((await page.evaluate(() => window.__cinelake?.renderedAt ?? NaN)) - before);
      await page.close();
      // A fresh page on a selection nobody asked for yet: the first render including the DuckDB queries.
      const cold = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const genres = ["Drama", "Comedy", "Action", "Horror", "Romance", "Thriller", "Documentary", "Animation"];
      await cold.goto(`${preview.url}?kind=movie&genre=${genres[run % genres.length]}`);
      await cold.waitForFunction(() => (window.__cinelake?.renders ?? 0) >= 1, undefined, { timeout: 60_000 });
      coldRenderMs.push(await cold.evaluate(() => window.__cinelake?.renderedAt ?? NaN));
      await cold.close();
    }
  } finally {
    await preview.stop();
  }
  return { label, rows, startMs, loadMs: preview.loadMs ?? NaN, firstRenderMs, filterMs, coldRenderMs, queryMs };
}

async function main(): Promise<void> {
  const { values } = parseFlags({ options: { catalog: { type: "string" }, runs: { type: "string" } } });
  const runs = numberSetting("--runs", values.runs, { min: 1, example: 5 }) ?? 5;
  const dir = mkdtempSync(join(tmpdir(), "cinelake-bench-dashboard-"));
  const browser = await launchChromium();
  try {
    const results: Figures[] = [];
    if (values.catalog) results.push(await measure(browser, "given catalog", values.catalog, runs));
    else {
      for (const [label, titles] of [
        ["small", SMALL_SCALE_TITLES],
        ["full", FULL_SCALE_TITLES],
      ] as const) {
        const file = join(dir, `${label}.duckdb`);
        const built = performance.now();
        await buildSyntheticCatalog(file, titles);
        console.log(`built the ${label} synthetic catalog (${titles} titles) in ${ms(performance.now() - built)}`);
        results.push(await measure(browser, label, file, runs));
      }
    }
    console.log(`\nDashboard preview, ${runs} fresh pages each, Debian chromium headless (median [min–max])`);
    for (const r of results) {
      console.log(`\n${r.label}: ${r.rows}`);
      console.log(
        `  server start (bundle page + open catalog + materialize views): ${ms(r.startMs)} (catalog load ${ms(r.loadMs)})`,
      );
      console.log(
        `  first render (navigation → all charts painted): ${ms(median(r.firstRenderMs))} ` +
          `[${ms(Math.min(...r.firstRenderMs))}–${ms(Math.max(...r.firstRenderMs))}]  budget 2000 ms → ` +
          `${(median(r.firstRenderMs) / 2000).toFixed(2)}× of budget`,
      );
      console.log(`  (its payload was computed at server start: DuckDB queries ${ms(r.queryMs)})`);
      console.log(
        `  first render of an uncached selection (kind=movie&genre=G, queries included): ${ms(median(r.coldRenderMs))} ` +
          `[${ms(Math.min(...r.coldRenderMs))}–${ms(Math.max(...r.coldRenderMs))}]`,
      );
      console.log(`  filter change, uncached (decade=D → repainted): ${ms(median(r.filterMs))}`);
    }
    const [small, full] = results;
    if (small && full)
      console.log(
        `\nfull / small: first render ${(median(full.firstRenderMs) / median(small.firstRenderMs)).toFixed(2)}×, ` +
          `uncached render ${(median(full.coldRenderMs) / median(small.coldRenderMs)).toFixed(2)}×, ` +
          `filter change ${(median(full.filterMs) / median(small.filterMs)).toFixed(2)}×, ` +
          `server start ${(full.startMs / small.startMs).toFixed(2)}×`,
      );
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  // A bad flag in one line; anything else with its stack, as an unhandled error would show it.
  console.error(exitCodeOf(error) === 1 ? error : `bench/dashboard: ${(error as Error).message}`);
  process.exit(exitCodeOf(error));
});
