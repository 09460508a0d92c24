import { expect } from "chai";
import {
  DATASETS,
  LakePathError,
  SYSTEM_PREFIXES,
  ZONES,
  checkPart,
  datasetPrefix,
  dayPrefix,
  lakeKey,
  latestAllowedDay,
  parseDay,
  parseLakeKey,
  partitionPrefix,
  quarantinePrefix,
  refinedTablePrefix,
  reportPrefix,
  s3Uri,
  todayUtc,
  type LakePath,
} from "../../lake/paths";

const moviesCsv: LakePath = { ...DATASETS.rawMoviesCsv, date: "2022-05-02", file: "movies.csv" };

describe("lakePaths", () => {
  describe("building keys", () => {
    it("builds the seed's example key", () => {
      expect(lakeKey(moviesCsv)).to.equal("Raw/Local/CSV/Movies/2022/05/02/movies.csv");
    });

    it("builds dataset, day, partition, refined, quarantine and report prefixes ending in /", () => {
      expect(datasetPrefix(DATASETS.rawTmdbSeries)).to.equal("Raw/TMDB/JSON/Series/");
      expect(dayPrefix(DATASETS.rawSeriesCsv, "1999-12-31")).to.equal("Raw/Local/CSV/Series/1999/12/31/");
      expect(partitionPrefix(DATASETS.trustedTmdbMovies, "2024-02-29")).to.equal(
        "Trusted/TMDB/Parquet/Movies/dt=2024-02-29/",
      );
      expect(refinedTablePrefix("fact_title")).to.equal("Refined/fact_title/");
      expect(quarantinePrefix(DATASETS.rawMoviesCsv)).to.equal("Quarantine/Local/CSV/Movies/");
      expect(reportPrefix("trusted-csv")).to.equal("_system/reports/trusted-csv/");
    });

    it("keeps every dataset inside its zone and away from the system prefixes", () => {
      for (const [name, location] of Object.entries(DATASETS)) {
        const prefix = datasetPrefix(location);
        expect(
          ZONES.some((zone) => prefix.startsWith(`${zone}/`)),
          name,
        ).to.equal(true);
        for (const system of Object.values(SYSTEM_PREFIXES)) {
          expect(prefix.startsWith(system), `${name} under ${system}`).to.equal(false);
          expect(system.startsWith(prefix), `${system} under ${name}`).to.equal(false);
        }
      }
    });

    it("gives distinct datasets distinct, non-nested prefixes", () => {
      const prefixes = Object.values(DATASETS).map(datasetPrefix);
      expect(new Set(prefixes).size).to.equal(prefixes.length);
      for (const a of prefixes)
        for (const b of prefixes) if (a !== b) expect(a.startsWith(b), `${a} in ${b}`).to.equal(false);
    });
  });

  describe("refusing what would escape or corrupt the layout", () => {
    const bad: [string, Partial<LakePath>, RegExp][] = [
      ["a .. file", { file: ".." }, /contains "\.\."/],
      ["a .. inside a file name", { file: "a..b.csv" }, /contains "\.\."/],
      ["a . file", { file: "." }, /contains "\.\."|outside/],
      ["a nested file", { file: "x/movies.csv" }, /contains "\/"/],
      ["a file starting with /", { file: "/etc/passwd" }, /contains "\/"/],
      ["an empty file", { file: "" }, /file is empty/],
      ["an empty spec", { spec: "" }, /spec is empty/],
      ["an empty source", { source: "" }, /source is empty/],
      ["an empty format", { format: "" }, /format is empty/],
      ["a spec with ..", { spec: ".." }, /contains "\.\."/],
      ["a source with a slash", { source: "Local/../TMDB" }, /contains "\/"/],
      ["an unknown zone", { zone: "Staging" as never }, /zone "Staging" is not one of Raw, Trusted, Refined/],
      ["a lowercase zone", { zone: "raw" as never }, /zone "raw"/],
      ["a hidden file", { file: ".movies.csv" }, /starts with one of/],
      ["a space", { file: "my movies.csv" }, /outside/],
      ["a backslash", { file: "..\\x" }, /contains "\.\."/],
      ["a wildcard", { file: "*.csv" }, /outside/],
      ["a newline", { file: "movies\n.csv" }, /outside/],
      ["a non-ASCII name", { spec: "Filmes_ç" }, /outside/],
    ];
    for (const [what, change, message] of bad)
      it(`refuses ${what}`, () => {
        expect(() => lakeKey({ ...moviesCsv, ...change })).to.throw(LakePathError, message);
      });

    const badDates: [string, RegExp][] = [
      ["2023-02-30", /not a real calendar day/],
      ["2023-02-29", /not a real calendar day/],
      ["2022-13-01", /not a real calendar day/],
      ["2022-00-10", /not a real calendar day/],
      ["2022-04-31", /not a real calendar day/],
      ["2022-05-00", /not a real calendar day/],
      ["1800-01-01", /not a real calendar day/],
      ["2022-5-2", /not in the form YYYY-MM-DD/],
      ["20220502", /not in the form YYYY-MM-DD/],
      ["2022/05/02", /not in the form YYYY-MM-DD/],
      ["", /not in the form YYYY-MM-DD/],
      [" 2022-05-02", /not in the form YYYY-MM-DD/],
      ["2022-05-02T00:00:00Z", /not in the form YYYY-MM-DD/],
      ["../05/02", /not in the form YYYY-MM-DD/],
    ];
    for (const [date, message] of badDates)
      it(`refuses the date ${JSON.stringify(date)}`, () => {
        expect(() => lakeKey({ ...moviesCsv, date })).to.throw(LakePathError, message);
        expect(() => partitionPrefix(DATASETS.trustedMovies, date)).to.throw(LakePathError, message);
      });

    it("accepts leap days and year boundaries", () => {
      expect(parseDay("2024-02-29")).to.deep.equal({ year: "2024", month: "02", day: "29" });
      expect(parseDay("2000-02-29")).to.deep.equal({ year: "2000", month: "02", day: "29" });
      expect(() => parseDay("1900-02-29")).to.throw(LakePathError);
      expect(lakeKey({ ...moviesCsv, date: "2025-12-31" })).to.equal("Raw/Local/CSV/Movies/2025/12/31/movies.csv");
    });

    it("refuses days after tomorrow (UTC) in one place, for every builder and parser, and accepts tomorrow", () => {
      const now = new Date("2026-12-31T23:30:00Z");
      expect(latestAllowedDay(now)).to.equal("2027-01-01");
      expect(parseDay("2027-01-01", now)).to.deep.equal({ year: "2027", month: "01", day: "01" });
      expect(parseDay("2026-12-31", now)).to.deep.equal({ year: "2026", month: "12", day: "31" });
      expect(() => parseDay("2027-01-02", now)).to.throw(
        LakePathError,
        /^date "2027-01-02" is after tomorrow \(2027-01-01, UTC\): give today's date or an earlier day/,
      );
      // With the real clock: the typo of issue 13 (#7) is refused by keys, prefixes and key parsing alike.
      for (const build of [
        () => parseDay("9999-12-31"),
        () => lakeKey({ ...moviesCsv, date: "9999-12-31" }),
        () => dayPrefix(DATASETS.rawSeriesCsv, "9999-12-31"),
        () => partitionPrefix(DATASETS.trustedMovies, "9999-12-31"),
        () => parseLakeKey("Raw/Local/CSV/Movies/9999/12/31/movies.csv"),
      ])
        expect(build).to.throw(LakePathError, /is after tomorrow/);
      const tomorrow = latestAllowedDay();
      expect(() => lakeKey({ ...moviesCsv, date: tomorrow })).not.to.throw();
      expect(todayUtc(new Date(Date.now() + 86_400_000))).to.equal(tomorrow);
    });

    it("refuses bad refined table, stage and part names", () => {
      expect(() => refinedTablePrefix("../fact")).to.throw(LakePathError, /table/);
      expect(() => refinedTablePrefix("")).to.throw(LakePathError, /table is empty/);
      expect(() => reportPrefix("a/b")).to.throw(LakePathError, /stage/);
      expect(checkPart("dt=2024-01-01", "x")).to.equal("dt=2024-01-01");
    });

    it("refuses s3 URIs for keys starting with /", () => {
      expect(s3Uri("b", "Raw/x")).to.equal("s3://b/Raw/x");
      expect(() => s3Uri("b", "/Raw/x")).to.throw(LakePathError, /starts with "\/"/);
    });
  });

  describe("parsing keys back", () => {
    it("round-trips every dataset over many dates and files", () => {
      const dates = ["1900-01-01", "2000-02-29", "2022-05-02", "2026-11-27", "1999-12-31"];
      const files = ["movies.csv", "series.csv", "batch-000001.json", "part-0.snappy.parquet", "a=b+c.json"];
      for (const location of Object.values(DATASETS))
        for (const date of dates)
          for (const file of files) {
            const path: LakePath = { ...location, date, file };
            const key = lakeKey(path);
            expect(parseLakeKey(key)).to.deep.equal(path);
            expect(lakeKey(parseLakeKey(key))).to.equal(key);
          }
    });

    const badKeys: [string, RegExp][] = [
      ["/Raw/Local/CSV/Movies/2022/05/02/movies.csv", /starts with "\/"/],
      ["Raw/Local/CSV/Movies/2022/05/02", /does not have the form/],
      ["Raw/Local/CSV/Movies/2022/05/02/x/movies.csv", /does not have the form/],
      ["Raw/Local/CSV/Movies/2022/05/02/", /file is empty/],
      ["Raw//CSV/Movies/2022/05/02/movies.csv", /source is empty/],
      ["Raw/Local/CSV/../2022/05/02/movies.csv", /contains "\.\."/],
      ["Raw/Local/CSV/Movies/2022/02/30/movies.csv", /not a real calendar day/],
      ["Raw/Local/CSV/Movies/22/05/02/movies.csv", /not in the form/],
      ["Landing/Local/CSV/Movies/2022/05/02/movies.csv", /zone "Landing"/],
      ["", /does not have the form/],
    ];
    for (const [key, message] of badKeys)
      it(`refuses ${JSON.stringify(key)}`, () => {
        expect(() => parseLakeKey(key)).to.throw(LakePathError, message);
      });
  });

  it("formats today in UTC", () => {
    expect(todayUtc(new Date("2026-01-31T23:59:59.999Z"))).to.equal("2026-01-31");
    expect(todayUtc(new Date("2026-02-01T00:00:00+01:00"))).to.equal("2026-01-31");
    expect(() => parseDay(todayUtc())).not.to.throw();
  });

  it("never lets random input escape the layout: every key either is refused or parses back to the same path", () => {
    // A small deterministic PRNG (mulberry32), so a failure is reproducible.
    let seed = 0x5eed;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const alphabet = [
      "a",
      "Z",
      "0",
      "9",
      ".",
      "..",
      "/",
      "\\",
      "-",
      "_",
      "=",
      "+",
      " ",
      "%2e",
      "\u0000",
      "é",
      "*",
      "~",
    ];
    // Half the words start with a letter and use safe characters only, so accepted keys are exercised too.
    const safe = ["a", "Z", "0", "9", "-", "_", "=", "+", "."];
    const word = () => {
      const pool = random() < 0.5 ? safe : alphabet;
      const rest = Array.from({ length: Math.floor(random() * 5) }, () => pool[Math.floor(random() * pool.length)]);
      return (pool === safe ? "m" : "") + rest.join("");
    };
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const path: LakePath = { ...DATASETS.rawTmdbMovies, date: "2024-02-29", spec: word() || "Movies", file: word() };
      let key: string;
      try {
        key = lakeKey(path);
      } catch (error) {
        expect(error).to.be.instanceOf(LakePathError);
        refused += 1;
        continue;
      }
      accepted += 1;
      const parts = key.split("/");
      expect(parts, key).to.have.length(8);
      for (const part of parts)
        expect(part === "" || part === "." || part === ".." || part.includes(".."), key).to.equal(false);
      expect(key.startsWith("Raw/TMDB/JSON/"), key).to.equal(true);
      expect(parseLakeKey(key)).to.deep.equal(path);
    }
    // Both branches were exercised.
    expect(accepted).to.be.greaterThan(50);
    expect(refused).to.be.greaterThan(50);
  });
});
