/**
 * The lake's path convention, written once and imported by the components, the runtime and the local runner:
 * `<zone>/<source>/<format>/<spec>/<YYYY>/<MM>/<DD>/<file>` under the bucket (e.g. `Raw/Local/CSV/Movies/2022/05/02/movies.csv`).
 * Spark jobs never rebuild paths: they receive the prefixes computed here as job arguments.
 */

/** The data zones of the lake, in the order data flows through them. */
export const ZONES = ["Raw", "Trusted", "Refined"] as const;
/** A data zone of the lake. */
export type Zone = (typeof ZONES)[number];

/** Where a dataset lives, without its date and file: the first four parts of the convention. */
export interface DatasetLocation {
  /** `Raw`, `Trusted` or `Refined`. */
  zone: Zone;
  /** Where the data came from, e.g. `Local` (the CSV files) or `TMDB`. */
  source: string;
  /** The file format, e.g. `CSV`, `JSON`, `Parquet`. */
  format: string;
  /** What the files hold, e.g. `Movies` or `Series`. */
  spec: string;
}

/** A full object path: a dataset location, a calendar day and a file name. */
export interface LakePath extends DatasetLocation {
  /** The day, as `YYYY-MM-DD` (UTC). */
  date: string;
  /** The file name, e.g. `movies.csv`. */
  file: string;
}

/** The datasets of the movies & series lake: one entry per kind of file, used everywhere a location is needed. */
export const DATASETS = {
  rawMoviesCsv: { zone: "Raw", source: "Local", format: "CSV", spec: "Movies" },
  rawSeriesCsv: { zone: "Raw", source: "Local", format: "CSV", spec: "Series" },
  rawTmdbMovies: { zone: "Raw", source: "TMDB", format: "JSON", spec: "Movies" },
  rawTmdbSeries: { zone: "Raw", source: "TMDB", format: "JSON", spec: "Series" },
  trustedMovies: { zone: "Trusted", source: "Local", format: "Parquet", spec: "Movies" },
  trustedSeries: { zone: "Trusted", source: "Local", format: "Parquet", spec: "Series" },
  trustedTmdbMovies: { zone: "Trusted", source: "TMDB", format: "Parquet", spec: "Movies" },
  trustedTmdbSeries: { zone: "Trusted", source: "TMDB", format: "Parquet", spec: "Series" },
} as const satisfies Record<string, DatasetLocation>;

/** The name of a dataset in {@link DATASETS}. */
export type DatasetName = keyof typeof DATASETS;

/**
 * Prefixes that hold no table data but belong to the lake: quarantined records, run reports, checkpoints, the Glue
 * scripts and Athena's query results. Kept apart from the three zones so that no table location ever overlaps them.
 */
export const SYSTEM_PREFIXES = {
  /** Rows or files a job refused, with the reason: `Quarantine/<source>/<format>/<spec>/dt=YYYY-MM-DD/`. */
  quarantine: "Quarantine/",
  /** Run reports written by every stage (reconciliation counts, durations). */
  reports: "_system/reports/",
  /** The ApiIngestor's checkpoint of each selected id's outcome. */
  checkpoints: "_system/checkpoints/",
  /** Glue entry scripts and the shared Python module. */
  scripts: "_system/scripts/",
  /** Athena's query results (the workgroup's output location). */
  athenaResults: "_system/athena-results/",
  /** State of the local runner (`npm run demo`): fingerprints of each job's last successful run. */
  localRunner: "_system/local/",
} as const;

const SAFE_PART = /^[A-Za-z0-9][A-Za-z0-9._=+-]*$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Thrown when a path part or date would escape or corrupt the lake's layout. */
export class LakePathError extends Error {
  override name = "LakePathError";
}

/** Checks one path part (zone, source, format, spec, file or table name) and returns it unchanged. */
export function checkPart(value: string, what: string): string {
  if (value === "") throw new LakePathError(`${what} is empty: every part of a lake path must have a value`);
  if (value.includes("/")) throw new LakePathError(`${what} "${value}" contains "/": parts may not nest or start at /`);
  if (value === "." || value === ".." || value.includes(".."))
    throw new LakePathError(`${what} "${value}" contains "..": a lake path may not escape its prefix`);
  if (!SAFE_PART.test(value))
    throw new LakePathError(
      `${what} "${value}" has characters outside [A-Za-z0-9._=+-] (or starts with one of ._=+-): choose a plain name`,
    );
  return value;
}

/**
 * How many days after today (UTC) a day may be: one, because a student east of UTC is already in tomorrow when UTC is
 * not. Anything later is a typo (`9999-12-31`) that every `latest` lookup would then pick for good.
 */
export const MAX_DAYS_AHEAD = 1;

