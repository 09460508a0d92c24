/**
 * Deterministic, realistic TMDB records for the catalog's titles, shaped like TMDB's own (`/find`, `/movie/{id}` and
 * `/tv/{id}` with `append_to_response`): titles, years, runtimes and genres from the CSV, cast and crew drawn from the
 * CSV's artists, budgets and revenues (0 meaning unknown), collections, countries, companies, keywords, release dates
 * or content ratings, external ids. About 5 % of the ids are unknown to TMDB, as in reality.
 */
import type { CatalogArtist, CatalogTitle } from "./catalog";
import { Rng, hashText } from "../shared/random";

/** The share of IMDb ids the stand-in does not know (TMDB misses some titles). */
export const UNKNOWN_SHARE = 0.05;

/** Whether TMDB "knows" an IMDb id (deterministic: the same ~5 % are always unknown). */
export function isKnown(imdbId: string): boolean {
  return hashText(`known:${imdbId}`) % 1000 >= UNKNOWN_SHARE * 1000;
}

const MOVIE_GENRES: Record<string, [number, string]> = {
  Action: [28, "Action"],
  Adventure: [12, "Adventure"],
  Animation: [16, "Animation"],
  Comedy: [35, "Comedy"],
  Crime: [80, "Crime"],
  "Film-Noir": [80, "Crime"],
  Documentary: [99, "Documentary"],
  Biography: [36, "History"],
  Drama: [18, "Drama"],
  Family: [10751, "Family"],
  Fantasy: [14, "Fantasy"],
  History: [36, "History"],
  Horror: [27, "Horror"],
  Music: [10402, "Music"],
  Musical: [10402, "Music"],
  Mystery: [9648, "Mystery"],
  Romance: [10749, "Romance"],
  "Sci-Fi": [878, "Science Fiction"],
  Thriller: [53, "Thriller"],
  War: [10752, "War"],
  Western: [37, "Western"],
};
const TV_GENRES: Record<string, [number, string]> = {
  Action: [10759, "Action & Adventure"],
  Adventure: [10759, "Action & Adventure"],
  Animation: [16, "Animation"],
  Comedy: [35, "Comedy"],
  Crime: [80, "Crime"],
  Documentary: [99, "Documentary"],
  Drama: [18, "Drama"],
  Family: [10751, "Family"],
  Fantasy: [10765, "Sci-Fi & Fantasy"],
  "Sci-Fi": [10765, "Sci-Fi & Fantasy"],
  Mystery: [9648, "Mystery"],
  News: [10763, "News"],
  "Reality-TV": [10764, "Reality"],
  "Game-Show": [10764, "Reality"],
  "Talk-Show": [10767, "Talk"],
  War: [10768, "War & Politics"],
  History: [10768, "War & Politics"],
  Western: [37, "Western"],
};
const COUNTRIES: [string, string, string, string][] = [
  ["US", "United States of America", "en", "English"],
  ["GB", "United Kingdom", "en", "English"],
  ["FR", "France", "fr", "Français"],
  ["DE", "Germany", "de", "Deutsch"],
  ["IT", "Italy", "it", "Italiano"],
  ["BR", "Brazil", "pt", "Português"],
  ["JP", "Japan", "ja", "日本語"],
  ["IN", "India", "hi", "हिन्दी"],
  ["ES", "Spain", "es", "Español"],
  ["KR", "South Korea", "ko", "한국어/조선말"],
  ["CA", "Canada", "en", "English"],
  ["MX", "Mexico", "es", "Español"],
];
const COMPANIES: [number, string, string][] = [
  [490, "New Regency Productions", "US"],
  [81, "Plan B Entertainment", "US"],
  [4, "Paramount Pictures", "US"],
  [33, "Universal Pictures", "US"],
  [174, "Warner Bros. Pictures", "US"],
  [25, "20th Century Fox", "US"],
  [7, "DreamWorks Pictures", "US"],
  [104, "Canal+", "FR"],
  [5870, "Globo Filmes", "BR"],
  [882, "Toho", "JP"],
  [1632, "Lionsgate", "US"],
  [11391, "BBC Film", "GB"],
  [2785, "Warner Bros. Television", "US"],
  [7429, "HBO Films", "US"],
];
const NETWORKS: [number, string, string][] = [
  [49, "HBO", "US"],
  [213, "Netflix", "US"],
  [4, "BBC One", "GB"],
  [6, "NBC", "US"],
  [16, "CBS", "US"],
  [2, "ABC", "US"],
  [1024, "Prime Video", "US"],
  [2739, "Disney+", "US"],
  [3186, "Globoplay", "BR"],
];
const KEYWORDS: [number, string][] = [
  [818, "based on novel or book"],
  [9663, "sequel"],
  [9715, "superhero"],
  [4565, "dystopia"],
  [6054, "friendship"],
  [10084, "rescue"],
  [3799, "ship"],
  [1701, "hero"],
  [12565, "murder"],
  [9748, "revenge"],
  [14636, "road trip"],
  [5565, "biography"],
  [10183, "independent film"],
  [9840, "romance"],
  [4344, "musical"],
  [1612, "spacecraft"],
  [10349, "survival"],
  [2035, "mythology"],
  [6149, "police"],
  [11931, "spirituality"],
  [1568, "small town"],
  [9672, "based on true story"],
  [207317, "christmas"],
  [33637, "family relationships"],
];
const CERTIFICATIONS: Record<string, string[]> = {
  US: ["G", "PG", "PG-13", "R", "NC-17"],
  GB: ["U", "PG", "12A", "15", "18"],
  FR: ["U", "12", "16", "18"],
  DE: ["0", "6", "12", "16", "18"],
  BR: ["L", "10", "12", "14", "16", "18"],
  JP: ["G", "PG12", "R15+", "R18+"],
};
const TV_RATINGS: Record<string, string[]> = {
  US: ["TV-Y", "TV-G", "TV-PG", "TV-14", "TV-MA"],
  GB: ["U", "PG", "12", "15", "18"],
  BR: ["L", "10", "12", "14", "16", "18"],
  DE: ["0", "6", "12", "16", "18"],
};
const CREW_JOBS: Record<string, [string, string]> = {
  director: ["Directing", "Director"],
  writer: ["Writing", "Screenplay"],
  producer: ["Production", "Producer"],
  composer: ["Sound", "Original Music Composer"],
  cinematographer: ["Camera", "Director of Photography"],
  editor: ["Editing", "Editor"],
  casting_director: ["Production", "Casting"],
  production_designer: ["Art", "Production Design"],
};
const OVERVIEW_PARTS = [
  "A story of ambition and loss",
  "Two strangers cross paths",
  "An unlikely hero rises",
  "A family's secret comes to light",
  "In a city that never sleeps",
  "Far from home and out of time",
  "When the past returns",
  "A journey across a divided land",
];

