import { expect } from "chai";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MOVIES_CSV_HEADER, SERIES_CSV_HEADER } from "../../lake/tables/trusted";
import { generateSample, type SampleResult } from "../../runtime/sample/generate";
import { parseSampleArgs } from "../../runtime/sample/cli";
import {
  FULL_SCALE_ROWS,
  FULL_SCALE_TITLES,
  MOVIE_ARTIST_WEIGHTS,
  MOVIE_SHARE,
  SERIES_ARTIST_WEIGHTS,
  makePlan,
  meanArtists,
  titleId,
} from "../../runtime/sample/rows";
import { GENRES } from "../../runtime/sample/vocabulary";

interface Parsed {
  text: string;
  header: string[];
  rows: string[][];
}

async function parse(path: string): Promise<Parsed> {
  const bytes = await readFile(path);
  // Fails on any invalid UTF-8 sequence.
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  const lines = text.split("\r\n");
  expect(lines.pop(), "the file ends with CRLF").to.equal("");
  const [header, ...rows] = lines.map((line) => line.split("|"));
  return { text, header: header as string[], rows };
}

function column(parsed: Parsed, name: string): string[] {
  const index = parsed.header.indexOf(name);
  expect(index, `column ${name}`).to.be.at.least(0);
  return parsed.rows.map((row) => row[index] as string);
}

/** The rows of each title, keyed by id, in file order. */
function byTitle(parsed: Parsed): Map<string, string[][]> {
  const titles = new Map<string, string[][]>();
  for (const row of parsed.rows) {
    const id = row[0] as string;
    const rows = titles.get(id) ?? [];
    rows.push(row);
    titles.set(id, rows);
  }
  return titles;
}

