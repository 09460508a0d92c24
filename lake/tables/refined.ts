/**
 * The Refined zone's star schema (see docs/data-model.md): one fact row per title, movies and series alike, with its
 * dimensions and one bridge per multi-valued attribute. Surrogate keys are `xxhash64("<namespace>|<natural key>")`
 * (Spark's xxhash64, seed 42), so a title or person keeps its key across runs; `date_key` is the day as `yyyymmdd`.
 */
import type { Column, ForeignKey, TableDef } from "../tables";
import { refinedTablePrefix } from "../paths";

const col = (name: string, type: string, description: string): Column => ({ name, type, description });
const fk = (column: string, table: string, references = column): ForeignKey => ({
  columns: [column],
  references: { table, columns: [references] },
});

function refined(
  name: string,
  description: string,
  columns: Column[],
  primaryKey: string[],
  foreignKeys: ForeignKey[] = [],
): TableDef {
  return {
    name,
    zone: "refined",
    description,
    location: refinedTablePrefix(name),
    columns,
    partitionKeys: [],
    primaryKey,
    foreignKeys,
  };
}

const TITLE_KEY = col("title_key", "bigint", 'Surrogate key of the title: xxhash64("title|" + imdb_id).');

/** The title dimension: what a title is (kind, names, years, language, status, collection). */
export const DIM_TITLE = refined(
  "dim_title",
  "One row per title (movie or series) of the IMDb CSVs, enriched with its latest TMDB details when TMDB knows it.",
  [
    TITLE_KEY,
    col("imdb_id", "string", "IMDb title id (natural key)."),
    col("kind", "string", "`movie` or `series`."),
    col("title", "string", "Main title (IMDb)."),
    col("original_title", "string", "Title in the original language (IMDb)."),
    col("release_year", "int", "Year of release (series: first year), from IMDb, else from TMDB's date."),
    col("end_year", "int", "Series only: last year (IMDb), null while running."),
    col("decade", "int", "Decade of release_year, e.g. 1990; null when the year is unknown."),
    col("tmdb_id", "int", "TMDB id, null when TMDB does not know the title."),
    col("tmdb_title", "string", "Title on TMDB (movie `title`, series `name`)."),
    col("original_language", "string", "ISO 639-1 code of the original language (TMDB)."),
    col("status", "string", "TMDB status, e.g. `Released`, `Ended`, `Returning Series`."),
    col("collection_id", "int", "TMDB collection (franchise) id, null when none or not enriched."),
    col("collection_name", "string", "TMDB collection (franchise) name."),
    col("series_type", "string", "Series only: TMDB type, e.g. `Scripted`, `Miniseries`."),
    col("in_production", "boolean", "Series only: TMDB's in-production flag."),
    col("is_tmdb_enriched", "boolean", "True when TMDB details were found for the title."),
    col("tmdb_dt", "string", "Collection day (dt) of the TMDB record used, null when not enriched."),
  ],
  ["title_key"],
);

/** The date dimension, one row per calendar day. */
export const DIM_DATE = refined(
  "dim_date",
  "One row per calendar day, from 1 January of the earliest referenced year to 31 December of the latest.",
  [
    col("date_key", "int", "The day as yyyymmdd (a stable smart key)."),
    col("date", "date", "The calendar day."),
    col("year", "int", "Year."),
    col("quarter", "int", "Quarter, 1-4."),
    col("month", "int", "Month, 1-12."),
    col("day", "int", "Day of the month."),
    col("day_of_week", "int", "ISO day of the week, 1 = Monday."),
    col("decade", "int", "Decade, e.g. 1990."),
  ],
  ["date_key"],
);

/** The fact: the measures of one title. */
export const FACT_TITLE = refined(
  "fact_title",
  "Grain: one row per title (movie or series). IMDb rating and votes, TMDB popularity and votes on the latest " +
    "collection day, budget, revenue and profit (null when unknown), runtime, seasons and episodes, credit counts.",
  [
    TITLE_KEY,
    col("release_date_key", "int", "Release (series: first air) date from TMDB, null when unknown."),
    col("tmdb_snapshot_date_key", "int", "Collection day of the TMDB measures, null when not enriched."),
    col("imdb_rating", "double", "IMDb average rating, 1-10."),
    col("imdb_votes", "bigint", "IMDb vote count."),
    col("tmdb_popularity", "double", "TMDB popularity on the collection day."),
    col("tmdb_vote_average", "double", "TMDB vote average, 0-10."),
    col("tmdb_vote_count", "bigint", "TMDB vote count."),
    col("budget", "bigint", "Budget in USD, null when unknown (never 0)."),
    col("revenue", "bigint", "Revenue in USD, null when unknown (never 0)."),
    col("profit", "bigint", "Revenue minus budget, null unless both are known."),
    col("runtime_minutes", "int", "Runtime in minutes (IMDb, else TMDB)."),
    col("number_of_seasons", "int", "Series only: seasons (TMDB)."),
    col("number_of_episodes", "int", "Series only: episodes (TMDB)."),
    col("artist_count", "int", "Distinct artists credited for the title in the IMDb CSV."),
    col("tmdb_cast_count", "int", "Distinct TMDB cast members, null when not enriched."),
  ],
  ["title_key"],
  [
    fk("title_key", "dim_title"),
    fk("release_date_key", "dim_date", "date_key"),
    fk("tmdb_snapshot_date_key", "dim_date", "date_key"),
  ],
);