const PATH_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** An image path like TMDB's (`/xBHvZcjRiWyobQ9kxBhO6B2dtRI.jpg`). */
function path(random: Rng): string {
  let name = "";
  for (let index = 0; index < 27; index++) name += PATH_CHARS[random.int(0, PATH_CHARS.length - 1)];
  return `/${name}.jpg`;
}

/** The TMDB person id of a CSV artist (stable across titles: name and birth year). */
export function personId(artist: CatalogArtist): number {
  return 1 + (hashText(`person:${artist.name}:${artist.birthYear ?? ""}`) % 4_000_000);
}

function gender(artist: CatalogArtist): number {
  if (artist.category === "actress") return 1;
  if (artist.category === "actor") return 2;
  return 0;
}

function isoDate(year: number, random: Rng): string {
  return `${year}-${String(random.int(1, 12)).padStart(2, "0")}-${String(random.int(1, 28)).padStart(2, "0")}`;
}

function genresOf(title: CatalogTitle, table: Record<string, [number, string]>) {
  const seen = new Map<number, string>();
  for (const genre of title.genres) {
    const mapped = table[genre];
    if (mapped && !seen.has(mapped[0])) seen.set(mapped[0], mapped[1]);
  }
  return [...seen].map(([id, name]) => ({ id, name }));
}