/** The latest day the lake takes, `YYYY-MM-DD`: tomorrow in UTC (see {@link MAX_DAYS_AHEAD}). */
export function latestAllowedDay(now: Date = new Date()): string {
  return todayUtc(new Date(now.getTime() + MAX_DAYS_AHEAD * 86_400_000));
}

/**
 * Parses a `YYYY-MM-DD` calendar day, refusing impossible dates such as 2023-02-30 and days after tomorrow (UTC). The
 * one place dates are checked: every key and prefix builder and every command that takes a day goes through it, so a
 * future day can neither be written nor read as a lake day.
 */
export function parseDay(date: string, now: Date = new Date()): { year: string; month: string; day: string } {
  const match = DATE.exec(date);
  if (!match) throw new LakePathError(`date "${date}" is not in the form YYYY-MM-DD`);
  const [, year, month, day] = match as unknown as [string, string, string, string];
  const parsed = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (
    parsed.getUTCFullYear() !== Number(year) ||
    parsed.getUTCMonth() !== Number(month) - 1 ||
    parsed.getUTCDate() !== Number(day) ||
    Number(year) < 1900
  )
    throw new LakePathError(`date "${date}" is not a real calendar day`);
  const latest = latestAllowedDay(now);
  // Same-length ISO days compare as strings.
  if (date > latest)
    throw new LakePathError(
      `date "${date}" is after tomorrow (${latest}, UTC): give today's date or an earlier day (tomorrow is allowed ` +
        `for time zones ahead of UTC)`,
    );
  return { year, month, day };
}

/** Today's date in UTC as `YYYY-MM-DD`. */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

function checkLocation(location: DatasetLocation): DatasetLocation {
  if (!(ZONES as readonly string[]).includes(location.zone))
    throw new LakePathError(`zone "${location.zone}" is not one of ${ZONES.join(", ")}`);
  checkPart(location.source, "source");
  checkPart(location.format, "format");
  checkPart(location.spec, "spec");
  return location;
}

/** The prefix of a dataset, ending in `/`: `Raw/Local/CSV/Movies/`. */
export function datasetPrefix(location: DatasetLocation): string {
  const { zone, source, format, spec } = checkLocation(location);
  return `${zone}/${source}/${format}/${spec}/`;
}

/** The prefix of one day of a dataset, ending in `/`: `Raw/Local/CSV/Movies/2022/05/02/`. */
export function dayPrefix(location: DatasetLocation, date: string): string {
  const { year, month, day } = parseDay(date);
  return `${datasetPrefix(location)}${year}/${month}/${day}/`;
}

/** The object key of a file: `Raw/Local/CSV/Movies/2022/05/02/movies.csv`. */
export function lakeKey(path: LakePath): string {
  return `${dayPrefix(path, path.date)}${checkPart(path.file, "file")}`;
}

/** The Hive-style partition prefix of one day of a dataset: `Trusted/TMDB/Parquet/Movies/dt=2022-05-02/`. */
export function partitionPrefix(location: DatasetLocation, date: string): string {
  parseDay(date);
  return `${datasetPrefix(location)}dt=${date}/`;
}

/** The prefix of a Refined table: `Refined/fact_title/`. */
export function refinedTablePrefix(table: string): string {
  return `Refined/${checkPart(table, "table")}/`;
}

/** The quarantine prefix of a dataset: `Quarantine/Local/CSV/Movies/`. */
export function quarantinePrefix(location: DatasetLocation): string {
  const { source, format, spec } = checkLocation(location);
  return `${SYSTEM_PREFIXES.quarantine}${source}/${format}/${spec}/`;
}

/** The prefix of a stage's run reports: `_system/reports/trusted-csv/`. */
export function reportPrefix(stage: string): string {
  return `${SYSTEM_PREFIXES.reports}${checkPart(stage, "stage")}/`;
}

/** Splits an object key back into its parts; refuses keys that do not follow the convention. */
export function parseLakeKey(key: string): LakePath {
  if (key.startsWith("/"))
    throw new LakePathError(`key "${key}" starts with "/": lake keys are relative to the bucket`);
  const parts = key.split("/");
  if (parts.length !== 8)
    throw new LakePathError(`key "${key}" does not have the form <zone>/<source>/<format>/<spec>/YYYY/MM/DD/<file>`);
  const [zone, source, format, spec, year, month, day, file] = parts as [
    Zone,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const path: LakePath = { zone, source, format, spec, date: `${year}-${month}-${day}`, file };
  lakeKey(path);
  return path;
}

/** An `s3://bucket/key` URI. */
export function s3Uri(bucket: string, key: string): string {
  if (key.startsWith("/"))
    throw new LakePathError(`key "${key}" starts with "/": lake keys are relative to the bucket`);
  return `s3://${bucket}/${key}`;
}