/** The genre dimension (IMDb and TMDB names side by side). */
export const DIM_GENRE = refined(
  "dim_genre",
  "One row per genre name (IMDb's and TMDB's vocabularies differ; `Unknown` stands for a title without IMDb genres).",
  [
    col("genre_key", "bigint", 'Surrogate key: xxhash64("genre|" + lower(name)).'),
    col("genre_name", "string", "Genre name as the source spells it."),
  ],
  ["genre_key"],
);

/** Title-genre pairs. */
export const BRIDGE_TITLE_GENRE = refined(
  "bridge_title_genre",
  "One row per (title, genre, source): IMDb genres (every title has at least one, `Unknown` if none) and TMDB genres.",
  [
    TITLE_KEY,
    col("genre_key", "bigint", "Surrogate key of the genre."),
    col("source", "string", "`imdb` (the CSV's genres) or `tmdb`."),
  ],
  ["title_key", "genre_key", "source"],
  [fk("title_key", "dim_title"), fk("genre_key", "dim_genre")],
);

/** The person dimension: CSV artists and TMDB people, kept apart by source. */
export const DIM_PERSON = refined(
  "dim_person",
  "One row per person of a source: IMDb CSV artists (natural key name + birth year, the CSV has no person id) " +
    "and TMDB cast and crew (natural key TMDB person id). The two are not merged (see docs/data-model.md).",
  [
    col(
      "person_key",
      "bigint",
      'Surrogate key: xxhash64("person|imdb|" + name + "|" + birth year) or xxhash64("person|tmdb|" + id).',
    ),
    col("source", "string", "`imdb` (CSV artist) or `tmdb`."),
    col("tmdb_person_id", "int", "TMDB person id, null for CSV artists."),
    col("name", "string", "Name."),
    col("birth_year", "int", "Birth year (CSV artists)."),
    col("death_year", "int", "Death year (CSV artists), null if alive or unknown."),
    col("gender", "string", "`female`, `male`, `non-binary` or `unknown` (CSV: from actor/actress)."),
    col("professions", "array<string>", "Professions (CSV artists)."),
    col("known_for_titles", "array<string>", "IMDb ids the artist is known for (CSV artists)."),
  ],
  ["person_key"],
);

/** Title-person credits. */
export const BRIDGE_TITLE_PERSON = refined(
  "bridge_title_person",
  "One row per credit: (title, person, role, character or job). CSV artists are cast; TMDB adds cast and crew.",
  [
    TITLE_KEY,
    col("person_key", "bigint", "Surrogate key of the person."),
    col("source", "string", "`imdb` (CSV) or `tmdb`."),
    col("role", "string", "`cast` or `crew`."),
    col("character_name", "string", "Character played (cast)."),
    col("department", "string", "Department (`Acting` for cast, e.g. `Directing` for crew)."),
    col("job", "string", "Crew job, e.g. `Director`; null for cast."),
    col("cast_order", "int", "TMDB billing order, 0 first; null for CSV and crew."),
    col("gender", "string", "Gender as credited: TMDB gender, or the CSV's actor/actress."),
  ],
  ["title_key", "person_key", "role", "character_name", "job"],
  [fk("title_key", "dim_title"), fk("person_key", "dim_person")],
);

/** The country dimension. */
export const DIM_COUNTRY = refined(
  "dim_country",
  "One row per production country (TMDB, ISO 3166-1 alpha-2).",
  [
    col("country_key", "bigint", 'Surrogate key: xxhash64("country|" + code).'),
    col("country_code", "string", "ISO 3166-1 alpha-2 code."),
    col("country_name", "string", "English name."),
  ],
  ["country_key"],
);

/** Title-country pairs. */
export const BRIDGE_TITLE_COUNTRY = refined(
  "bridge_title_country",
  "One row per (title, production country), TMDB-enriched titles only.",
  [TITLE_KEY, col("country_key", "bigint", "Surrogate key of the country.")],
  ["title_key", "country_key"],
  [fk("title_key", "dim_title"), fk("country_key", "dim_country")],
);

/** The company dimension: production companies and TV networks. */
export const DIM_COMPANY = refined(
  "dim_company",
  "One row per TMDB production company or TV network (separate TMDB id spaces, told apart by company_type).",
  [
    col("company_key", "bigint", 'Surrogate key: xxhash64("company|" + type + "|" + TMDB id).'),
    col("company_type", "string", "`production` (production company) or `network` (TV network)."),
    col("tmdb_company_id", "int", "TMDB company or network id."),
    col("company_name", "string", "Name."),
    col("origin_country", "string", "ISO 3166-1 code of the company's country, null when unknown."),
  ],
  ["company_key"],
);

/** Title-company pairs. */
export const BRIDGE_TITLE_COMPANY = refined(
  "bridge_title_company",
  "One row per (title, company): production companies of movies and series, networks of series.",
  [TITLE_KEY, col("company_key", "bigint", "Surrogate key of the company or network.")],
  ["title_key", "company_key"],
  [fk("title_key", "dim_title"), fk("company_key", "dim_company")],
);

/** Every Refined table: the fact, then dimensions, then bridges. */
export const REFINED_TABLES: readonly TableDef[] = [
  FACT_TITLE,
  DIM_TITLE,
  DIM_DATE,
  DIM_GENRE,
  DIM_PERSON,
  DIM_COUNTRY,
  DIM_COMPANY,
  BRIDGE_TITLE_GENRE,
  BRIDGE_TITLE_PERSON,
  BRIDGE_TITLE_COUNTRY,
  BRIDGE_TITLE_COMPANY,
];
