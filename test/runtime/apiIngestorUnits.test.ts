/** The ApiIngestor's pure parts: CSV reading, selection, file batching, the limiter, backoff, settings, bookkeeping. */
import { execFileSync } from "node:child_process";
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_FILE_LIMITS,
  FileBatcher,
  fileBytes,
  serializeBatch,
  type FileBatch,
} from "../../runtime/api-ingestor/batcher";
import { IngestState } from "../../runtime/api-ingestor/checkpoint";
import { parseCsvLine, readCsvRows, type CsvRow } from "../../runtime/api-ingestor/csv";
import { ConfigError } from "../../lake/errors";
import { API_INGESTOR_ENV, settingsFromEnv } from "../../runtime/api-ingestor/env";
import { tokenFromSecretString } from "../../runtime/api-ingestor/handler";
import { RateLimiter } from "../../runtime/api-ingestor/limiter";
import { LAYER_PACKAGES, buildLayer, bundleHandler } from "../../runtime/api-ingestor/packaging";
import {
  TopTitles,
  compareTitles,
  selectTitles,
  type SelectedTitle,
  type Selection,
} from "../../runtime/api-ingestor/selection";
import { DEFAULT_RETRY, backoffMs, retryAfterMs } from "../../runtime/api-ingestor/tmdbClient";
import { MOVIES_CSV_HEADER, SERIES_CSV_HEADER } from "../../lake/tables/trusted";

const MOVIE_HEADER = MOVIES_CSV_HEADER.join("|");
const SERIES_HEADER = SERIES_CSV_HEADER.join("|");

function movieLine(id: string, year: string, genres: string, votes: string, artist = "Ana Souza"): string {
  return `${id}|Title ${id}|Original ${id}|${year}|90|${genres}|7.1|${votes}|actress|Maria|${artist}|1970|\\N|actress|${id}`;
}

async function* lines(...items: string[]): AsyncGenerator<string> {
  yield* items;
}

const ALL: Selection = { kind: "all", genres: [], minVotes: 0, limit: 100 };

describe("ApiIngestor: CSV reading and selection", () => {
  it("parses a row with \\N nulls and CRLF, typing numbers and splitting lists", async () => {
    const rows: CsvRow[] = [];
    for await (const row of readCsvRows(
      lines(`${MOVIE_HEADER}\r`, `${movieLine("tt0000001", "\\N", "Drama,Comedy", "15")}\r`),
      "movies",
    ))
      rows.push(row);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ imdbId: "tt0000001", year: null, votes: 15, runtimeMinutes: 90, endYear: null });
    expect(rows[0]?.genres).to.deep.equal(["Drama", "Comedy"]);
  });

  it("counts malformed rows instead of dropping them silently, and refuses a foreign header", async () => {
    const rejected: string[] = [];
    const rows: CsvRow[] = [];
    const input = lines(
      MOVIE_HEADER,
      "tt1|too|few",
      movieLine("xx123", "2000", "Drama", "5"),
      movieLine("tt0000002", "2000", "Drama", "5"),
    );
    for await (const row of readCsvRows(input, "movies", (r) => rejected.push(`${r.line}: ${r.reason}`)))
      rows.push(row);
    expect(rows.map((row) => row.imdbId)).to.deep.equal(["tt0000002"]);
    expect(rejected).to.deep.equal(["2: expected 15 fields, found 3", '3: "xx123" is not an IMDb title id']);
    let error: Error | undefined;
    try {
      for await (const _ of readCsvRows(lines(SERIES_HEADER), "movies")) void _;
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.message).to.match(/movies CSV's header is not/);
  });

  it("parses series rows with anoTermino", () => {
    const row = parseCsvLine(
      `tt0000003|S|S|2001|2005|44|Drama|8.0|100|actor|Jo|Al Bo|1960|\\N|actor|tt0000003`,
      "series",
    );
    expect(row).to.include({ year: 2001, endYear: 2005, runtimeMinutes: 44 });
  });

  it("selects one id per title by kind, genres, years and votes, the most voted first", async () => {
    const movies = [
      MOVIE_HEADER,
      movieLine("tt0000010", "1999", "Drama", "500", "A"),
      movieLine("tt0000010", "1999", "Drama", "500", "B"),
      movieLine("tt0000010", "1999", "Drama", "500", "C"),
      movieLine("tt0000011", "2005", "Comedy", "900"),
      movieLine("tt0000012", "2005", "Horror", "50"),
      movieLine("tt0000013", "1980", "drama,Horror", "700"),
    ];
    const series = [SERIES_HEADER, `tt0000020|S|S|2001|\\N|44|Drama|8.0|800|actor|Jo|Al Bo|1960|\\N|actor|tt0000020`];
    const sources = [
      { kind: "movies" as const, lines: () => lines(...movies) },
      { kind: "series" as const, lines: () => lines(...series) },
    ];
    const ids = async (selection: Selection) =>
      (await selectTitles(sources, selection)).titles.map((title) => title.imdbId);
    expect(await ids(ALL)).to.deep.equal(["tt0000011", "tt0000020", "tt0000013", "tt0000010", "tt0000012"]);
    expect(await ids({ ...ALL, kind: "movies", genres: ["Drama"] })).to.deep.equal(["tt0000013", "tt0000010"]);
    expect(await ids({ ...ALL, yearFrom: 1990, yearTo: 2004 })).to.deep.equal(["tt0000020", "tt0000010"]);
    expect(await ids({ ...ALL, minVotes: 600, limit: 2 })).to.deep.equal(["tt0000011", "tt0000020"]);
    expect(await ids({ ...ALL, kind: "series" })).to.deep.equal(["tt0000020"]);
  });

  it("keeps the same top titles as a full sort while holding O(limit) candidates", () => {
    const all: SelectedTitle[] = Array.from({ length: 5000 }, (_, index) => ({
      imdbId: `tt${String(index).padStart(7, "0")}`,
      kind: index % 3 === 0 ? "series" : "movies",
      votes: (index * 7919) % 1013,
    }));
    const top = new TopTitles(50);
    for (const title of all) top.add(title);
    expect(top.result()).to.deep.equal([...all].sort(compareTitles).slice(0, 50));
    expect((top as unknown as { candidates: Map<string, unknown> }).candidates.size).to.be.at.most(50);
  });
});

