/**
 * The analysis views: Athena SQL over the Refined tables, one per dashboard question. Every view carries `kind`,
 * `genre` and `decade` so the dashboard's three filters apply to every visual; its grain includes the genre.
 */
import type { Column, ViewDef } from "../tables";

const col = (name: string, type: string, description: string): Column => ({ name, type, description });

/** The filter columns every view starts with. */
export const FILTER_COLUMNS: readonly Column[] = [
  col("kind", "string", "`movie` or `series`."),
  col("genre", "string", "One IMDb genre of the title (a title with three genres has three rows)."),
  col("decade", "int", "Decade of release, e.g. 1990."),
];

/**
 * The prior weight `m` of the vote-weighted (Bayesian) rating, in votes: a title needs about this many IMDb votes before
 * its own average counts as much as the prior `C` (the mean IMDb rating of its kind). See docs/data-model.md.
 */
export const BAYESIAN_PRIOR_VOTES = 500;
/** How many titles v_top_titles_by_genre_decade keeps per kind, genre and decade. */
export const TOP_TITLES_PER_GROUP = 10;

// Shared pieces of the views' SQL, written once here and interpolated (each view stays self-contained SQL, because a
// view may be created before another in Glue or DuckDB). The genre filter uses the IMDb genres (`Unknown` if none).
const TITLE_GENRE_JOIN = `JOIN bridge_title_genre bg ON bg.title_key = t.title_key AND bg.source = 'imdb'
JOIN dim_genre g ON g.genre_key = bg.genre_key`;

// weighted_rating = (v * R + m * C) / (v + m): R the title's IMDb rating, v its votes, m = BAYESIAN_PRIOR_VOTES,
// C the mean IMDb rating of the rated titles of the same kind. Null when the title has no rating.
const WEIGHTED_RATING_CTES = `prior AS (
  SELECT t.kind, AVG(f.imdb_rating) AS c
  FROM fact_title f
  JOIN dim_title t ON t.title_key = f.title_key
  WHERE f.imdb_rating IS NOT NULL
  GROUP BY t.kind
),
rated AS (
  SELECT
    f.title_key,
    (CAST(COALESCE(f.imdb_votes, 0) AS DOUBLE) * f.imdb_rating + ${BAYESIAN_PRIOR_VOTES} * p.c)
      / (CAST(COALESCE(f.imdb_votes, 0) AS DOUBLE) + ${BAYESIAN_PRIOR_VOTES}) AS weighted_rating
  FROM fact_title f
  JOIN dim_title t ON t.title_key = f.title_key
  LEFT JOIN prior p ON p.kind = t.kind
)`;

const TITLE_SUMMARY_COLUMNS = `t.kind,
  g.genre_name AS genre,
  t.decade,
  t.title_key,
  t.imdb_id,
  t.title,
  t.release_year,
  f.imdb_rating,
  f.imdb_votes,
  r.weighted_rating`;

