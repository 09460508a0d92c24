/** The exported registry (glue/cinelake/registry.json) must match the typed registry and the job list it is generated from. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { REGISTRY_JSON_PATH, exportedRegistry, registryJsonText } from "../../lake/exportRegistry";
import { GLUE_ARGUMENTS, JOBS, jobArgumentNames, jobArguments, jobsIndependentOf } from "../../lake/jobs";
import { DATASETS, datasetPrefix } from "../../lake/paths";
import { tableByName } from "../../lake/tables";

describe("registry export", () => {
  it("glue/cinelake/registry.json equals registryJsonText() (run `npm run registry:export` when this fails)", () => {
    const committed = readFileSync(join(__dirname, "..", "..", REGISTRY_JSON_PATH), "utf8");
    expect(committed, "glue/cinelake/registry.json is stale: run `npm run registry:export`").to.equal(
      registryJsonText(),
    );
  });

  it("exports every job of lake/jobs.ts with its script and the names of all the arguments it is given", () => {
    const committed = JSON.parse(readFileSync(join(__dirname, "..", "..", REGISTRY_JSON_PATH), "utf8")) as {
      jobs: { name: string; script: string; arguments: string[] }[];
    };
    expect(committed.jobs, "glue/cinelake/registry.json is stale: run `npm run registry:export`").to.deep.equal(
      exportedRegistry().jobs,
    );
    expect(committed.jobs.map((job) => job.name)).to.deep.equal(Object.keys(JOBS));
    for (const job of committed.jobs) {
      const def = JOBS[job.name as keyof typeof JOBS];
      expect(job.script).to.equal(def.script);
      // Exactly what the SparkJob component and the local runner pass: lake_root, date, then the prefixes.
      expect(job.arguments).to.deep.equal(Object.keys(jobArguments(def.name, "s3://bucket/")));
      expect(job.arguments).to.deep.equal(["lake_root", "date", ...Object.keys(def.prefixes)]);
      expect(jobArgumentNames(def.name)).to.deep.equal(job.arguments);
    }
  });

  it("keeps the job arguments apart from the ones Glue passes itself", () => {
    expect(exportedRegistry().glueArguments).to.deep.equal([...GLUE_ARGUMENTS]);
    expect(new Set(GLUE_ARGUMENTS).size, "no name twice").to.equal(GLUE_ARGUMENTS.length);
    for (const name of Object.keys(JOBS) as (keyof typeof JOBS)[])
      for (const argument of jobArgumentNames(name)) {
        expect(GLUE_ARGUMENTS, `${name}: --${argument}`).to.not.include(argument);
        expect(argument).to.match(/^[a-z][a-z0-9_]*$/);
      }
    for (const flag of ["JOB_NAME", "TempDir", "job-bookmark-option", "extra-py-files", "enable-metrics"])
      expect(GLUE_ARGUMENTS).to.include(flag);
  });

  it("partitions the TMDB Trusted tables by dt and keys them by tmdb_id per dt", () => {
    for (const name of ["trusted_tmdb_movies", "trusted_tmdb_series"]) {
      const table = tableByName(name);
      expect(table.partitionKeys.map((c) => c.name)).to.deep.equal(["dt"]);
      expect(table.primaryKey).to.deep.equal(["tmdb_id", "dt"]);
      expect(table.columns.map((c) => c.name)).to.include.members(["tmdb_id", "imdb_id", "genres", "cast", "crew"]);
    }
  });

  it("stores TMDB budget and revenue as 64-bit integers", () => {
    const columns = tableByName("trusted_tmdb_movies").columns;
    expect(columns.find((c) => c.name === "budget")?.type).to.equal("bigint");
    expect(columns.find((c) => c.name === "revenue")?.type).to.equal("bigint");
  });
});

describe("jobsIndependentOf", () => {
  it("keeps only the jobs that read nothing under the prefixes, directly or through an earlier job's output", () => {
    const tmdbRaw = [datasetPrefix(DATASETS.rawTmdbMovies), datasetPrefix(DATASETS.rawTmdbSeries)];
    // trusted-tmdb reads the TMDB JSON; refined reads what trusted-tmdb writes from it.
    expect(jobsIndependentOf(tmdbRaw)).to.deep.equal(["trusted-csv"]);
    // Refined reads the Trusted CSV tables: nothing may run while the CSVs land.
    expect(jobsIndependentOf([datasetPrefix(DATASETS.rawMoviesCsv)])).to.deep.equal(["trusted-tmdb"]);
    // A parent prefix covers what is under it.
    expect(jobsIndependentOf(["Raw/"])).to.deep.equal([]);
    expect(jobsIndependentOf([])).to.deep.equal(Object.keys(JOBS));
  });
});
