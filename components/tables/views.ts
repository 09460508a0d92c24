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

// The SQL of each view is written by the Refined work (issue 5); the columns here are the contract with the dashboard.
/** Every analysis view. */
export const ANALYSIS_VIEWS: readonly ViewDef[] = [
  {
    name: "v_title_summary",
    description: "One row per title and genre: the headline facts behind the KPI tiles and the top-titles table.",
    sql: "",
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
    sql: "",
    columns: [
      ...FILTER_COLUMNS,
      col("title_key", "bigint", "Surrogate key of the title."),
      col("person_key", "bigint", "Surrogate key of the artist."),
    ],
  },
  {
    name: "v_top_titles_by_genre_decade",
    description: "Top titles per kind, genre and decade by a vote-weighted rating, ranked within each group.",
    sql: "",
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
    sql: "",
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
    sql: "",
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
    sql: "",
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
    sql: "",
    columns: [
      ...FILTER_COLUMNS,
      col("gender", "string", "`female`, `male`, `non-binary` or `unknown`."),
      col("credits", "bigint", "Number of cast credits."),
    ],
  },
  {
    name: "v_series_longevity",
    description: "Per series and genre: years on air, seasons, episodes and rating.",
    sql: "",
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
    sql: "",
    columns: [
      ...FILTER_COLUMNS,
      col("country_code", "string", "ISO 3166-1 alpha-2 code."),
      col("country_name", "string", "Country name."),
      col("titles", "bigint", "Number of titles."),
    ],
  },
];
