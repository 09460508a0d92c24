import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "./chromium";
import { DASHBOARD } from "../../lake/visuals";
import { startDashboardPreview, type DashboardPreview } from "../../runtime/dashboard-preview/server";
import { buildSyntheticCatalog } from "./syntheticCatalog";

/** The committed screenshot; rewritten only when missing or when DASHBOARD_SCREENSHOT=1 (so reruns do not churn git). */
const SCREENSHOT = resolve(__dirname, "../../docs/img/dashboard.png");

/** Headline numbers computed straight from the catalog with hand-written SQL, independent of the preview's code. */
interface Expected {
  titles: number;
  movies: number;
  series: number;
  artists: number;
  tmdbShare: number;
  topTitle: string;
  topReturnGenre: string;
}

async function expectedNumbers(catalog: string, where: string): Promise<Expected> {
  const instance = await DuckDBInstance.create(catalog, { access_mode: "READ_ONLY" });
  const connection = await instance.connect();
  const one = async (sql: string) => {
    const rows = (await connection.runAndReadAll(sql)).getRows();
    const value = rows[0]?.[0];
    return typeof value === "bigint" ? Number(value) : (value as number | string);
  };
  try {
    return {
      titles: Number(await one(`SELECT COUNT(DISTINCT title_key) FROM v_title_summary WHERE ${where}`)),
      movies: Number(
        await one(`SELECT COUNT(DISTINCT title_key) FROM v_title_summary WHERE ${where} AND kind = 'movie'`),
      ),
      series: Number(
        await one(`SELECT COUNT(DISTINCT title_key) FROM v_title_summary WHERE ${where} AND kind = 'series'`),
      ),
      artists: Number(await one(`SELECT COUNT(DISTINCT person_key) FROM v_title_artists WHERE ${where}`)),
      tmdbShare: Number(
        await one(
          `SELECT COUNT(DISTINCT title_key) FILTER (WHERE is_tmdb_enriched) / COUNT(DISTINCT title_key)
           FROM v_title_summary WHERE ${where}`,
        ),
      ),
      topTitle: String(
        await one(
          `SELECT title FROM v_top_titles_by_genre_decade WHERE ${where}
           ORDER BY weighted_rating DESC, title, kind, release_year, imdb_id LIMIT 1`,
        ),
      ),
      topReturnGenre: String(
        await one(
          `SELECT genre FROM v_financials WHERE ${where} GROUP BY genre ORDER BY MEDIAN(return_ratio) DESC, genre LIMIT 1`,
        ),
      ),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Waits until the page has drawn `renders` payloads. */
async function rendered(page: Page, renders = 1): Promise<void> {
  await page.waitForFunction(
    (n) => document.body.dataset.state === "ready" && (window.__cinelake?.renders ?? 0) >= n,
    renders,
    { timeout: 20_000 },
  );
}

/** The KPI tiles' raw values as the page shows them. */
async function kpis(page: Page): Promise<Record<string, number>> {
  return page.$$eval(".kpi", (tiles) =>
    Object.fromEntries(tiles.map((tile) => [tile.id.replace("kpi-", ""), Number((tile as HTMLElement).dataset.value)])),
  );
}

describe("Dashboard preview in a real browser", function () {
  this.timeout(120_000);
  let dir: string;
  let catalog: string;
  let browser: Browser;
  let preview: DashboardPreview;
  let all: Expected;
  let series: Expected;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "cinelake-dashboard-"));
    catalog = join(dir, "catalog.duckdb");
    await buildSyntheticCatalog(catalog, 600);
    all = await expectedNumbers(catalog, "TRUE");
    series = await expectedNumbers(catalog, "kind = 'series'");
    preview = await startDashboardPreview({ catalog });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await preview?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("draws every visual (a canvas per chart, rows in the table) with a caption and a finding", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 2200 } });
    await page.goto(preview.url);
    await rendered(page);
    expect(await page.textContent("h1")).to.equal(DASHBOARD.title);
    for (const visual of DASHBOARD.visuals) {
      const card = page.locator(`#visual-${visual.id}`);
      expect(await card.locator("h3").textContent(), visual.id).to.equal(visual.title);
      expect(await card.locator(".finding").textContent(), `finding of ${visual.id}`).to.match(/\w{3,}/);
      if (visual.chart === "table") expect(await card.locator("tbody tr").count(), visual.id).to.be.greaterThan(0);
      else expect(await card.locator("canvas").count(), `canvas of ${visual.id}`).to.be.greaterThan(0);
    }
    // The charts really painted: a canvas of the first chart has non-blank pixels.
    const painted = await page.$eval("#visual-financials canvas", (canvas) => {
      const data = (canvas as HTMLCanvasElement).getContext("2d")?.getImageData(0, 0, 300, 300).data ?? [];
      return Array.from(data).some((value, i) => i % 4 === 3 && value > 0);
    });
    expect(painted).to.equal(true);
    if (!existsSync(SCREENSHOT) || process.env.DASHBOARD_SCREENSHOT === "1") {
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    }
    await page.close();
  });

  it("shows headline numbers equal to what the data implies, and a filter changes them", async () => {
    const page = await browser.newPage();
    await page.goto(preview.url);
    await rendered(page);
    const before = await kpis(page);
    expect(before).to.deep.include({
      titles: all.titles,
      movies: all.movies,
      series: all.series,
      artists: all.artists,
    });
    expect(before.tmdb_share).to.be.closeTo(all.tmdbShare, 1e-9);
    expect(await page.textContent("#visual-top_titles tbody tr:first-child td:first-child")).to.equal(all.topTitle);
    expect(await page.textContent("#visual-financials .finding")).to.match(
      new RegExp(`^${all.topReturnGenre} returns`),
    );

    await page.selectOption("select[name=kind]", "series");
    await rendered(page, 2);
    const after = await kpis(page);
    expect(after).to.deep.include({ titles: series.titles, movies: 0, series: series.series, artists: series.artists });
    expect(after.titles).to.be.lessThan(before.titles as number);
    expect(after.tmdb_share).to.be.closeTo(series.tmdbShare, 1e-9);
    expect(page.url()).to.include("kind=series");
    // Movies-only views have nothing for series: a friendly empty state, not an error.
    expect(await page.textContent("#visual-financials .empty")).to.equal("No data for this selection.");
    await page.close();
  });

  it("says so, naming the fix, when the selection is empty", async () => {
    const page = await browser.newPage();
    await page.goto(`${preview.url}?genre=${encodeURIComponent("Not a genre")}`);
    await rendered(page);
    expect(await page.getAttribute("body", "data-status")).to.equal("empty");
    expect(await page.textContent("#message h2")).to.equal("Nothing matches this selection");
    expect(await page.textContent("#message")).to.include("genre = Not a genre");
    expect(await page.locator(".visual").count()).to.equal(0);
    await page.close();
  });

  it("names the command to run when there is no catalog, an empty lake or an old catalog — never a stack trace", async () => {
    const cases: { file: string; titles?: number; views?: string[]; status: string; text: RegExp }[] = [
      { file: join(dir, "missing.duckdb"), status: "no-catalog", text: /No local catalog yet/ },
      { file: join(dir, "empty.duckdb"), titles: 0, status: "empty", text: /Nothing matches/ },
      {
        file: join(dir, "old.duckdb"),
        titles: 10,
        views: ["v_title_summary", "v_title_artists"],
        status: "missing-tables",
        text: /v_top_titles_by_genre_decade/,
      },
    ];
    for (const c of cases) {
      if (c.titles !== undefined) await buildSyntheticCatalog(c.file, c.titles, c.views);
      const other = await startDashboardPreview({ catalog: c.file });
      const page = await browser.newPage();
      try {
        await page.goto(other.url);
        await rendered(page);
        expect(await page.getAttribute("body", "data-status"), c.file).to.equal(c.status);
        const message = (await page.textContent("#message")) ?? "";
        expect(message, c.file).to.match(c.text);
        expect(message).to.include("npm run demo");
        expect(message).to.include("npm run catalog -- --lake-dir DIR");
        expect(message).to.not.match(/\n\s+at |Error:/);
      } finally {
        await page.close();
        await other.stop();
      }
    }
  });
});