describe("ApiIngestor: file batching", () => {
  const body = (bytes: number, id = 1) => JSON.stringify({ id, pad: "x".repeat(Math.max(0, bytes - 20)) });

  it("cuts at 100 records when records are small, as valid JSON arrays of the bodies", () => {
    const batcher = new FileBatcher();
    const files: FileBatch[] = [];
    for (let index = 0; index < 250; index++) {
      const result = batcher.add({ imdbId: `tt${index}`, body: body(100, index) });
      if (!result.accepted) throw new Error(result.reason);
      files.push(...result.completed);
    }
    const last = batcher.flush();
    expect(files.map((file) => file.imdbIds.length)).to.deep.equal([100, 100]);
    expect(last?.imdbIds).to.have.length(50);
    const parsed = JSON.parse((files[0] as FileBatch).text) as { id: number }[];
    expect(parsed.map((record) => record.id)).to.deep.equal(Array.from({ length: 100 }, (_, index) => index));
  });

  it("cuts before 10,000,000 bytes when records are large, with the exact byte count", () => {
    const batcher = new FileBatcher();
    const sizes: number[] = [];
    for (let index = 0; index < 30; index++) {
      const result = batcher.add({ imdbId: `tt${index}`, body: body(900_000, index) });
      if (!result.accepted) throw new Error(result.reason);
      for (const file of result.completed) {
        expect(Buffer.byteLength(file.text)).to.equal(file.bytes).and.be.below(DEFAULT_FILE_LIMITS.maxBytes);
        sizes.push(file.imdbIds.length);
      }
    }
    expect(sizes).to.deep.equal([11, 11]);
    expect(batcher.pending).to.equal(8);
  });

  it("refuses a record that alone cannot fit and checks limits on the serialized bytes", () => {
    const batcher = new FileBatcher({ maxRecords: 100, maxBytes: 1000 });
    const refused = batcher.add({ imdbId: "tt1", body: body(2000) });
    expect(refused).to.deep.include({ accepted: false });
    expect(batcher.flush()).to.equal(null);
    expect(fileBytes(2, 10)).to.equal(
      Buffer.byteLength(
        serializeBatch(
          [
            { imdbId: "a", body: "12345" },
            { imdbId: "b", body: "12345" },
          ],
          { maxRecords: 2, maxBytes: 100 },
        ).text,
      ),
    );
    expect(() => serializeBatch([{ imdbId: "a", body: "x".repeat(100) }], { maxRecords: 1, maxBytes: 50 })).to.throw(
      /outside the file limits/,
    );
    expect(() => new FileBatcher({ maxRecords: 101, maxBytes: 10 })).to.throw(/1-100/);
  });
});