describe("sample data generator", function () {
  let dir: string;
  let result: SampleResult;
  let movies: Parsed;
  let series: Parsed;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cinelake-sample-"));
    result = await generateSample({ outDir: join(dir, "a"), titles: 3000, seed: 7 });
    movies = await parse(result.moviesPath);
    series = await parse(result.seriesPath);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("gives the same bytes for the same seed and different bytes for another seed", async () => {
    const again = await generateSample({ outDir: join(dir, "b"), titles: 3000, seed: 7 });
    const other = await generateSample({ outDir: join(dir, "c"), titles: 3000, seed: 8 });
    expect((await readFile(again.moviesPath)).equals(await readFile(result.moviesPath))).to.equal(true);
    expect((await readFile(again.seriesPath)).equals(await readFile(result.seriesPath))).to.equal(true);
    expect((await readFile(other.moviesPath)).equals(await readFile(result.moviesPath))).to.equal(false);
    expect((await readFile(other.seriesPath)).equals(await readFile(result.seriesPath))).to.equal(false);
  });

  it("writes the real headers (typo included) and the right number of columns on every line", () => {
    expect(movies.header).to.deep.equal([...MOVIES_CSV_HEADER]);
    expect(series.header).to.deep.equal([...SERIES_CSV_HEADER]);
    expect(movies.header).to.include("tituloPincipal");
    expect(series.header[4]).to.equal("anoTermino");
    for (const row of movies.rows) expect(row).to.have.length(15);
    for (const row of series.rows) expect(row).to.have.length(16);
  });

  it("uses CRLF line endings only, and UTF-8 with accented names", () => {
    for (const parsed of [movies, series]) {
      expect(parsed.text.replace(/\r\n/g, "")).not.to.match(/[\r\n]/);
      expect(parsed.text).to.match(/[À-ÿ]/);
    }
    const names = [...column(movies, "nomeArtista"), ...column(series, "nomeArtista")];
    expect(names.some((name) => /[À-ž]/.test(name))).to.equal(true);
  });

  it("writes \\N nulls in text and numeric columns", () => {
    for (const name of ["tempoMinutos", "genero", "personagem", "anoNascimento", "anoFalecimento"]) {
      expect(column(movies, name), name).to.include("\\N");
    }
    expect(column(series, "anoTermino")).to.include("\\N");
  });

  it("counts rows and titles as returned, with one row per title-artist pair", () => {
    expect(movies.rows).to.have.length(result.movieRows);
    expect(series.rows).to.have.length(result.seriesRows);
    const movieTitles = byTitle(movies);
    const seriesTitles = byTitle(series);
    expect(movieTitles.size).to.equal(result.movieTitles);
    expect(seriesTitles.size).to.equal(result.seriesTitles);
    expect(result.movieTitles + result.seriesTitles).to.equal(3000);
    expect(result.movieTitles / 3000).to.be.closeTo(MOVIE_SHARE, 0.01);
    for (const [parsed, titles, titleColumns] of [
      [movies, movieTitles, 8],
      [series, seriesTitles, 9],
    ] as const) {
      // Rows of a title are contiguous and repeat the title's columns; its artists are distinct.
      const ids = parsed.rows.map((row) => row[0]);
      const runs = ids.filter((id, index) => index === 0 || id !== ids[index - 1]).length;
      expect(runs).to.equal(titles.size);
      for (const rows of titles.values()) {
        expect(rows.length).to.be.within(1, 10);
        const first = (rows[0] as string[]).slice(0, titleColumns).join("|");
        for (const row of rows) expect(row.slice(0, titleColumns).join("|")).to.equal(first);
        const artists = rows.map((row) => row.slice(titleColumns + 1).join("|"));
        expect(new Set(artists).size).to.equal(rows.length);
      }
    }
  });

  it("gives every title a unique IMDb id across both files", () => {
    const movieIds = [...byTitle(movies).keys()];
    const seriesIds = [...byTitle(series).keys()];
    const all = [...movieIds, ...seriesIds];
    expect(new Set(all).size).to.equal(all.length);
    for (const id of all) expect(id).to.match(/^tt\d{7,8}$/);
    for (const known of [...column(movies, "titulosMaisConhecidos"), ...column(series, "titulosMaisConhecidos")]) {
      const ids = known.split(",");
      expect(ids.length).to.be.within(1, 4);
      for (const id of ids) expect(id).to.match(/^tt\d{7,8}$/);
    }
    // At full scale the ids reach 8 digits, still unique between the files.
    const full = makePlan(FULL_SCALE_TITLES, 1);
    expect(titleId(full, "movie", full.movieTitles - 1)).to.match(/^tt\d{8}$/);
    expect(titleId(full, "movie", 0)).to.match(/^tt\d{7}$/);
    expect(titleId(full, "series", 5)).not.to.equal(titleId(full, "movie", 5));
  });

  it("draws years, genres, ratings, votes and runtimes from realistic ranges", () => {
    const movieTitles = [...byTitle(movies).values()].map((rows) => rows[0] as string[]);
    const seriesTitles = [...byTitle(series).values()].map((rows) => rows[0] as string[]);
    const years = [...movieTitles.map((row) => Number(row[3])), ...seriesTitles.map((row) => Number(row[3]))];
    for (const year of years) expect(year).to.be.within(1894, 2025);
    // More recent titles are more common.
    expect(years.filter((year) => year >= 1990).length).to.be.greaterThan(2 * years.filter((y) => y < 1950).length);

    const genreLists = [...movieTitles.map((row) => row[5]), ...seriesTitles.map((row) => row[6])] as string[];
    const seen = new Set<string>();
    for (const list of genreLists.filter((value) => value !== "\\N")) {
      const genres = list.split(",");
      expect(genres.length).to.be.within(1, 3);
      expect(new Set(genres).size).to.equal(genres.length);
      expect([...genres].sort()).to.deep.equal(genres);
      for (const genre of genres) expect(GENRES as readonly string[]).to.include(genre);
      genres.forEach((genre) => seen.add(genre));
    }
    expect(seen.size).to.be.at.least(20);
    const counts = [1, 2, 3].map((n) => genreLists.filter((l) => l !== "\\N" && l.split(",").length === n).length);
    for (const count of counts) expect(count).to.be.greaterThan(genreLists.length / 10);

    const ratings = [...movieTitles.map((row) => row[6]), ...seriesTitles.map((row) => row[7])] as string[];
    for (const rating of ratings) {
      expect(rating).to.match(/^\d{1,2}\.\d$/);
      expect(Number(rating)).to.be.within(1, 10);
    }
    const votes = [...movieTitles.map((row) => Number(row[7])), ...seriesTitles.map((row) => Number(row[8]))];
    votes.sort((a, b) => a - b);
    for (const vote of votes) expect(Number.isInteger(vote) && vote >= 5).to.equal(true);
    const median = votes[Math.floor(votes.length / 2)] as number;
    expect(votes[votes.length - 1], "long tail").to.be.greaterThan(50 * median);

    for (const runtime of movieTitles.map((row) => row[4]).filter((value) => value !== "\\N"))
      expect(Number(runtime)).to.be.within(40, 320);
    for (const row of seriesTitles) {
      if (row[4] !== "\\N") expect(Number(row[4])).to.be.within(Number(row[3]), 2025);
      if (row[5] !== "\\N") expect(Number(row[5])).to.be.within(1, 120);
    }
  });

  it("shares a pool of persons with stable attributes across titles and files", () => {
    const persons = new Map<string, { attributes: string; titles: Set<string>; files: Set<string> }>();
    for (const [file, parsed, offset] of [
      ["movies", movies, 8],
      ["series", series, 9],
    ] as const) {
      for (const row of parsed.rows) {
        const [category, , name, birth, death, professions, known] = row.slice(offset);
        const key = `${name}|${birth}|${known}`;
        const person = persons.get(key) ?? { attributes: "", titles: new Set(), files: new Set() };
        const attributes = [category, death, professions].join("|");
        if (person.attributes) expect(attributes, key).to.equal(person.attributes);
        person.attributes = attributes;
        person.titles.add(row[0] as string);
        person.files.add(file);
        persons.set(key, person);
        expect(["actor", "actress"]).to.include(category);
        expect(professions?.split(",").length).to.be.within(1, 3);
        if (birth !== "\\N" && death !== "\\N") expect(Number(death)).to.be.greaterThan(Number(birth));
      }
    }
    const values = [...persons.values()];
    expect(values.filter((person) => person.titles.size >= 2).length).to.be.greaterThan(values.length / 10);
    expect(values.some((person) => person.files.size === 2)).to.equal(true);
    expect(Math.max(...values.map((person) => person.titles.size))).to.be.at.least(10);
    const categories = column(movies, "generoArtista");
    expect(categories).to.include("actor").and.to.include("actress");
  });

  it("glues several characters of one artist without a separator, as the real files do", () => {
    const characters = column(series, "personagem");
    // A lowercase letter or dot directly followed by an uppercase one, e.g. "Self - HostNarrator".
    const glued = characters.filter((value) => /[a-z.][A-Z]/.test(value.replace(/\bMc|Mac(?=[A-Z])/g, "")));
    expect(glued.length).to.be.greaterThan(characters.length / 10);
  });

  it("sizes the full scale like the real files and refuses bad options with a clear message", async () => {
    const plan = makePlan(FULL_SCALE_TITLES, 1);
    expect(plan.movieTitles * meanArtists(MOVIE_ARTIST_WEIGHTS)).to.be.closeTo(FULL_SCALE_ROWS.movies, 5000);
    expect(plan.seriesTitles * meanArtists(SERIES_ARTIST_WEIGHTS)).to.be.closeTo(FULL_SCALE_ROWS.series, 5000);
    let error: unknown;
    try {
      await generateSample({ outDir: join(dir, "bad"), titles: 1 });
    } catch (caught) {
      error = caught;
    }
    expect((error as Error).message).to.match(/titles must be an integer >= 2/);
    expect(() => parseSampleArgs(["out", "--scale", "huge"])).to.throw(/--scale: "huge" is not one of small, full/);
    expect(() => parseSampleArgs(["out", "--titles", "ten"])).to.throw(
      /--titles: "ten" is not a whole number of 0 or more/,
    );
    expect(() => parseSampleArgs([])).to.throw(/usage: npm run sample/);
    expect(parseSampleArgs(["out", "--titles", "12", "--seed", "3", "--scale", "full"])).to.deep.equal({
      outDir: "out",
      titles: 12,
      seed: 3,
      scale: "full",
    });
  });

  it("writes a few thousand rows at the default small scale", async () => {
    const small = await generateSample({ outDir: join(dir, "small") });
    expect(small.movieRows + small.seriesRows).to.be.within(2000, 10000);
  });
});
