/** The local Spark job runner (`npm run job`): the Glue arguments it builds, and one real run on a local folder. */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "chai";
import { JOBS } from "../../components/jobs";
import { DATASETS, lakeKey, reportPrefix } from "../../components/lakePaths";
import { jobCommand, lakeRoot, lastJsonObject, parseJobArgs, reportCounts } from "../../runtime/local/job";

describe("local job runner", () => {
  it("passes every prefix of components/jobs.ts as a Glue argument, plus lake root and date", () => {
    const command = jobCommand("trusted-tmdb", { bucket: "my-lake" }, "2024-05-02", {});
    expect(command.args[0]).to.match(/glue\/trusted_tmdb\.py$/);
    const pairs = Object.fromEntries(
      command.args.slice(1).flatMap((arg, i, all) => (i % 2 === 0 ? [[arg.slice(2), all[i + 1]]] : [])),
    );
    expect(pairs).to.deep.equal({ lake_root: "s3a://my-lake/", date: "2024-05-02", ...JOBS["trusted-tmdb"].prefixes });
    expect(command.env.PYTHONPATH).to.match(/glue$/);
  });

  it("turns a local folder into a file:// lake root and refuses bad buckets, dates and jobs", () => {
    expect(lakeRoot({ lakeDir: "/tmp/some lake" })).to.equal("file:///tmp/some%20lake/");
    expect(() => lakeRoot({ bucket: "Bad_Bucket" })).to.throw(/not a valid S3 bucket name/);
    expect(() => jobCommand("trusted-csv", { bucket: "lake" }, "2024-02-30")).to.throw(/not a real calendar day/);
    expect(() => parseJobArgs(["nope", "--bucket", "b"])).to.throw(/usage/);
    expect(() => parseJobArgs(["refined", "--bucket", "b", "--lake-dir", "d"])).to.throw(/exactly one/);
    expect(parseJobArgs(["refined", "--lake-dir", "d"])).to.deep.equal({
      name: "refined",
      target: { lakeDir: "d" },
      date: "latest",
    });
  });

  it("reads the run report a job prints last and flattens its counts", () => {
    const stdout =
      'starting\n{"old": 1}\n{\n  "job": "trusted-csv",\n  "datasets": [{"dataset": "movies", "raw": 3,' +
      ' "trusted": 2, "extra": {"valid": 2}}],\n  "durations_s": {"read": 1.5}\n}\n';
    const report = lastJsonObject(stdout);
    expect(report.job).to.equal("trusted-csv");
    expect(reportCounts(report)).to.deep.equal({ datasets_movies_raw: 3, datasets_movies_trusted: 2 });
    expect(() => lastJsonObject("no report here")).to.throw(/no run report/);
  });

  it("runs the CSV job's Glue script on local Spark over a folder laid out like the bucket", function () {
    this.timeout(600_000);
    const lake = mkdtempSync(join(tmpdir(), "cinelake-job-"));
    try {
      const header =
        "id|tituloPincipal|tituloOriginal|anoLancamento|tempoMinutos|genero|notaMedia|numeroVotos|generoArtista|" +
        "personagem|nomeArtista|anoNascimento|anoFalecimento|profissao|titulosMaisConhecidos";
      const good =
        "tt0000009|Miss Jerry|Miss Jerry|1894|45|Romance|5.3|200|actress|Miss G|Blanche|1878|1951|actress|\\N";
      const bad = "tt0000010|Other|Other|1895|45|Drama|12.5|10|actor|X|Someone|1870|1930|actor|\\N";
      const key = lakeKey({ ...DATASETS.rawMoviesCsv, date: "2024-05-02", file: "movies.csv" });
      mkdirSync(dirname(join(lake, key)), { recursive: true });
      writeFileSync(join(lake, key), [header, good, good, bad, ""].join("\r\n"));
      const run = spawnSync("npm", ["run", "-s", "job", "--", "trusted-csv", "--lake-dir", lake, "--date", "latest"], {
        encoding: "utf8",
        env: { ...process.env, CINELAKE_SPARK_MASTER: "local[2]", CINELAKE_DRIVER_MEMORY: "1g" },
      });
      expect(run.status, run.stderr.slice(-3000)).to.equal(0);
      expect(run.stderr).to.match(/peak RSS \d+ MB/);
      const reports = join(lake, reportPrefix("trusted-csv"), "dt=2024-05-02");
      const [file] = readdirSync(reports).filter((name) => /^run-.*\.json$/.test(name));
      const report = JSON.parse(readFileSync(join(reports, file as string), "utf8"));
      const movies = report.datasets[0];
      expect([movies.raw, movies.trusted, movies.duplicates, movies.quarantined]).to.deep.equal([3, 1, 1, 1]);
      expect(movies.quarantined_by_reason).to.deep.equal({ rating_out_of_range: 1 });
      expect(report.datasets[1].status).to.equal("no_input");
    } finally {
      rmSync(lake, { recursive: true, force: true });
    }
  });
});