function credits(title: CatalogTitle, random: Rng, padBytes: number) {
  const cast = title.artists
    .filter((artist) => artist.category === "actor" || artist.category === "actress" || artist.character)
    .map((artist, order) => ({
      adult: false,
      gender: gender(artist),
      id: personId(artist),
      known_for_department: "Acting",
      name: artist.name,
      original_name: artist.name,
      popularity: Math.round(random.next() * 3000) / 100,
      profile_path: random.chance(0.7) ? path(random) : null,
      cast_id: 100 + order,
      character: artist.character ?? "",
      credit_id: random.hex(24),
      order,
    }));
  const crew: Record<string, unknown>[] = [];
  for (const artist of title.artists) {
    for (const profession of artist.professions) {
      const job = CREW_JOBS[profession];
      if (!job) continue;
      crew.push({
        adult: false,
        gender: gender(artist),
        id: personId(artist),
        known_for_department: job[0],
        name: artist.name,
        original_name: artist.name,
        popularity: Math.round(random.next() * 1000) / 100,
        profile_path: random.chance(0.5) ? path(random) : null,
        credit_id: random.hex(24),
        department: job[0],
        job: job[1],
      });
    }
  }
  // Every title has a director; when no artist lists the profession, TMDB's data would still name one of them.
  const firstArtist = title.artists[0];
  if (firstArtist && !crew.some((member) => member.job === "Director")) {
    crew.push({
      adult: false,
      gender: gender(firstArtist),
      id: personId(firstArtist),
      known_for_department: "Directing",
      name: firstArtist.name,
      original_name: firstArtist.name,
      popularity: 1,
      profile_path: null,
      credit_id: random.hex(24),
      department: "Directing",
      job: "Director",
    });
  }
  // Oversized records on request (real ones come from huge crews): extra crew until the size is reached.
  let extraBytes = 0;
  for (let index = 0; extraBytes < padBytes; index++) {
    const member = {
      adult: false,
      gender: 0,
      id: 5_000_000 + index,
      known_for_department: "Crew",
      name: `Crew Member ${index} ${random.hex(16)}`,
      original_name: `Crew Member ${index}`,
      popularity: 0.6,
      profile_path: null,
      credit_id: random.hex(24),
      department: "Crew",
      job: "Additional Crew",
    };
    extraBytes += JSON.stringify(member).length + 1;
    crew.push(member);
  }
  return { cast, crew };
}

function common(title: CatalogTitle, random: Rng) {
  const countries = random.sample(COUNTRIES, random.int(1, 3));
  const [primary] = countries as [(typeof COUNTRIES)[number]];
  return {
    countries,
    original_language: primary[2],
    production_companies: random.sample(COMPANIES, random.int(1, 4)).map(([id, name, country]) => ({
      id,
      logo_path: random.chance(0.6) ? path(random) : null,
      name,
      origin_country: country,
    })),
    production_countries: countries.map(([iso, name]) => ({ iso_3166_1: iso, name })),
    spoken_languages: countries.map(([, , iso, name]) => ({ english_name: name, iso_639_1: iso, name })),
    popularity: Math.round((Math.log10(title.votes + 10) * 10 + random.next() * 20) * 1000) / 1000,
    vote_average:
      title.rating === null
        ? 0
        : Math.max(0, Math.min(10, Math.round((title.rating + (random.next() - 0.5)) * 1000) / 1000)),
    vote_count: Math.round(title.votes * (0.05 + random.next() * 0.2)),
    overview: `${random.pick(OVERVIEW_PARTS)}: ${title.title}.`,
    keywords: random.sample(KEYWORDS, random.int(2, 8)).map(([id, name]) => ({ id, name })),
  };
}

/** Details parts a request may append (`append_to_response`), per structure. */
export type Appendix = "credits" | "keywords" | "external_ids" | "release_dates" | "content_ratings";

