/**
 * Writes `movies.csv` and `series.csv` in the real files' format. Rows are streamed to disk in chunks, so memory stays
 * bounded at any scale; each file is written under a temporary name and renamed when complete.
 */
import { mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { FULL_SCALE_TITLES, SMALL_SCALE_TITLES, headerLine, makePlan, titleAt, titleRows } from "./rows";
import type { SamplePlan, TitleKind } from "./rows";

/** The sizes the generator knows: `small` (a few thousand rows) or `full` (the real files' size). */
export type SampleScale = "small" | "full";

/** What to generate. */
export interface SampleOptions {
  /** The folder to write `movies.csv` and `series.csv` into (created if missing). */
  outDir: string;
  /** Number of titles (movies + series, about 76% movies); overrides the scale's default. */
  titles?: number;
  /** The seed: the same seed and titles always give the same bytes. Default 42. */
  seed?: number;
  /** `small` (default, 1000 titles) or `full` (about 1.05 M movie rows and 0.47 M series rows). */
  scale?: SampleScale;
}

/** What was generated. */
export interface SampleResult {
  /** Path of the movies file. */
  moviesPath: string;
  /** Path of the series file. */
  seriesPath: string;
  /** Data rows (without the header) of the movies file. */
  movieRows: number;
  /** Data rows (without the header) of the series file. */
  seriesRows: number;
  /** Distinct titles in the movies file. */
  movieTitles: number;
  /** Distinct titles in the series file. */
  seriesTitles: number;
}

/** The default seed. */
export const DEFAULT_SEED = 42;
const CHUNK_CHARS = 1 << 20;

/** The number of titles for a scale. */
export function titlesForScale(scale: SampleScale): number {
  if (scale === "small") return SMALL_SCALE_TITLES;
  if (scale === "full") return FULL_SCALE_TITLES;
  throw new Error(`scale must be "small" or "full", got "${String(scale)}"`);
}

async function writeFile(path: string, plan: SamplePlan, kind: TitleKind): Promise<number> {
  const temporary = `${path}.partial`;
  const handle = await open(temporary, "w");
  let rows = 0;
  try {
    let chunk = headerLine(kind);
    const titles = kind === "movie" ? plan.movieTitles : plan.seriesTitles;
    for (let index = 0; index < titles; index++) {
      const title = titleAt(plan, kind, index);
      chunk += titleRows(plan, title);
      rows += title.credits.length;
      if (chunk.length >= CHUNK_CHARS) {
        await handle.write(chunk);
        chunk = "";
      }
    }
    await handle.write(chunk);
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporary, path);
  return rows;
}

/** Generates the two sample files and returns their paths and sizes. */
export async function generateSample(options: SampleOptions): Promise<SampleResult> {
  const titles = options.titles ?? titlesForScale(options.scale ?? "small");
  const plan = makePlan(titles, options.seed ?? DEFAULT_SEED);
  await mkdir(options.outDir, { recursive: true });
  const moviesPath = join(options.outDir, "movies.csv");
  const seriesPath = join(options.outDir, "series.csv");
  const movieRows = await writeFile(moviesPath, plan, "movie");
  const seriesRows = await writeFile(seriesPath, plan, "series");
  return {
    moviesPath,
    seriesPath,
    movieRows,
    seriesRows,
    movieTitles: plan.movieTitles,
    seriesTitles: plan.seriesTitles,
  };
}
