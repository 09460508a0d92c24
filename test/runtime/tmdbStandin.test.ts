/**
 * The TMDB stand-in against TMDB's contract: auth and error bodies, `/find`, details shaped like TMDB's and consistent
 * with the generated CSVs, determinism, rate and connection limits, faults, oversized records, the bucket source and
 * the CLI.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import type { SeededLake } from "../../runtime/api-ingestor/localLake";
import { catalogFromBucket, type Catalog, type CatalogTitle } from "../../runtime/tmdb-standin/catalog";
import { isKnown } from "../../runtime/tmdb-standin/records";
import { startTmdbStandin, type TmdbStandin } from "../../runtime/tmdb-standin/server";
import { startTmdbLake, type TmdbLake } from "../support/tmdbLake";

const DATE = "2026-03-10";

interface Details {
  [key: string]: unknown;
  credits: { cast: { name: string; gender: number; character: string }[]; crew: { job: string; name: string }[] };
}

describe("TMDB stand-in", function () {
  this.timeout(120_000);
  let setup: TmdbLake;
  let s3: S3Client;
  let lake: SeededLake;
  let catalog: Catalog;
  let standin: TmdbStandin;

  before(async () => {
    setup = await startTmdbLake({
      bucket: "standin-lake",
      date: DATE,
      titles: 1000,
      seed: 3,
      standin: { rate: 1000, maxConnections: 50 },
    });
    ({ s3, lake, catalog, standin } = setup);
  });

  after(() => setup?.stop());

  const get = (path: string, token: string | null = standin.token, base = standin.baseUrl) =>
    fetch(`${base}/${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const known = (kind: "movies" | "series") =>
    catalog
      .titles()
      .find((title) => title.kind === kind && isKnown(title.imdbId) && title.artists.length > 1) as CatalogTitle;

  async function details(title: CatalogTitle): Promise<Details> {
    const find = (await (await get(`find/${title.imdbId}?external_source=imdb_id`)).json()) as Record<
      string,
      { id: number }[]
    >;
    const [entry] = title.kind === "movies" ? (find.movie_results ?? []) : (find.tv_results ?? []);
    const resource = title.kind === "movies" ? "movie" : "tv";
    const append =
      title.kind === "movies"
        ? "credits,keywords,external_ids,release_dates"
        : "credits,keywords,external_ids,content_ratings";
    const response = await get(`${resource}/${entry?.id}?append_to_response=${append}`);
    expect(response.status).to.equal(200);
    return (await response.json()) as Details;
  }

  it("refuses a wrong or missing token with TMDB's 401 body, and accepts Bearer and api_key", async () => {
    for (const token of ["wrong", null]) {
      const response = await get("find/tt0000001?external_source=imdb_id", token);
      expect(response.status).to.equal(401);
      expect(await response.json()).to.deep.include({ success: false, status_code: 7 });
    }
    const byKey = await fetch(`${standin.baseUrl}/find/tt0000001?external_source=imdb_id&api_key=${standin.token}`);
    expect(byKey.status).to.equal(200);
  });

  it("finds the CSV's ids as movie or tv results, about 5 % unknown, and answers 404 with code 34", async () => {
    const movie = known("movies");
    const find = (await (await get(`find/${movie.imdbId}?external_source=imdb_id`)).json()) as Record<
      string,
      unknown[]
    >;
    expect(find.movie_results).to.have.length(1);
    expect(find.tv_results).to.deep.equal([]);
    expect(find.movie_results?.[0]).to.include({ id: movie.tmdbId, title: movie.title, media_type: "movie" });
    const unknownShare = catalog.titles().filter((title) => !isKnown(title.imdbId)).length / catalog.size;
    expect(unknownShare).to.be.within(0.02, 0.09);
    const missing = await get("movie/999999999");
    expect(missing.status).to.equal(404);
    expect(await missing.json()).to.deep.equal({
      success: false,
      status_code: 34,
      status_message: "The resource you requested could not be found.",
    });
  });

  it("serves movie details consistent with the CSV, shaped like TMDB's", async () => {
    const movie = known("movies");
    const body = await details(movie);
    expect(body).to.include({
      id: movie.tmdbId,
      imdb_id: movie.imdbId,
      title: movie.title,
      original_title: movie.originalTitle,
    });
    expect(body.runtime).to.equal(movie.runtimeMinutes ?? 0);
    if (movie.year) expect(String(body.release_date).slice(0, 4)).to.equal(String(movie.year));
    for (const key of ["budget", "revenue", "popularity", "vote_average", "vote_count"])
      expect(body[key]).to.be.a("number");
    expect(body).to.have.keys([
      "adult",
      "backdrop_path",
      "belongs_to_collection",
      "budget",
      "genres",
      "homepage",
      "id",
      "imdb_id",
      "origin_country",
      "original_language",
      "original_title",
      "overview",
      "popularity",
      "poster_path",
      "production_companies",
      "production_countries",
      "release_date",
      "revenue",
      "runtime",
      "spoken_languages",
      "status",
      "tagline",
      "title",
      "video",
      "vote_average",
      "vote_count",
      "credits",
      "keywords",
      "external_ids",
      "release_dates",
    ]);
    const artists = new Set(movie.artists.map((artist) => artist.name));
    expect(body.credits.cast.length).to.be.greaterThan(0);
    for (const member of body.credits.cast) expect(artists.has(member.name), member.name).to.equal(true);
    expect(body.credits.crew.some((member) => member.job === "Director" && artists.has(member.name))).to.equal(true);
    expect(body.keywords).to.have.property("keywords").that.is.an("array");
    expect((body.release_dates as { results: unknown[] }).results.length).to.be.greaterThan(0);
  });

  it("serves TV details with TV's own shapes (name, seasons, keywords.results, external_ids.imdb_id)", async () => {
    const series = known("series");
    const body = await details(series);
    expect(body).to.include({ id: series.tmdbId, name: series.title, original_name: series.originalTitle });
    expect(body).to.not.have.property("imdb_id");
    expect(body).to.not.have.property("title");
    expect(body.external_ids).to.include({ imdb_id: series.imdbId });
    expect(body.keywords).to.have.property("results").that.is.an("array");
    expect(body.content_ratings).to.have.property("results");
    for (const key of [
      "number_of_seasons",
      "number_of_episodes",
      "episode_run_time",
      "networks",
      "seasons",
      "created_by",
      "in_production",
      "type",
    ])
      expect(body, key).to.have.property(key);
  });

  it("draws budgets with 0 for unknown, collections, and answers the same bytes every time", async () => {
    const movies = catalog
      .titles()
      .filter((title) => title.kind === "movies" && isKnown(title.imdbId))
      .slice(0, 60);
    const bodies = await Promise.all(
      movies.map((movie) => get(`movie/${movie.tmdbId}`).then((r) => r.json() as Promise<Details>)),
    );
    const budgets = bodies.map((body) => body.budget as number);
    expect(budgets.filter((budget) => budget === 0).length).to.be.within(5, 50);
    expect(bodies.some((body) => body.belongs_to_collection !== null)).to.equal(true);
    const first = await (await get(`movie/${movies[0]?.tmdbId}?append_to_response=credits`)).text();
    const again = await (await get(`movie/${movies[0]?.tmdbId}?append_to_response=credits`)).text();
    expect(again).to.equal(first);
  });

  it("answers 429 with code 25 and Retry-After over the rate and over the connection limit", async () => {
    const limited = await startTmdbStandin({ catalog, token: standin.token, rate: 5, maxConnections: 50 });
    const busy = await startTmdbStandin({
      catalog,
      token: standin.token,
      rate: 1000,
      maxConnections: 2,
      latencyMs: 300,
    });
    try {
      const overRate = await Promise.all(
        Array.from({ length: 10 }, () => get("movie/1", standin.token, limited.baseUrl)),
      );
      const throttled = overRate.filter((response) => response.status === 429);
      expect(throttled).to.have.length(5);
      expect(throttled[0]?.headers.get("retry-after")).to.equal("1");
      expect(await throttled[0]?.json()).to.deep.include({ success: false, status_code: 25 });
      const overConnections = await Promise.all(
        Array.from({ length: 5 }, () => get("movie/1", standin.token, busy.baseUrl)),
      );
      expect(overConnections.filter((response) => response.status === 429)).to.have.length(3);
      expect(busy.stats().throttledByConnections).to.equal(3);
    } finally {
      await limited.stop();
      await busy.stop();
    }
  });

  it("injects malformed bodies, 5xx, resets and oversized records on request", async () => {
    const faulty = await startTmdbStandin({
      catalog,
      token: standin.token,
      faultRate: 1,
      faults: ["malformed"],
      padBytes: 300_000,
    });
    try {
      const movie = known("movies");
      const garbage = await get(`movie/${movie.tmdbId}`, standin.token, faulty.baseUrl);
      expect(garbage.status).to.equal(200);
      await garbage.text().then((text) => expect(() => JSON.parse(text)).to.throw(SyntaxError));
      faulty.setFaults(1, ["5xx"]);
      const server = await get(`movie/${movie.tmdbId}`, standin.token, faulty.baseUrl);
      expect([500, 503]).to.include(server.status);
      faulty.setFaults(1, ["reset"]);
      const reset = await get(`movie/${movie.tmdbId}`, standin.token, faulty.baseUrl).catch((error: Error) => error);
      expect(reset).to.be.instanceOf(Error);
      faulty.setFaults(0);
      const big = await (
        await get(`movie/${movie.tmdbId}?append_to_response=credits`, standin.token, faulty.baseUrl)
      ).text();
      expect(big.length).to.be.above(300_000);
      expect(JSON.parse(big)).to.have.property("imdb_id", movie.imdbId);
      expect(faulty.stats().faults).to.deep.include({ malformed: 1, "5xx": 1, reset: 1 });
    } finally {
      await faulty.stop();
    }
  });

  it("reads the same titles from the lake bucket as from the folder", async () => {
    const fromBucket = await catalogFromBucket(s3, "standin-lake");
    expect(fromBucket.size).to.equal(catalog.size);
    const sample = known("series");
    expect(fromBucket.byImdbId(sample.imdbId)).to.deep.equal(sample);
  });

  it("runs from the command line with --data and the token from the environment", async () => {
    const child = spawn(
      "npx",
      ["tsx", resolve("runtime/tmdb-standin/cli.ts"), "--data", lake.dir, "--latency-ms", "1"],
      {
        env: { ...process.env, TMDB_TOKEN: "cli-token" },
        stdio: ["ignore", "pipe", "pipe"],
        // Its own process group: npx starts tsx, which starts node; ending only npx left the server running.
        detached: true,
      },
    );
    try {
      const baseUrl = await new Promise<string>((resolveUrl, reject) => {
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const match = /TMDB_BASE_URL=(\S+)/.exec(out);
          if (match) resolveUrl(match[1] as string);
        });
        child.once("exit", (code) => reject(new Error(`stand-in exited with ${code}`)));
        child.stderr.on("data", (chunk: Buffer) => process.stderr.write(chunk));
      });
      const movie = known("movies");
      const ok = await get(`movie/${movie.tmdbId}`, "cli-token", baseUrl);
      expect(ok.status).to.equal(200);
      expect(((await ok.json()) as Details).imdb_id).to.equal(movie.imdbId);
    } finally {
      const exited = new Promise((done) => child.once("exit", done));
      process.kill(-child.pid!, "SIGTERM");
      await exited;
      // A grandchild (tsx's esbuild service) may hold the pipes a moment longer: let go of them explicitly.
      child.stdout.destroy();
      child.stderr.destroy();
    }
  });
});
