/**
 * Writes the table registry and the job list as JSON to glue/cinelake/registry.json, where the Spark jobs (their
 * schemas and the arguments they accept) and the DuckDB catalog read it (Glue receives it inside the shared package).
 * A test fails when the committed file is stale.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { GLUE_ARGUMENTS, JOBS, jobArgumentNames } from "./jobs";
import { registryJson } from "./tables";

/** Where the exported registry lives, relative to the repository root. */
export const REGISTRY_JSON_PATH = join("glue", "cinelake", "registry.json");

/** One job as the Python side reads it: its name, entry script and the names of the arguments it takes. */
export interface ExportedJob {
  /** The job's name (lake/jobs.ts). */
  name: string;
  /** The entry script, relative to the repository root. */
  script: string;
  /** Every argument it takes, without `--`: `lake_root`, `date`, then its prefixes. */
  arguments: string[];
}

/** Every job of lake/jobs.ts, in its order, as exported. */
export function exportedJobs(): ExportedJob[] {
  return Object.values(JOBS).map((job) => ({
    name: job.name,
    script: job.script,
    arguments: jobArgumentNames(job.name),
  }));
}

/** The whole exported document: tables and views, the jobs, and the arguments Glue itself passes. */
export function exportedRegistry(): ReturnType<typeof registryJson> & {
  jobs: ExportedJob[];
  glueArguments: string[];
} {
  return { ...registryJson(), jobs: exportedJobs(), glueArguments: [...GLUE_ARGUMENTS] };
}

/** The exact text of the exported registry. */
export function registryJsonText(): string {
  return `${JSON.stringify(exportedRegistry(), null, 2)}\n`;
}

if (require.main === module) {
  const target = join(__dirname, "..", REGISTRY_JSON_PATH);
  writeFileSync(target, registryJsonText());
  console.log(`wrote ${target}`);
}
