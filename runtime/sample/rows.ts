/**
 * Pure builders of the sample CSV rows. A plan fixes the sizes; every title and every person is then a function of
 * (seed, index) alone, so the generator streams rows without holding any pool in memory and the same seed gives the
 * same bytes. Persons are shared: a title picks the persons whose careers match its year, in movies and series alike.
 */
import { MOVIES_CSV_HEADER, SERIES_CSV_HEADER } from "../../lake/tables/trusted";
import { Rng, cumulative, hash32 } from "../shared/random";
import {
  CHARACTERS,
  FEMALE_FIRST_NAMES,
  FOREIGN_TITLES,
  GENRES,
  LAST_NAMES,
  MALE_FIRST_NAMES,
  MOVIE_GENRE_WEIGHTS,
  OTHER_PROFESSIONS,
  SERIES_GENRE_WEIGHTS,
  TITLE_NOUNS,
  TITLE_STARTS,
  type Genre,
} from "./vocabulary";

/** The null marker of the real files, used in text and numeric columns alike. */
export const NULL = "\\N";
/** The field separator of the real files. */
export const SEPARATOR = "|";
/** The line ending of the real files. */
export const EOL = "\r\n";
/** The first and last release years of the sample. */
export const YEAR_RANGE = { min: 1894, max: 2025 } as const;

/** Which file a title belongs to. */
export type TitleKind = "movie" | "series";

/** Relative weights of 1..10 artists per movie (mean about 4.7). */
export const MOVIE_ARTIST_WEIGHTS = [11, 13, 14, 14, 12, 10, 8, 7, 6, 5] as const;
/** Relative weights of 1..10 artists per series (mean about 6.6: shows credit more regulars). */
export const SERIES_ARTIST_WEIGHTS = [3, 4, 5, 7, 9, 11, 12, 12, 12, 12] as const;

/** The expected number of artists (rows) per title for a list of weights of 1..10. */
export function meanArtists(weights: readonly number[]): number {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  return weights.reduce((sum, weight, index) => sum + weight * (index + 1), 0) / total;
}

/** Row counts of the real files, which `--scale full` reproduces. */
export const FULL_SCALE_ROWS = { movies: 1_050_000, series: 470_000 } as const;
const FULL_MOVIE_TITLES = FULL_SCALE_ROWS.movies / meanArtists(MOVIE_ARTIST_WEIGHTS);
const FULL_SERIES_TITLES = FULL_SCALE_ROWS.series / meanArtists(SERIES_ARTIST_WEIGHTS);
/** The number of titles of `--scale full`, chosen so the row counts match the real files. */
export const FULL_SCALE_TITLES = Math.round(FULL_MOVIE_TITLES + FULL_SERIES_TITLES);
/** The share of titles that are movies (the rest are series), as in the real files (about 76%). */
export const MOVIE_SHARE = FULL_MOVIE_TITLES / (FULL_MOVIE_TITLES + FULL_SERIES_TITLES);
/** The number of titles of `--scale small` (a few thousand rows). */
export const SMALL_SCALE_TITLES = 1000;

/** The sizes every title and person is derived from. */
export interface SamplePlan {
  /** The seed of every random choice. */
  seed: number;
  /** Number of movie titles (rows of movies.csv are their artists). */
  movieTitles: number;
  /** Number of series titles. */
  seriesTitles: number;
  /** Number of distinct persons titles draw their artists from. */
  persons: number;
}

