/**
 * The Trusted zone's tables: the Raw CSVs typed and cleaned (not partitioned) and the TMDB details flattened to the
 * parts the model needs (partitioned by collection day `dt`).
 */
import type { Column, TableDef } from "../tables";
import { DATASETS, datasetPrefix } from "../paths";

/** The Portuguese header of the Raw CSVs (typo `tituloPincipal` included) mapped to the Trusted column names. */
export const CSV_HEADER_MAPPING: Readonly<Record<string, string>> = {
  id: "imdb_id",
  tituloPincipal: "title",
  tituloOriginal: "original_title",
  anoLancamento: "release_year",
  anoTermino: "end_year",
  tempoMinutos: "runtime_minutes",
  genero: "genres",
  notaMedia: "average_rating",
  numeroVotos: "num_votes",
  generoArtista: "artist_category",
  personagem: "character_name",
  nomeArtista: "artist_name",
  anoNascimento: "birth_year",
  anoFalecimento: "death_year",
  profissao: "professions",
  titulosMaisConhecidos: "known_for_titles",
};

/** The header of the Raw movies CSV, in file order (15 columns). */
export const MOVIES_CSV_HEADER = [
  "id",
  "tituloPincipal",
  "tituloOriginal",
  "anoLancamento",
  "tempoMinutos",
  "genero",
  "notaMedia",
  "numeroVotos",
  "generoArtista",
  "personagem",
  "nomeArtista",
  "anoNascimento",
  "anoFalecimento",
  "profissao",
  "titulosMaisConhecidos",
] as const;

/** The header of the Raw series CSV, in file order (16 columns: `anoTermino` after `anoLancamento`). */
export const SERIES_CSV_HEADER = [
  ...MOVIES_CSV_HEADER.slice(0, 4),
  "anoTermino",
  ...MOVIES_CSV_HEADER.slice(4),
] as const;

const CSV_COLUMN_TYPES: Readonly<Record<string, [string, string]>> = {
  imdb_id: ["string", "IMDb title id (tt + 7-8 digits); from `id`."],
  title: ["string", "Main (popular) title; from `tituloPincipal`."],
  original_title: ["string", "Title in the original language; from `tituloOriginal`."],
  release_year: ["int", "Year of release (series: first year); from `anoLancamento`."],
  end_year: ["int", "Series only: last year, null while running; from `anoTermino`."],
  runtime_minutes: ["int", "Runtime in minutes; from `tempoMinutos`."],
  genres: ["array<string>", "IMDb genres (1-3); from the comma-separated `genero`."],
  average_rating: ["double", "IMDb average rating, 1.0-10.0; from `notaMedia`."],
  num_votes: ["bigint", "IMDb vote count; from `numeroVotos`."],
  artist_category: ["string", "`actor` or `actress`; from `generoArtista`."],
  character_name: ["string", "Character played, as given; from `personagem`."],
  artist_name: ["string", "Artist name; from `nomeArtista`."],
  birth_year: ["int", "Artist's birth year; from `anoNascimento`."],
  death_year: ["int", "Artist's death year, null if alive or unknown; from `anoFalecimento`."],
  professions: ["array<string>", "Artist's professions; from the comma-separated `profissao`."],
  known_for_titles: ["array<string>", "IMDb ids the artist is known for; from `titulosMaisConhecidos`."],
};

function csvColumns(header: readonly string[]): Column[] {
  return header.map((source) => {
    const name = CSV_HEADER_MAPPING[source] as string;
    const [type, description] = CSV_COLUMN_TYPES[name] as [string, string];
    return { name, type, description };
  });
}