/** Every analysis view. */
export const ANALYSIS_VIEWS: readonly ViewDef[] = [
  {
    name: "v_title_summary",
    description: "One row per title and genre: the headline facts behind the KPI tiles and the top-titles table.",
    sql: `WITH ${WEIGHTED_RATING_CTES}
SELECT
  ${TITLE_SUMMARY_COLUMNS},
  t.is_tmdb_enriched,
  CAST(f.artist_count AS BIGINT) AS artist_count
FROM dim_title t
JOIN fact_title f ON f.title_key = t.title_key
${TITLE_GENRE_JOIN}
JOIN rated r ON r.title_key = t.title_key`,
    columns: [
      ...FILTER_COLUMNS,
      col("title_key", "bigint", "Surrogate key of the title."),
      col("imdb_id", "string", "IMDb id."),
      col("title", "string", "Title."),
      col("release_year", "int", "Year of release."),
      col("imdb_rating", "double", "IMDb average rating."),
      col("imdb_votes", "bigint", "IMDb votes."),
      col("weighted_rating", "double", "Vote-weighted (Bayesian) IMDb rating within kind."),
      col("is_tmdb_enriched", "boolean", "True when TMDB details were found for the title."),
      col("artist_count", "bigint", "Distinct artists credited in the CSV."),
    ],
  },
  {
    name: "v_title_artists",
    description: "One row per title, genre and artist: lets the dashboard count distinct artists under any filter.",
    sql: `SELECT DISTINCT t.kind, g.genre_name AS genre, t.decade, t.title_key, p.person_key
FROM dim_title t
${TITLE_GENRE_JOIN}
JOIN bridge_title_person p ON p.title_key = t.title_key AND p.source = 'imdb'`,
    columns: [
      ...FILTER_COLUMNS,
      col("title_key", "bigint", "Surrogate key of the title."),
      col("person_key", "bigint", "Surrogate key of the artist."),
    ],
  },
  {
    name: "v_top_titles_by_genre_decade",
    description:
      "Top titles per kind, genre and decade by a vote-weighted rating, ranked within each group (the best " +
      `${TOP_TITLES_PER_GROUP} of each group; unrated titles left out).`,
    sql: `WITH ${WEIGHTED_RATING_CTES},
ranked AS (
  SELECT
    ${TITLE_SUMMARY_COLUMNS},
    ROW_NUMBER() OVER (
      PARTITION BY t.kind, g.genre_name, t.decade
      ORDER BY r.weighted_rating DESC, f.imdb_votes DESC, t.title_key
    ) AS rank_in_group
  FROM dim_title t
  JOIN fact_title f ON f.title_key = t.title_key
  ${TITLE_GENRE_JOIN}
  JOIN rated r ON r.title_key = t.title_key
  WHERE r.weighted_rating IS NOT NULL
)
SELECT * FROM ranked WHERE rank_in_group <= ${TOP_TITLES_PER_GROUP}`,
    columns: [
      ...FILTER_COLUMNS,
      col("title_key", "bigint", "Surrogate key of the title."),
      col("imdb_id", "string", "IMDb id."),
      col("title", "string", "Title."),
      col("release_year", "int", "Year of release."),
      col("imdb_rating", "double", "IMDb average rating."),
      col("imdb_votes", "bigint", "IMDb votes."),
      col("weighted_rating", "double", "Vote-weighted (Bayesian) rating."),
      col("rank_in_group", "bigint", "1 = best in its kind, genre and decade."),
    ],
  },
  {
    name: "v_rating_agreement",
    description: "IMDb vs TMDB ratings per title and genre, for titles rated on both.",
    sql: `SELECT
  t.kind,
  g.genre_name AS genre,
  t.decade,
  t.title_key,
  f.imdb_rating,
  f.tmdb_vote_average,
  f.tmdb_vote_average - f.imdb_rating AS rating_gap
FROM dim_title t
JOIN fact_title f ON f.title_key = t.title_key
${TITLE_GENRE_JOIN}
WHERE f.imdb_rating IS NOT NULL AND f.tmdb_vote_count > 0`,
    columns: [
      ...FILTER_COLUMNS,
      col("title_key", "bigint", "Surrogate key of the title."),
      col("imdb_rating", "double", "IMDb average rating."),
      col("tmdb_vote_average", "double", "TMDB vote average."),
      col("rating_gap", "double", "TMDB minus IMDb rating."),
    ],
  },
  {
    name: "v_financials",
    description: "Budget, revenue and return per movie and genre; titles with an unknown budget or revenue excluded.",
    sql: `SELECT
  t.kind,
  g.genre_name AS genre,
  t.decade,
  t.title_key,
  f.budget,
  f.revenue,
  f.revenue - f.budget AS profit,
  CAST(f.revenue AS DOUBLE) / f.budget AS return_ratio
FROM dim_title t
JOIN fact_title f ON f.title_key = t.title_key
${TITLE_GENRE_JOIN}
WHERE f.budget IS NOT NULL AND f.revenue IS NOT NULL AND f.budget > 0`,
    columns: [
      ...FILTER_COLUMNS,
      col("title_key", "bigint", "Surrogate key of the title."),
      col("budget", "bigint", "Budget in USD (known only)."),
      col("revenue", "bigint", "Revenue in USD (known only)."),
      col("profit", "bigint", "Revenue minus budget."),
      col("return_ratio", "double", "Revenue divided by budget."),
    ],
  },
  {
    name: "v_franchise_vs_standalone",
    description: "Per title and genre: whether it belongs to a TMDB collection, with its ratings and revenue.",
    sql: `SELECT
  t.kind,
  g.genre_name AS genre,
  t.decade,
  t.title_key,
  t.collection_id IS NOT NULL AS is_franchise,
  f.imdb_rating,
  f.revenue
FROM dim_title t
JOIN fact_title f ON f.title_key = t.title_key
${TITLE_GENRE_JOIN}
WHERE t.kind = 'movie' AND t.is_tmdb_enriched`,
    columns: [
      ...FILTER_COLUMNS,
      col("title_key", "bigint", "Surrogate key of the title."),
      col("is_franchise", "boolean", "True when the title belongs to a collection."),
      col("imdb_rating", "double", "IMDb average rating."),
      col("revenue", "bigint", "Revenue in USD, null when unknown."),
    ],
  },
  {
    name: "v_cast_gender_share",
    description: "Cast credits per kind, genre, decade and gender (TMDB gender where known, else the CSV category).",
    sql: `WITH credit_source AS (
  SELECT title_key, MAX(CASE WHEN source = 'tmdb' THEN 'tmdb' ELSE 'imdb' END) AS source
  FROM bridge_title_person
  WHERE role = 'cast'
  GROUP BY title_key
)
SELECT t.kind, g.genre_name AS genre, t.decade, p.gender, COUNT(*) AS credits
FROM dim_title t
${TITLE_GENRE_JOIN}
JOIN credit_source s ON s.title_key = t.title_key
JOIN bridge_title_person p ON p.title_key = t.title_key AND p.source = s.source AND p.role = 'cast'
GROUP BY t.kind, g.genre_name, t.decade, p.gender`,
    columns: [
      ...FILTER_COLUMNS,
      col("gender", "string", "`female`, `male`, `non-binary` or `unknown`."),
      col("credits", "bigint", "Number of cast credits."),
    ],
  },
  {
    name: "v_series_longevity",
    description: "Per series and genre: years on air, seasons, episodes and rating.",
    sql: `SELECT
  t.kind,
  g.genre_name AS genre,
  t.decade,
  t.title_key,
  CAST(COALESCE(t.end_year, YEAR(CURRENT_DATE)) - t.release_year + 1 AS INTEGER) AS years_running,
  f.number_of_seasons AS seasons,
  f.number_of_episodes AS episodes,
  f.imdb_rating
FROM dim_title t
JOIN fact_title f ON f.title_key = t.title_key
${TITLE_GENRE_JOIN}
WHERE t.kind = 'series'`,
    columns: [
      ...FILTER_COLUMNS,
      col("title_key", "bigint", "Surrogate key of the title."),
      col("years_running", "int", "End year (or the current year) minus start year, plus one."),
      col("seasons", "int", "Number of seasons (TMDB), null when unknown."),
      col("episodes", "int", "Number of episodes (TMDB), null when unknown."),
      col("imdb_rating", "double", "IMDb average rating."),
    ],
  },
  {
    name: "v_countries_over_time",
    description: "Titles per production country, kind, genre and decade (TMDB production countries).",
    sql: `SELECT
  t.kind,
  g.genre_name AS genre,
  t.decade,
  c.country_code,
  c.country_name,
  COUNT(DISTINCT t.title_key) AS titles
FROM dim_title t
${TITLE_GENRE_JOIN}
JOIN bridge_title_country bc ON bc.title_key = t.title_key
JOIN dim_country c ON c.country_key = bc.country_key
GROUP BY t.kind, g.genre_name, t.decade, c.country_code, c.country_name`,
    columns: [
      ...FILTER_COLUMNS,
      col("country_code", "string", "ISO 3166-1 alpha-2 code."),
      col("country_name", "string", "Country name."),
      col("titles", "bigint", "Number of titles."),
    ],
  },
];