/** A `/find` result entry: the summary shape of `/discover` (movie or tv). */
export function findEntry(title: CatalogTitle): Record<string, unknown> {
  const random = Rng.fromText(`find:${title.imdbId}`);
  const base = {
    adult: false,
    backdrop_path: path(random),
    id: title.tmdbId,
    overview: `${random.pick(OVERVIEW_PARTS)}: ${title.title}.`,
    poster_path: path(random),
    media_type: title.kind === "movies" ? "movie" : "tv",
    genre_ids: genresOf(title, title.kind === "movies" ? MOVIE_GENRES : TV_GENRES).map((genre) => genre.id),
    popularity: Math.round(random.next() * 100_000) / 1000,
    vote_average: title.rating ?? 0,
    vote_count: Math.round(title.votes / 10),
  };
  if (title.kind === "movies")
    return {
      ...base,
      title: title.title,
      original_title: title.originalTitle,
      original_language: "en",
      release_date: title.year ? isoDate(title.year, random) : "",
      video: false,
    };
  return {
    ...base,
    name: title.title,
    original_name: title.originalTitle,
    original_language: "en",
    first_air_date: title.year ? isoDate(title.year, random) : "",
    origin_country: ["US"],
  };
}

/** `GET /movie/{id}` with the requested appendices. */
export function movieDetails(title: CatalogTitle, append: Set<string>, padBytes = 0): Record<string, unknown> {
  const random = Rng.fromText(`movie:${title.imdbId}`);
  const shared = common(title, random);
  const hasMoney = random.chance(0.55);
  const budget = hasMoney ? random.int(1, 200) * 500_000 : 0;
  const revenue = hasMoney && random.chance(0.8) ? Math.round(budget * (0.2 + random.next() * 4)) : 0;
  const collectionSeed = hashText(`collection:${title.title.split(" ")[0] ?? ""}`);
  const releaseDate = title.year ? isoDate(title.year, random) : "";
  const details: Record<string, unknown> = {
    adult: false,
    backdrop_path: path(random),
    belongs_to_collection: random.chance(0.12)
      ? {
          id: 10_000 + (collectionSeed % 500_000),
          name: `${title.title.split(" ")[0] ?? title.title} Collection`,
          poster_path: path(random),
          backdrop_path: path(random),
        }
      : null,
    budget,
    genres: genresOf(title, MOVIE_GENRES),
    homepage: random.chance(0.4) ? `https://www.example-studio.com/${title.tmdbId}` : "",
    id: title.tmdbId,
    imdb_id: title.imdbId,
    origin_country: [shared.countries[0]?.[0] ?? "US"],
    original_language: shared.original_language,
    original_title: title.originalTitle,
    overview: shared.overview,
    popularity: shared.popularity,
    poster_path: path(random),
    production_companies: shared.production_companies,
    production_countries: shared.production_countries,
    release_date: releaseDate,
    revenue,
    runtime: title.runtimeMinutes ?? 0,
    spoken_languages: shared.spoken_languages,
    status: "Released",
    tagline: random.chance(0.6) ? `${random.pick(OVERVIEW_PARTS)}.` : "",
    title: title.title,
    video: false,
    vote_average: shared.vote_average,
    vote_count: shared.vote_count,
  };
  if (append.has("credits")) details.credits = credits(title, random, padBytes);
  if (append.has("keywords")) details.keywords = { keywords: shared.keywords };
  if (append.has("external_ids"))
    details.external_ids = {
      imdb_id: title.imdbId,
      wikidata_id: random.chance(0.7) ? `Q${random.int(10_000, 99_999_999)}` : null,
      facebook_id: null,
      instagram_id: null,
      twitter_id: null,
    };
  if (append.has("release_dates"))
    details.release_dates = {
      results: random.sample(Object.keys(CERTIFICATIONS), random.int(1, 4)).map((country) => ({
        iso_3166_1: country,
        release_dates: Array.from({ length: random.int(1, 3) }, (_, index) => ({
          certification: random.pick(CERTIFICATIONS[country] as string[]),
          descriptors: [],
          iso_639_1: "",
          note: "",
          release_date: `${releaseDate || "1900-01-01"}T00:00:00.000Z`,
          type: [3, 4, 5][index] ?? 3,
        })),
      })),
    };
  return details;
}