describe("ApiIngestor: limiter and backoff", () => {
  async function runTasks(limiter: RateLimiter, count: number, taskMs: number) {
    const starts: number[] = [];
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: count }, () =>
        limiter.run(async () => {
          starts.push(performance.now());
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, taskMs));
          running -= 1;
        }),
      ),
    );
    const busiestSecond = Math.max(
      ...starts.map((start) => starts.filter((t) => t >= start && t < start + 1000).length),
    );
    return { started: starts.length, peak, busiestSecond };
  }

  it("never starts more than maxRps requests in any one-second window (the rate binds)", async () => {
    const result = await runTasks(new RateLimiter({ maxRps: 20, maxInFlight: 10 }), 45, 5);
    expect(result.started).to.equal(45);
    expect(result.busiestSecond).to.be.at.most(20);
  });

  it("never runs more than maxInFlight requests at once (the concurrency binds)", async () => {
    const result = await runTasks(new RateLimiter({ maxRps: 1000, maxInFlight: 3 }), 20, 50);
    expect(result).to.include({ started: 20, peak: 3 });
  });

  it("drops a waiting request when its signal aborts, without running it", async () => {
    const limiter = new RateLimiter({ maxRps: 1, maxInFlight: 1 });
    let ran = 0;
    await limiter.run(async () => void (ran += 1));
    const abort = new AbortController();
    const waiting = limiter.run(async () => void (ran += 1), abort.signal);
    abort.abort(new Error("deadline"));
    let error: Error | undefined;
    await waiting.catch((caught: Error) => (error = caught));
    expect(error?.message).to.equal("deadline");
    expect(ran).to.equal(1);
  });

  it("honours Retry-After with a floor for 0 and caps the exponential backoff", () => {
    expect(retryAfterMs("3")).to.equal(3000);
    expect(retryAfterMs(null)).to.equal(undefined);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).to.equal(6_000);
    const noJitter = () => 0;
    expect(backoffMs(1, DEFAULT_RETRY, 0, noJitter)).to.equal(DEFAULT_RETRY.retryAfterFloorMs);
    expect(backoffMs(1, DEFAULT_RETRY, 5000, noJitter)).to.equal(5000);
    expect(backoffMs(1, DEFAULT_RETRY, undefined, noJitter)).to.equal(250);
    expect(backoffMs(3, DEFAULT_RETRY, undefined, () => 0.999)).to.be.within(1990, 2000);
    expect(backoffMs(30, DEFAULT_RETRY, undefined, () => 0.999)).to.be.at.most(DEFAULT_RETRY.maxDelayMs);
  });
});

describe("ApiIngestor: settings and token", () => {
  it("reads the documented defaults and names the variable that is wrong", () => {
    const settings = settingsFromEnv({ [API_INGESTOR_ENV.bucket]: "lake" });
    expect(settings).to.deep.include({
      bucket: "lake",
      baseUrl: "https://api.themoviedb.org/3",
      maxRps: 40,
      maxInFlight: 20,
    });
    expect(settings.selection).to.deep.equal({
      kind: "all",
      genres: [],
      yearFrom: undefined,
      yearTo: undefined,
      minVotes: 0,
      limit: 5000,
    });
    expect(() => settingsFromEnv({})).to.throw(ConfigError, /^LAKE_BUCKET: is not set\. Fix: /);
    expect(() => settingsFromEnv({ LAKE_BUCKET: "b", SELECTION_LIMIT: "ten" })).to.throw(
      ConfigError,
      /^SELECTION_LIMIT: "ten" is not a whole number/,
    );
    expect(() => settingsFromEnv({ LAKE_BUCKET: "b", SELECTION_KIND: "films" })).to.throw(/movies, series, all/);
    const custom = settingsFromEnv({
      LAKE_BUCKET: "b",
      SELECTION_GENRES: "Drama, Sci-Fi,",
      RAW_MAX_RECORDS_PER_FILE: "500",
    });
    expect(custom.selection.genres).to.deep.equal(["Drama", "Sci-Fi"]);
    expect(custom.fileLimits.maxRecords, "file limits can only be lowered").to.equal(100);
  });

  it("takes the token from a plain or JSON secret", () => {
    expect(tokenFromSecretString(" abc \n")).to.equal("abc");
    expect(tokenFromSecretString('{"token":"xyz"}')).to.equal("xyz");
    expect(() => tokenFromSecretString('{"other":1}')).to.throw(/"token"/);
  });
});