/** The Trusted tables of the CSV job (one row per title-artist pair, as in Raw, exact duplicates removed). */
export const TRUSTED_CSV_TABLES: readonly TableDef[] = [
  {
    name: "trusted_movies",
    zone: "trusted",
    description: "One row per (movie, artist) pair from the Raw movies CSV, typed; exact duplicate rows removed.",
    location: datasetPrefix(DATASETS.trustedMovies),
    columns: csvColumns(MOVIES_CSV_HEADER),
    partitionKeys: [],
    primaryKey: ["imdb_id", "artist_name", "character_name"],
    foreignKeys: [],
  },
  {
    name: "trusted_series",
    zone: "trusted",
    description: "One row per (series, artist) pair from the Raw series CSV, typed; exact duplicate rows removed.",
    location: datasetPrefix(DATASETS.trustedSeries),
    columns: csvColumns(SERIES_CSV_HEADER),
    partitionKeys: [],
    primaryKey: ["imdb_id", "artist_name", "character_name"],
    foreignKeys: [],
  },
];

/** Hive types of the nested TMDB parts, shared by the movies and series tables (TMDB's own field names). */
export const TMDB_NESTED_TYPES = {
  /** `genres[]`: TMDB genre id and English name. */
  genres: "array<struct<id:int,name:string>>",
  /** `credits.cast[]`: the billed cast, `order` 0 first; gender 0 unknown, 1 female, 2 male, 3 non-binary. */
  cast: "array<struct<id:int,name:string,character:string,gender:int,order:int>>",
  /** `credits.crew[]`: one entry per (person, job). */
  crew: "array<struct<id:int,name:string,department:string,job:string,gender:int>>",
  /** `production_companies[]`. */
  productionCompanies: "array<struct<id:int,name:string,origin_country:string>>",
  /** `production_countries[]`. */
  productionCountries: "array<struct<iso_3166_1:string,name:string>>",
  /** `spoken_languages[]`. */
  spokenLanguages: "array<struct<iso_639_1:string,english_name:string,name:string>>",
  /** `keywords.keywords[]` (movies) or `keywords.results[]` (tv). */
  keywords: "array<struct<id:int,name:string>>",
} as const;

function col(name: string, type: string, description: string): Column {
  return { name, type, description };
}

/** The columns both TMDB tables start with. */
const TMDB_ID_COLUMNS: Column[] = [
  col("tmdb_id", "int", "TMDB id of the title (`id`); unique per `dt`."),
  col("imdb_id", "string", "IMDb title id (tt...), null when TMDB has none; joins to the CSV tables' `imdb_id`."),
];

/** Columns both TMDB tables share after their own title columns. */
const TMDB_COMMON_COLUMNS: Column[] = [
  col("original_language", "string", "ISO 639-1 code of the original language."),
  col("overview", "string", "Synopsis (TMDB's default language)."),
  col("tagline", "string", "Tagline, null when empty."),
  col("status", "string", "Production/release status, e.g. `Released`, `Returning Series`, `Ended`."),
  col("homepage", "string", "Official homepage, null when empty."),
  col("adult", "boolean", "TMDB's adult flag."),
  col("popularity", "double", "TMDB popularity score on the collection day."),
  col("vote_average", "double", "TMDB average vote, 0-10, on the collection day."),
  col("vote_count", "bigint", "TMDB vote count on the collection day."),
  col("genres", TMDB_NESTED_TYPES.genres, "TMDB genres (`genres[]`)."),
  col("production_companies", TMDB_NESTED_TYPES.productionCompanies, "Production companies."),
  col("production_countries", TMDB_NESTED_TYPES.productionCountries, "Production countries (ISO 3166-1)."),
  col("spoken_languages", TMDB_NESTED_TYPES.spokenLanguages, "Spoken languages (ISO 639-1)."),
  col("keywords", TMDB_NESTED_TYPES.keywords, "TMDB keywords (appended `keywords`)."),
  col("cast", TMDB_NESTED_TYPES.cast, "Billed cast (appended `credits.cast`)."),
  col("crew", TMDB_NESTED_TYPES.crew, "Crew (appended `credits.crew`)."),
];

/** Lineage column: which Raw object the row came from (used to keep the latest record of an id). */
const TMDB_SOURCE_COLUMN = col("source_file", "string", "The Raw JSON object the record was read from.");