/** `GET /tv/{id}` with the requested appendices. */
export function tvDetails(title: CatalogTitle, append: Set<string>, padBytes = 0): Record<string, unknown> {
  const random = Rng.fromText(`tv:${title.imdbId}`);
  const shared = common(title, random);
  const seasons = Math.max(
    1,
    title.endYear && title.year ? Math.min(30, title.endYear - title.year + 1) : random.int(1, 6),
  );
  const firstAir = title.year ? isoDate(title.year, random) : "";
  const lastAir = title.endYear ? isoDate(title.endYear, random) : firstAir;
  const seasonList = Array.from({ length: seasons }, (_, index) => ({
    air_date: title.year ? isoDate(title.year + index, random) : null,
    episode_count: random.int(6, 24),
    id: 100_000 + ((title.tmdbId * 31 + index) % 5_000_000),
    name: `Season ${index + 1}`,
    overview: "",
    poster_path: path(random),
    season_number: index + 1,
    vote_average: Math.round(random.next() * 100) / 10,
  }));
  const creators = title.artists.filter(
    (artist) => artist.professions.includes("writer") || artist.professions.includes("producer"),
  );
  const details: Record<string, unknown> = {
    adult: false,
    backdrop_path: path(random),
    created_by: creators.slice(0, 2).map((artist) => ({
      id: personId(artist),
      credit_id: random.hex(24),
      name: artist.name,
      original_name: artist.name,
      gender: gender(artist),
      profile_path: null,
    })),
    episode_run_time: title.runtimeMinutes ? [title.runtimeMinutes] : [],
    first_air_date: firstAir,
    genres: genresOf(title, TV_GENRES),
    homepage: "",
    id: title.tmdbId,
    in_production: title.endYear === null,
    languages: [shared.original_language],
    last_air_date: lastAir,
    last_episode_to_air: null,
    name: title.title,
    next_episode_to_air: null,
    networks: random.sample(NETWORKS, random.int(1, 2)).map(([id, name, country]) => ({
      id,
      logo_path: path(random),
      name,
      origin_country: country,
    })),
    number_of_episodes: seasonList.reduce((sum, season) => sum + season.episode_count, 0),
    number_of_seasons: seasons,
    origin_country: [shared.countries[0]?.[0] ?? "US"],
    original_language: shared.original_language,
    original_name: title.originalTitle,
    overview: shared.overview,
    popularity: shared.popularity,
    poster_path: path(random),
    production_companies: shared.production_companies,
    production_countries: shared.production_countries,
    seasons: seasonList,
    spoken_languages: shared.spoken_languages,
    status: title.endYear === null ? "Returning Series" : "Ended",
    tagline: "",
    type: title.genres.includes("Documentary") ? "Documentary" : seasons === 1 ? "Miniseries" : "Scripted",
    vote_average: shared.vote_average,
    vote_count: shared.vote_count,
  };
  if (append.has("credits")) details.credits = credits(title, random, padBytes);
  if (append.has("keywords")) details.keywords = { results: shared.keywords };
  if (append.has("external_ids"))
    details.external_ids = {
      imdb_id: title.imdbId,
      freebase_mid: null,
      freebase_id: null,
      tvdb_id: random.int(70_000, 450_000),
      tvrage_id: null,
      wikidata_id: random.chance(0.6) ? `Q${random.int(10_000, 99_999_999)}` : null,
      facebook_id: null,
      instagram_id: null,
      twitter_id: null,
    };
  if (append.has("content_ratings"))
    details.content_ratings = {
      results: random.sample(Object.keys(TV_RATINGS), random.int(1, 3)).map((country) => ({
        descriptors: [],
        iso_3166_1: country,
        rating: random.pick(TV_RATINGS[country] as string[]),
      })),
    };
  return details;
}
