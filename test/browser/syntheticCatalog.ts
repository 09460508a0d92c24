/**
 * Builds a DuckDB file shaped like the local catalog's analysis views — one table per view, named like the view, with
 * exactly the registry's columns and types — from deterministic synthetic titles (hash-derived, no randomness). The
 * browser tests use a small one; bench/dashboard a full-scale-shaped one (as many titles as `npm run sample --scale
 * full`). The columns come from the registry, so a changed view contract fails here loudly instead of drifting.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { rmSync } from "node:fs";
import { VIEWS } from "../../lake/tables";

/** Genres and countries of the synthetic titles. */
const GENRES = ["Action", "Animation", "Comedy", "Documentary", "Drama", "Horror", "Romance", "Thriller"];
const COUNTRIES: [string, string][] = [
  ["US", "United States of America"],
  ["GB", "United Kingdom"],
  ["FR", "France"],
  ["BR", "Brazil"],
  ["JP", "Japan"],
  ["IN", "India"],
  ["DE", "Germany"],
  ["KR", "South Korea"],
];

/** Hive types of the registry → DuckDB types. */
const DUCK_TYPES: Record<string, string> = {
  string: "VARCHAR",
  int: "INTEGER",
  bigint: "BIGINT",
  double: "DOUBLE",
  boolean: "BOOLEAN",
};

// A pseudo-random integer in [0, m) derived from the title key and a salt: deterministic across runs. The salt goes
// into the hashed text (hash(key, salt) combines two hashes in a way whose low bits correlate across salts).
const h = (salt: string, m: number, key = "t.title_key") =>
  `CAST(hash(CAST(${key} AS VARCHAR) || '${salt}') % ${m} AS BIGINT)`;

/** The base rows each view selects from: one row per title and genre (`t`), and per title, genre and artist (`a`). */
function baseSql(titles: number): string[] {
  const genres = `[${GENRES.map((g) => `'${g}'`).join(", ")}]`;
  const countries = `[${COUNTRIES.map(([c]) => `'${c}'`).join(", ")}]`;
  const names = `[${COUNTRIES.map(([, n]) => `'${n}'`).join(", ")}]`;
  return [
    `CREATE TEMP TABLE title AS
     SELECT t.title_key,
       CASE WHEN ${h("k", 100)} < 76 THEN 'movie' ELSE 'series' END AS kind,
       1950 + CAST(${h("d", 8)} AS INTEGER) * 10 AS decade,
       CAST(${h("y", 10)} AS INTEGER) AS year_in_decade,
       'tt' || lpad(CAST(t.title_key AS VARCHAR), 8, '0') AS imdb_id,
       'Title ' || t.title_key AS title,
       ROUND(1 + ${h("r", 900)} / 100.0, 1) AS imdb_rating,
       CAST(${h("v", 50000)} AS BIGINT) AS imdb_votes,
       ${h("e", 10)} < 8 AS is_tmdb_enriched,
       CAST(1 + ${h("a", 9)} AS BIGINT) AS artist_count,
       ${h("f", 5)} = 0 AS is_franchise,
       CAST(${h("g", GENRES.length)} AS INTEGER) AS first_genre,
       CAST(1 + ${h("n", 3)} AS INTEGER) AS genre_count,
       CAST(${h("c", COUNTRIES.length)} AS INTEGER) AS country
     FROM (SELECT range AS title_key FROM range(1, ${titles + 1})) t`,
    `CREATE TEMP TABLE tg AS
     SELECT t.*, t.decade + t.year_in_decade AS release_year,
       ${genres}[1 + (t.first_genre + k.range) % ${GENRES.length}] AS genre,
       ${countries}[1 + t.country] AS country_code, ${names}[1 + t.country] AS country_name,
       LEAST(10, GREATEST(1, ROUND(t.imdb_rating + (${h("m", 31)} - 12) / 10.0, 1))) AS tmdb_vote_average,
       CAST(1000000 * (1 + ${h("b", 200)}) AS BIGINT) AS budget,
       CAST(1000000 * (1 + ${h("b", 200)}) * (${h("x", 600)} / 100.0) AS BIGINT) AS revenue,
       CAST(1 + ${h("l", 15)} AS INTEGER) AS years_running
     FROM title t CROSS JOIN range(3) k WHERE k.range < t.genre_count`,
    // Artists are shared between titles (person keys wrap around), like real careers.
    `CREATE TEMP TABLE a AS
     SELECT tg.*, (tg.title_key * 7 + j.range * 104729) % ${Math.max(10, Math.floor(titles * 1.5))} AS person_key
     FROM tg CROSS JOIN range(10) j WHERE j.range < tg.artist_count`,
  ];
}

