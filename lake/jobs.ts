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

/** Every job's name, in the order the lake runs them (the Trusted jobs, then Refined, which reads both). */
export const JOB_NAMES = Object.keys(JOBS) as JobName[];

/**
 * The jobs that read nothing under `prefixes`, neither directly nor through what another job writes from there, in
 * {@link JOB_NAMES} order: they may run while something else is still writing those prefixes (the local lake runs the
 * CSV job while the ApiIngestor fetches TMDB, for one).
 */
export function jobsIndependentOf(prefixes: string[]): JobName[] {
  const pending = new Set(prefixes);
  const independent: JobName[] = [];
  const overlaps = (read: string) =>
    [...pending].some((written) => read.startsWith(written) || written.startsWith(read));
  // Registry order is run order, so a job's inputs are written by jobs before it.
  for (const name of JOB_NAMES)
    if (JOBS[name].reads.some(overlaps)) for (const written of JOBS[name].writes) pending.add(written);
    else independent.push(name);
  return independent;
}

/** The job arguments (`--name value` pairs, without `--`) for a job run: its prefixes plus lake root and date. */
export function jobArguments(name: JobName, lakeRoot: string, date = "latest"): Record<string, string> {
  return { lake_root: lakeRoot.endsWith("/") ? lakeRoot : `${lakeRoot}/`, date, ...JOBS[name].prefixes };
}

/**
 * The names of every argument a job takes (without `--`): `lake_root`, `date`, then its prefixes, in the order
 * {@link jobArguments} gives them. Exported with the registry, so the Python jobs derive what they accept from here.
 */
export function jobArgumentNames(name: JobName): string[] {
  return Object.keys(jobArguments(name, "s3://bucket/"));
}

/**
 * The arguments AWS Glue itself passes or consumes (without `--`), which a job must accept besides its own: the job
 * parameters of Glue's "Using job parameters in AWS Glue jobs" reference (the Glue 4 logging flags included: Glue 5
 * ignores them but still passes them on), the names Glue reserves for itself there (`conf`, `debug`, `mode`,
 * `JOB_NAME`), and the run's identity, bookmark and encryption arguments `awsglue.utils.getResolvedOptions` knows.
 * The Python jobs refuse any other `--name` that is not one of their own, so an argument added on one side only
 * fails the run instead of being ignored. When Glue starts passing a new argument of its own, add it here.
 */
export const GLUE_ARGUMENTS: readonly string[] = [
  // Identity of the run and internal names Glue reserves.
  "JOB_NAME",
  "JOB_ID",
  "JOB_RUN_ID",
  "SECURITY_CONFIGURATION",
  "conf",
  "debug",
  "mode",
  // Bookmarks, temporary folders and encryption (getResolvedOptions).
  "job-bookmark-option",
  "job-bookmark-from",
  "job-bookmark-to",
  "continuation-option",
  "TempDir",
  "RedshiftTempDir",
  "encryption-type",
  // Documented job parameters.
  "additional-python-modules",
  "auto-scale-within-microbatch",
  "class",
  "continuous-log-conversionPattern",
  "continuous-log-logGroup",
  "continuous-log-logStreamPrefix",
  "custom-logGroup-prefix",
  "custom-logStream-prefix",
  "customer-driver-env-vars",
  "customer-executor-env-vars",
  "datalake-formats",
  "disable-proxy-v2",
  "enable-auto-scaling",
  "enable-continuous-cloudwatch-log",
  "enable-continuous-log-filter",
  "enable-glue-datacatalog",
  "enable-job-insights",
  "enable-lakeformation-fine-grained-access",
  "enable-metrics",
  "enable-observability-metrics",
  "enable-rename-algorithm-v2",
  "enable-s3-parquet-optimized-committer",
  "enable-spark-ui",
  "executor-cores",
  "extra-files",
  "extra-jars",
  "extra-py-files",
  "job-language",
  "python-modules-installer-option",
  "scriptLocation",
  "spark-event-logs-path",
  "use-postgres-driver",
  "user-jars-first",
  "write-shuffle-files-to-s3",
  "write-shuffle-spills-to-s3",
];