/** Builds the plan for a number of titles, split between movies and series like the real files. */
export function makePlan(titles: number, seed: number): SamplePlan {
  if (!Number.isInteger(titles) || titles < 2)
    throw new Error(`titles must be an integer >= 2 (one movie and one series at least), got ${titles}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER)
    throw new Error(`seed must be a non-negative integer, got ${seed}`);
  const movieTitles = Math.min(titles - 1, Math.max(1, Math.round(titles * MOVIE_SHARE)));
  const seriesTitles = titles - movieTitles;
  const expectedRows =
    movieTitles * meanArtists(MOVIE_ARTIST_WEIGHTS) + seriesTitles * meanArtists(SERIES_ARTIST_WEIGHTS);
  // About three credits per person on average, many more for the "stars" (see pickPerson).
  return { seed, movieTitles, seriesTitles, persons: Math.max(50, Math.round(expectedRows / 3)) };
}

const KIND_CODE: Record<TitleKind, number> = { movie: 1, series: 2 };
const PERSON_STREAM = 7;
const STAR_EVERY = 40;

function titlesOf(plan: SamplePlan, kind: TitleKind): number {
  return kind === "movie" ? plan.movieTitles : plan.seriesTitles;
}

/**
 * The IMDb id of a title: `tt` + 7 or 8 digits, increasing with the index inside a file, unique across both files
 * (movies take even numbers, series odd ones).
 */
export function titleId(plan: SamplePlan, kind: TitleKind, index: number): string {
  const count = titlesOf(plan, kind);
  // Spread the ids over up to ~40 million numbers, like IMDb's, leaving random gaps between consecutive titles.
  const stride = Math.max(1, Math.min(2000, Math.floor(20_000_000 / count)));
  const jitter = hash32(plan.seed, KIND_CODE[kind], index, 99) % stride;
  const number = 2 * (10 + index * stride + jitter) + (kind === "movie" ? 0 : 1);
  return `tt${String(number).padStart(7, "0")}`;
}

/** The position in [0, 1) of a year on the sample's timeline: later years hold more titles (density grows as t^2). */
function yearPosition(year: number): number {
  const t = (year - YEAR_RANGE.min) / (YEAR_RANGE.max - YEAR_RANGE.min);
  return Math.min(0.999999, Math.max(0, t) ** 3);
}

/** The year at a position of the timeline (inverse of {@link yearPosition}). */
function yearAt(position: number): number {
  return YEAR_RANGE.min + Math.cbrt(position) * (YEAR_RANGE.max - YEAR_RANGE.min);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** A person of the shared pool: the same index always gives the same person. */
export interface Person {
  /** Index in the pool. */
  index: number;
  /** `nomeArtista`. */
  name: string;
  /** `generoArtista`: `actor` or `actress`. */
  category: "actor" | "actress";
  /** `anoNascimento`, or null when unknown. */
  birthYear: number | null;
  /** `anoFalecimento`, or null when alive or unknown. */
  deathYear: number | null;
  /** `profissao` (1–3 values). */
  professions: string[];
  /** `titulosMaisConhecidos` (1–4 ids, from either file, not necessarily this person's rows). */
  knownFor: string[];
}

/** The year around which a person of the pool works. */
function careerYear(plan: SamplePlan, index: number): number {
  return yearAt((index + 0.5) / plan.persons);
}

/** The person at an index of the pool. */
export function personAt(plan: SamplePlan, index: number): Person {
  const rng = new Rng(plan.seed, PERSON_STREAM, index);
  const career = Math.round(careerYear(plan, index));
  const category = rng.chance(0.36) ? "actress" : "actor";
  const first = rng.pick(category === "actress" ? FEMALE_FIRST_NAMES : MALE_FIRST_NAMES);
  const initial = rng.chance(0.12) ? `${String.fromCharCode(65 + rng.int(0, 25))}. ` : "";
  const name = `${first} ${initial}${rng.pick(LAST_NAMES)}`;

  let birthYear: number | null = null;
  let deathYear: number | null = null;
  if (rng.chance(0.72)) {
    birthYear = Math.min(career - rng.int(8, 55), YEAR_RANGE.max - 5);
    // Nobody dies before the career that puts them in these titles.
    const death = Math.max(birthYear + rng.int(35, 99), career + rng.int(3, 30));
    if (death <= YEAR_RANGE.max && rng.chance(0.93)) deathYear = death;
  } else if (rng.chance(0.25)) {
    // Known death, unknown birth, as in the real files.
    const death = career + rng.int(1, 50);
    if (death <= YEAR_RANGE.max) deathYear = death;
  }

  const professions: string[] = [];
  const extras = rng.weighted([0, 1, 2], cumulative([50, 32, 18]));
  while (professions.length < extras) {
    const profession = rng.pick(OTHER_PROFESSIONS);
    if (!professions.includes(profession)) professions.push(profession);
  }
  // Mostly the acting profession comes first; sometimes later, and rarely not at all (writers credited on screen).
  if (!(professions.length > 0 && rng.chance(0.03))) {
    professions.splice(rng.chance(0.85) ? 0 : rng.int(0, professions.length), 0, category);
  }

  const knownCount = rng.weighted([1, 2, 3, 4], cumulative([12, 6, 8, 74]));
  const knownFor: string[] = [];
  for (let attempt = 0; knownFor.length < knownCount && attempt < 20; attempt++) {
    const kind: TitleKind = rng.chance(MOVIE_SHARE) ? "movie" : "series";
    const count = titlesOf(plan, kind);
    const year = career + rng.normal(0, 6);
    const titleIndex = clamp(Math.floor(yearPosition(year) * count), 0, count - 1);
    const id = titleId(plan, kind, titleIndex);
    if (!knownFor.includes(id)) knownFor.push(id);
  }
  return { index, name, category, birthYear, deathYear, professions, knownFor };
}

/** One title with its artists: everything needed to write its rows. */
export interface Title {
  /** Movie or series. */
  kind: TitleKind;
  /** `id`. */
  id: string;
  /** `tituloPincipal`. */
  title: string;
  /** `tituloOriginal`. */
  originalTitle: string;
  /** `anoLancamento`. */
  year: number;
  /** `anoTermino` (series only; null while running). */
  endYear: number | null;
  /** `tempoMinutos`, null when unknown. */
  runtime: number | null;
  /** `genero`: 1–3 genres in alphabetical order, or none (written `\N`). */
  genres: Genre[];
  /** `notaMedia`, 1.0–10.0. */
  rating: number;
  /** `numeroVotos`. */
  votes: number;
  /** The artists' pool indices and their characters (null when unknown). */
  credits: { person: number; character: string | null }[];
}

const MOVIE_GENRE_CUMULATIVE = cumulative(GENRES.map((genre) => MOVIE_GENRE_WEIGHTS[genre]));
const SERIES_GENRE_CUMULATIVE = cumulative(GENRES.map((genre) => SERIES_GENRE_WEIGHTS[genre]));
const ARTIST_COUNTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const MOVIE_ARTIST_CUMULATIVE = cumulative(MOVIE_ARTIST_WEIGHTS);
const SERIES_ARTIST_CUMULATIVE = cumulative(SERIES_ARTIST_WEIGHTS);
const EPISODE_RUNTIMES = [11, 22, 24, 25, 30, 42, 44, 45, 50, 55, 60, 90];

function englishTitle(rng: Rng): string {
  const base = `${rng.pick(TITLE_STARTS)} ${rng.pick(TITLE_NOUNS)}`;
  const roll = rng.next();
  if (roll < 0.08) return `${base}, Prince of ${rng.pick(TITLE_NOUNS)}`;
  if (roll < 0.14) return `${base}: Part ${rng.pick(["II", "III", "IV"])}`;
  if (roll < 0.2) return `${base} ${rng.int(2, 9)}`;
  if (roll < 0.26) return `${rng.pick(LAST_NAMES)}'s ${rng.pick(TITLE_NOUNS)}`;
  return base;
}

function characterName(rng: Rng): string {
  if (rng.chance(0.55)) return rng.pick(CHARACTERS);
  const first = rng.chance(0.5) ? rng.pick(MALE_FIRST_NAMES) : rng.pick(FEMALE_FIRST_NAMES);
  return rng.chance(0.5) ? first : `${first} ${rng.pick(LAST_NAMES)}`;
}

/**
 * Picks an artist for a title of a given year: someone whose career matches the year, and often one of the pool's
 * "stars" (every STAR_EVERY-th person), who therefore appear in many titles of both files.
 */
function pickPerson(plan: SamplePlan, rng: Rng, year: number): number {
  let around = year + rng.normal(0, 4);
  // Reflect at the ends of the timeline so its first and last persons are not picked more than the others.
  if (around > YEAR_RANGE.max) around = 2 * YEAR_RANGE.max - around;
  if (around < YEAR_RANGE.min) around = 2 * YEAR_RANGE.min - around;
  const position = yearPosition(around);
  let index = Math.floor(position * plan.persons);
  if (rng.chance(0.3)) index = Math.round(index / STAR_EVERY) * STAR_EVERY;
  return clamp(index, 0, plan.persons - 1);
}

/** The title at an index of a file (0-based), with its artists. */
export function titleAt(plan: SamplePlan, kind: TitleKind, index: number): Title {
  const rng = new Rng(plan.seed, KIND_CODE[kind], index);
  const count = titlesOf(plan, kind);
  const isMovie = kind === "movie";
  // Ids grow with time as on IMDb: the index fixes the rough year, with some noise.
  const position = (index + rng.next()) / count;
  const firstYear = isMovie ? YEAR_RANGE.min : 1930;
  const timeline = yearAt(position);
  const scaled = isMovie
    ? timeline
    : firstYear + ((timeline - YEAR_RANGE.min) * (YEAR_RANGE.max - firstYear)) / (YEAR_RANGE.max - YEAR_RANGE.min);
  const year = clamp(Math.round(scaled + rng.normal(0, 2)), firstYear, YEAR_RANGE.max);

  let title = englishTitle(rng);
  let originalTitle = title;
  if (rng.chance(0.22)) {
    originalTitle = rng.pick(FOREIGN_TITLES);
    title = rng.chance(0.5) ? originalTitle : title;
  } else if (rng.chance(0.04)) {
    originalTitle = `${title} (${rng.pick(["Der", "La", "O", "Il"])} ${rng.pick(TITLE_NOUNS)})`;
  }

  let endYear: number | null = null;
  if (!isMovie && !rng.chance(0.25)) {
    endYear = Math.min(YEAR_RANGE.max, year + Math.max(0, Math.floor(Math.exp(rng.normal(0.8, 1)) - 1)));
  }

  let runtime: number | null = null;
  const runtimeUnknown = isMovie ? (year < 1930 ? 0.4 : 0.07) : 0.12;
  if (!rng.chance(runtimeUnknown)) {
    runtime = isMovie
      ? Math.round(clamp(rng.normal(96, 22), 41, 320))
      : Math.max(1, rng.pick(EPISODE_RUNTIMES) + rng.int(-2, 2));
  }

  const genres: Genre[] = [];
  if (!rng.chance(0.03)) {
    const wanted = rng.weighted([1, 2, 3], cumulative([35, 33, 32]));
    const weights = isMovie ? MOVIE_GENRE_CUMULATIVE : SERIES_GENRE_CUMULATIVE;
    for (let attempt = 0; genres.length < wanted && attempt < 20; attempt++) {
      const genre = rng.weighted(GENRES, weights);
      if (!genres.includes(genre)) genres.push(genre);
    }
    genres.sort();
  }

  const rating = Math.round(clamp(rng.normal(isMovie ? 6.1 : 7.0, 1.2), 1, 10) * 10) / 10;
  // Long tail: most titles have a few dozen votes, a handful have millions.
  const votes = Math.round(clamp(Math.exp(rng.normal(isMovie ? 4.3 : 4.0, 1.9)), 5, 2_950_000));

  const artists = rng.weighted(ARTIST_COUNTS, isMovie ? MOVIE_ARTIST_CUMULATIVE : SERIES_ARTIST_CUMULATIVE);
  const credits: Title["credits"] = [];
  const chosen = new Set<number>();
  for (let attempt = 0; credits.length < artists && attempt < artists * 10; attempt++) {
    const person = pickPerson(plan, rng, year);
    if (chosen.has(person)) continue;
    chosen.add(person);
    let character: string | null = null;
    if (!rng.chance(isMovie ? 0.25 : 0.15)) {
      // Several characters of one artist come glued without a separator, as in the real files.
      const glued = rng.chance(isMovie ? 0.06 : 0.4) ? rng.int(2, 3) : 1;
      character = Array.from({ length: glued }, () => characterName(rng)).join("");
    }
    credits.push({ person, character });
  }
  return {
    kind,
    id: titleId(plan, kind, index),
    title,
    originalTitle,
    year,
    endYear,
    runtime,
    genres,
    rating,
    votes,
    credits,
  };
}

function field(value: string | number | null): string {
  return value === null ? NULL : String(value);
}

/** The CSV lines (CRLF-terminated) of a title: one per artist, the title's columns repeated on each. */
export function titleRows(plan: SamplePlan, title: Title): string {
  const head = [
    title.id,
    title.title,
    title.originalTitle,
    title.year,
    ...(title.kind === "series" ? [field(title.endYear)] : []),
    field(title.runtime),
    title.genres.length > 0 ? title.genres.join(",") : NULL,
    title.rating.toFixed(1),
    title.votes,
  ].join(SEPARATOR);
  let out = "";
  for (const credit of title.credits) {
    const person = personAt(plan, credit.person);
    out +=
      [
        head,
        person.category,
        field(credit.character),
        person.name,
        field(person.birthYear),
        field(person.deathYear),
        person.professions.join(","),
        person.knownFor.join(","),
      ].join(SEPARATOR) + EOL;
  }
  return out;
}

/** The header line (CRLF-terminated) of a file, from the registry's headers. */
export function headerLine(kind: TitleKind): string {
  return (kind === "movie" ? MOVIES_CSV_HEADER : SERIES_CSV_HEADER).join(SEPARATOR) + EOL;
}