/** Per view: the FROM clause and an expression for each registry column (shared ones fall back to COMMON). */
const COMMON: Record<string, string> = {
  kind: "kind",
  genre: "genre",
  decade: "decade",
  title_key: "title_key",
  imdb_id: "imdb_id",
  title: "title",
  release_year: "release_year",
  imdb_rating: "imdb_rating",
  imdb_votes: "imdb_votes",
  weighted_rating: "(imdb_votes * imdb_rating + 500 * 5.5) / (imdb_votes + 500)",
  is_tmdb_enriched: "is_tmdb_enriched",
  artist_count: "artist_count",
};
const VIEW_SOURCES: Record<string, { from: string; columns?: Record<string, string>; groupBy?: boolean }> = {
  v_title_summary: { from: "tg" },
  v_title_artists: { from: "a", columns: { person_key: "person_key" } },
  v_top_titles_by_genre_decade: {
    from: `(SELECT *, ROW_NUMBER() OVER (PARTITION BY kind, genre, decade
             ORDER BY (imdb_votes * imdb_rating + 500 * 5.5) / (imdb_votes + 500) DESC, imdb_votes DESC, title_key)
             AS rank_in_group FROM tg) WHERE rank_in_group <= 10`,
    columns: { rank_in_group: "rank_in_group" },
  },
  v_rating_agreement: {
    from: "tg WHERE is_tmdb_enriched",
    columns: { tmdb_vote_average: "tmdb_vote_average", rating_gap: "tmdb_vote_average - imdb_rating" },
  },
  v_financials: {
    from: `tg WHERE kind = 'movie' AND is_tmdb_enriched AND ${h("u", 3, "title_key")} > 0`,
    columns: {
      budget: "budget",
      revenue: "revenue",
      profit: "revenue - budget",
      return_ratio: "CAST(revenue AS DOUBLE) / budget",
    },
  },
  v_franchise_vs_standalone: {
    from: "tg WHERE is_tmdb_enriched",
    columns: { is_franchise: "is_franchise", revenue: "CASE WHEN kind = 'movie' THEN revenue END" },
  },
  v_cast_gender_share: {
    from: "a GROUP BY ALL",
    columns: {
      gender: `['female', 'male', 'male', 'unknown', 'non-binary', 'female', 'male'][1 + ${h("s", 7, "person_key")}]`,
      credits: "COUNT(*)",
    },
  },
  v_series_longevity: {
    from: "tg WHERE kind = 'series'",
    columns: {
      years_running: "years_running",
      seasons: "CASE WHEN is_tmdb_enriched THEN 1 + years_running / 2 END",
      episodes: "CASE WHEN is_tmdb_enriched THEN (1 + years_running / 2) * 10 END",
    },
  },
  v_countries_over_time: {
    from: "tg WHERE is_tmdb_enriched GROUP BY ALL",
    columns: { country_code: "country_code", country_name: "country_name", titles: "COUNT(DISTINCT title_key)" },
  },
};

/** The CREATE TABLE of one view: its registry columns, in order, cast to their registry types. */
export function syntheticViewSql(viewName: string): string {
  const view = VIEWS.find((v) => v.name === viewName);
  const source = VIEW_SOURCES[viewName];
  if (!view || !source) throw new Error(`the synthetic catalog does not know view ${viewName}`);
  const columns = view.columns.map((column) => {
    const expression = source.columns?.[column.name] ?? COMMON[column.name];
    const type = DUCK_TYPES[column.type];
    if (!expression || !type)
      throw new Error(`the synthetic catalog has no expression for ${viewName}.${column.name} (${column.type})`);
    return `CAST(${expression} AS ${type}) AS ${column.name}`;
  });
  return `CREATE TABLE ${view.name} AS SELECT ${columns.join(",\n  ")} FROM ${source.from}`;
}

/** Writes a synthetic catalog with `titles` titles to `file` (replacing it); `views` limits which views exist. */
export async function buildSyntheticCatalog(
  file: string,
  titles: number,
  views: readonly string[] = Object.keys(VIEW_SOURCES),
): Promise<void> {
  rmSync(file, { force: true });
  rmSync(`${file}.wal`, { force: true });
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    for (const sql of baseSql(titles)) await connection.run(sql);
    for (const view of views) await connection.run(syntheticViewSql(view));
    await connection.run("CHECKPOINT");
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