describe("ApiIngestor: checkpoint bookkeeping", () => {
  const titles: SelectedTitle[] = ["tt1", "tt2", "tt3", "tt4"].map((imdbId) => ({ imdbId, kind: "movies", votes: 1 }));

  it("lets a Raw file win over not-found and failed outcomes, and forgets ids of a vanished file", () => {
    const state = new IngestState();
    state.markNotFound("tt1", "find answered 404");
    state.markFailed("tt2", "HTTP 500", false, 3);
    state.addFile("f1", ["tt1", "tt2"]);
    expect(state.outcomeOf("tt1")).to.deep.equal({ status: "fetched", file: "f1" });
    expect(state.outcomeOf("tt2")).to.deep.equal({ status: "fetched", file: "f1" });
    state.removeFile("f1");
    expect(state.outcomeOf("tt1")).to.deep.equal({ status: "pending" });
    const restored = IngestState.fromDoc(JSON.parse(JSON.stringify(state.toDoc())));
    expect(restored.knownFiles()).to.deep.equal([]);
  });

  it("orders never-tried ids first, retries failures until maxAttempts, never retries permanent ones", () => {
    const state = new IngestState();
    state.addFile("f1", ["tt1"]);
    state.markFailed("tt2", "timeout", false, 3);
    state.markFailed("tt3", "HTTP 400", true, 3);
    expect(state.todo(titles, 3).map((title) => title.imdbId)).to.deep.equal(["tt4", "tt2"]);
    state.markFailed("tt2", "timeout", false, 3);
    state.markFailed("tt2", "timeout", false, 3);
    expect(state.todo(titles, 3).map((title) => title.imdbId)).to.deep.equal(["tt4"]);
    expect(state.outcomeOf("tt2")).to.deep.equal({ status: "failed", reason: "timeout", attempts: 3 });
  });

  it("forgets the failures of a version-1 checkpoint (an outage recorded as final) and keeps version 2's", () => {
    const failed = { tt1: { reason: "network error (ECONNREFUSED) on find/tt1", attempts: 3 } };
    const base = { updatedAt: "2026-01-01T00:00:00.000Z", files: {}, notFound: {}, failed };
    const v1 = IngestState.fromDoc({ version: 1, ...base });
    expect(v1.outcomeOf("tt1")).to.deep.equal({ status: "pending" });
    const v2 = IngestState.fromDoc({ version: 2, ...base });
    expect(v2.outcomeOf("tt1")).to.include({ status: "failed", attempts: 3 });
    expect(v2.toDoc().version).to.equal(2);
  });

  it("reports an id held by two Raw files instead of hiding it", () => {
    const state = new IngestState();
    state.addFile("f1", ["tt1"]);
    state.addFile("f2", ["tt1"]);
    expect([...state.duplicates]).to.deep.equal(["tt1"]);
  });
});

describe("ApiIngestor: packaging", function () {
  this.timeout(60_000);

  it("lays the layer out as nodejs/node_modules with CommonJS builds, and bundles our code with the AWS SDK", () => {
    const dir = mkdtempSync(join(tmpdir(), "cinelake-pack-"));
    try {
      buildLayer(join(dir, "layer"));
      for (const name of LAYER_PACKAGES) {
        const manifest = JSON.parse(
          readFileSync(join(dir, "layer", "nodejs", "node_modules", name, "package.json"), "utf8"),
        ) as Record<string, unknown>;
        expect(manifest, name).to.include({ name, main: "index.js" });
        expect(manifest.type, `${name} is not an ES module package`).to.equal(undefined);
      }
      const bundled = readFileSync(bundleHandler(join(dir, "fn")), "utf8");
      expect(bundled).to.include('require("ky")');
      expect(bundled, "the AWS SDK is bundled").to.include("GetSecretValueCommand");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Deploy finding 8: the handler used to require the ESM-only ky from the layer, which works only where the runtime's
  // Node has require(esm). Node's --no-experimental-require-module turns that off, as on a runtime without it.
  it("loads the handler and its layer on a Node without require(esm)", () => {
    const dir = mkdtempSync(join(tmpdir(), "cinelake-pack-"));
    try {
      buildLayer(join(dir, "layer"));
      const handlerFile = bundleHandler(join(dir, "fn"));
      const probe =
        `const { handler } = require(${JSON.stringify(handlerFile)});` +
        `const ky = require("ky"); const { HTTPError } = require("ky");` +
        `console.log(typeof handler, typeof ky.default, typeof HTTPError);`;
      const output = execFileSync(process.execPath, ["--no-experimental-require-module", "-e", probe], {
        encoding: "utf8",
        // Outside the repository, so only the layer (as on Lambda, through NODE_PATH) can provide ky.
        cwd: dir,
        env: { PATH: process.env.PATH, NODE_PATH: join(dir, "layer", "nodejs", "node_modules") },
      });
      expect(output.trim()).to.equal("function function function");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
