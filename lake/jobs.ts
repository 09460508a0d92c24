/**
 * The registry of Spark jobs: which script each runs and which lake prefixes it reads and writes. The SparkJob
 * component (Glue default arguments) and the local runner (`npm run job`) both build the job arguments from here, so
 * the scripts never rebuild paths themselves.
 */
import { DATASETS, datasetPrefix, quarantinePrefix, reportPrefix, type DatasetLocation } from "./paths";

/** The name of a Spark job, as `npm run job -- <name>` takes it. */
export type JobName = "trusted-csv" | "trusted-tmdb" | "refined";

/** One Spark job: its entry script and the prefixes it is given. */
export interface JobDef {
  /** The job's name. */
  name: JobName;
  /** What the job does, in one sentence. */
  description: string;
  /** The entry script, relative to the repository root. */
  script: string;
  /** Job arguments (without the leading `--`) holding prefixes relative to the lake root, each ending in `/`. */
  prefixes: Record<string, string>;
  /** The prefixes the job reads (for IAM). */
  reads: string[];
  /** The prefixes the job writes (for IAM). */
  writes: string[];
}

/** The shared Python package the entry scripts import (shipped to Glue as `--extra-py-files`). */
export const GLUE_SHARED_PACKAGE = "glue/cinelake";

const prefix = (location: DatasetLocation) => datasetPrefix(location);

function job(
  name: JobName,
  description: string,
  script: string,
  inputs: Record<string, string>,
  outputs: Record<string, string>,
): JobDef {
  return {
    name,
    description,
    script,
    prefixes: { ...inputs, ...outputs },
    reads: Object.values(inputs),
    writes: Object.values(outputs),
  };
}

/**
 * Every Spark job. Each also receives `--lake_root` (`s3://bucket/` on Glue, `s3a://bucket/` or `file:///dir/` locally)
 * and `--date` (`YYYY-MM-DD`, or `latest` for the newest day found in its input).
 */
export const JOBS: Record<JobName, JobDef> = {
  "trusted-csv": job(
    "trusted-csv",
    "Raw Movies and Series CSVs of one day to typed Trusted Parquet (not partitioned), bad rows quarantined.",
    "glue/trusted_csv.py",
    { raw_movies: prefix(DATASETS.rawMoviesCsv), raw_series: prefix(DATASETS.rawSeriesCsv) },
    {
      trusted_movies: prefix(DATASETS.trustedMovies),
      trusted_series: prefix(DATASETS.trustedSeries),
      quarantine_movies: quarantinePrefix(DATASETS.rawMoviesCsv),
      quarantine_series: quarantinePrefix(DATASETS.rawSeriesCsv),
      report_prefix: reportPrefix("trusted-csv"),
    },
  ),
  "trusted-tmdb": job(
    "trusted-tmdb",
    "Raw TMDB JSON of one day to Trusted Parquet partitioned by dt, bad files or records quarantined.",
    "glue/trusted_tmdb.py",
    { raw_tmdb_movies: prefix(DATASETS.rawTmdbMovies), raw_tmdb_series: prefix(DATASETS.rawTmdbSeries) },
    {
      trusted_tmdb_movies: prefix(DATASETS.trustedTmdbMovies),
      trusted_tmdb_series: prefix(DATASETS.trustedTmdbSeries),
      quarantine_tmdb_movies: quarantinePrefix(DATASETS.rawTmdbMovies),
      quarantine_tmdb_series: quarantinePrefix(DATASETS.rawTmdbSeries),
      report_prefix: reportPrefix("trusted-tmdb"),
    },
  ),
  refined: job(
    "refined",
    "Trusted tables to the Refined star schema, with integrity checks.",
    "glue/refined.py",
    {
      trusted_movies: prefix(DATASETS.trustedMovies),
      trusted_series: prefix(DATASETS.trustedSeries),
      trusted_tmdb_movies: prefix(DATASETS.trustedTmdbMovies),
      trusted_tmdb_series: prefix(DATASETS.trustedTmdbSeries),
    },
    { refined_root: "Refined/", report_prefix: reportPrefix("refined") },
  ),
};

/** The job arguments (`--name value` pairs, without `--`) for a job run: its prefixes plus lake root and date. */
export function jobArguments(name: JobName, lakeRoot: string, date = "latest"): Record<string, string> {
  return { lake_root: lakeRoot.endsWith("/") ? lakeRoot : `${lakeRoot}/`, date, ...JOBS[name].prefixes };
}
