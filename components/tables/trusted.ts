/**
 * The Trusted zone's tables: the Raw CSVs typed and cleaned (not partitioned) and the TMDB details flattened to the
 * parts the model needs (partitioned by collection day `dt`).
 */
import type { Column, TableDef } from "../tables";
import { DATASETS, datasetPrefix } from "../lakePaths";

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
  imdb_id: ["string", "IMDb title id (tt + 7-8 digits)."],
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

/** The Trusted tables of the TMDB job (one row per TMDB id per collection day). Filled by the TMDB job's work. */
export const TRUSTED_TMDB_TABLES: readonly TableDef[] = [];

/** Every Trusted table. */
export const TRUSTED_TABLES: readonly TableDef[] = [...TRUSTED_CSV_TABLES, ...TRUSTED_TMDB_TABLES];