const DT_PARTITION: Column[] = [
  col("dt", "string", "Collection day (YYYY-MM-DD), from the Raw path `YYYY/MM/DD` of the source file."),
];

/**
 * The Trusted tables of the TMDB job: one row per TMDB id per collection day `dt`, the latest record of that day
 * winning. `budget`/`revenue` are 64-bit and TMDB's 0 ("unknown") becomes null; empty strings become null.
 */
export const TRUSTED_TMDB_TABLES: readonly TableDef[] = [
  {
    name: "trusted_tmdb_movies",
    zone: "trusted",
    description:
      "One row per TMDB movie id per collection day (dt), from /movie/{id} details with appended credits, keywords, " +
      "external_ids and release_dates; budget/revenue 0 mean unknown and are stored as null.",
    location: datasetPrefix(DATASETS.trustedTmdbMovies),
    columns: [
      ...TMDB_ID_COLUMNS,
      col("title", "string", "Title (TMDB's default language)."),
      col("original_title", "string", "Title in the original language."),
      col("release_date", "date", "Primary release date, null when empty."),
      col("runtime", "int", "Runtime in minutes, null when 0 or missing."),
      col("budget", "bigint", "Budget in USD; TMDB's 0 (unknown) stored as null."),
      col("revenue", "bigint", "Worldwide revenue in USD; TMDB's 0 (unknown) stored as null."),
      col(
        "belongs_to_collection",
        "struct<id:int,name:string>",
        "The collection (franchise) the movie belongs to, null when none.",
      ),
      ...TMDB_COMMON_COLUMNS,
      col(
        "release_dates",
        "array<struct<iso_3166_1:string,certification:string,release_date:date,type:int>>",
        "Release dates flattened from `release_dates.results[].release_dates[]`; type 1 premiere .. 6 TV.",
      ),
      TMDB_SOURCE_COLUMN,
    ],
    partitionKeys: DT_PARTITION,
    primaryKey: ["tmdb_id", "dt"],
    foreignKeys: [],
  },
  {
    name: "trusted_tmdb_series",
    zone: "trusted",
    description:
      "One row per TMDB series id per collection day (dt), from /tv/{id} details with appended credits, keywords, " +
      "external_ids and content_ratings; imdb_id comes from external_ids.",
    location: datasetPrefix(DATASETS.trustedTmdbSeries),
    columns: [
      ...TMDB_ID_COLUMNS,
      col("name", "string", "Series name (TMDB's default language)."),
      col("original_name", "string", "Series name in the original language."),
      col("first_air_date", "date", "First air date, null when empty."),
      col("last_air_date", "date", "Last air date so far, null when empty."),
      col("number_of_seasons", "int", "Number of seasons."),
      col("number_of_episodes", "int", "Number of episodes."),
      col("episode_run_time", "array<int>", "Typical episode runtimes in minutes."),
      col("type", "string", "Series type, e.g. `Scripted`, `Miniseries`, `Documentary`."),
      col("in_production", "boolean", "Whether the series is still in production."),
      col("origin_country", "array<string>", "Origin countries (ISO 3166-1)."),
      col("networks", "array<struct<id:int,name:string,origin_country:string>>", "Networks that air the series."),
      col("created_by", "array<struct<id:int,name:string,gender:int>>", "Creators."),
      ...TMDB_COMMON_COLUMNS,
      col(
        "content_ratings",
        "array<struct<iso_3166_1:string,rating:string>>",
        "Content ratings per country (appended `content_ratings.results`).",
      ),
      TMDB_SOURCE_COLUMN,
    ],
    partitionKeys: DT_PARTITION,
    primaryKey: ["tmdb_id", "dt"],
    foreignKeys: [],
  },
];

/** Every Trusted table. */
export const TRUSTED_TABLES: readonly TableDef[] = [...TRUSTED_CSV_TABLES, ...TRUSTED_TMDB_TABLES];
