/**
 * What one run costs on AWS, from the profile: a Glue job's DPU-seconds and list price with the stack's default
 * workers (read from components/sparkJob.ts's own defaults), and the ApiIngestor Lambda's GB-seconds per slice (its
 * memory read from the component as the stack registers it, under Pulumi's mocks).
 */
import * as pulumi from "@pulumi/pulumi";
import { ApiIngestor } from "../../components/apiIngestor";
import { DataLakeBucket } from "../../components/dataLakeBucket";
import { checkSparkJobSettings, type WorkerType } from "../../components/sparkJob";
import type { JobName } from "../../lake/jobs";
import { oneOfType, settle, useMocks } from "../../programs/preview/mocks";

/**
 * Glue's list price for Spark ETL jobs, USD per DPU-hour (us-east-1 and most regions; AWS Glue pricing page). Glue
 * 2.0 and later bill per second with a 1-minute minimum per run.
 */
export const GLUE_USD_PER_DPU_HOUR = 0.44;
/** Glue's minimum billed duration of a Spark job run, in seconds. */
export const GLUE_MINIMUM_BILLED_SECONDS = 60;

/** DPUs of one worker: the number in its name (G.1X = 1 DPU, G.2X = 2 DPU; R.nX = n memory-optimised DPU). */
export function dpusPerWorker(type: WorkerType): number {
  const match = /^[GR]\.(\d+)X$/.exec(type);
  if (!match) throw new Error(`unknown Glue worker type ${type}`);
  return Number(match[1]);
}

/** The estimated cost of one Glue run. */
export interface GlueCost {
  job: JobName;
  glueVersion: string;
  workerType: WorkerType;
  workers: number;
  /** The run time assumed: the local wall time of the whole job (JVM start to exit). */
  runSeconds: number;
  billedSeconds: number;
  dpuSeconds: number;
  usd: number;
}

/**
 * One run's DPU-seconds and list price, assuming Glue's run time equals the local wall time (Glue's own start-up
 * and its workers' speed differ from this machine's; the 1-minute minimum often dominates anyway).
 */
export function glueCost(job: JobName, runSeconds: number, usdPerDpuHour = GLUE_USD_PER_DPU_HOUR): GlueCost {
  // The defaults do not depend on the job; older versions of checkSparkJobSettings also want the job's name (the
  // cast keeps this bench building on both sides of that change, so before and after can be profiled alike).
  const settings = checkSparkJobSettings({ job } as unknown as Parameters<typeof checkSparkJobSettings>[0]);
  const billedSeconds = Math.max(GLUE_MINIMUM_BILLED_SECONDS, Math.ceil(runSeconds));
  const dpuSeconds = billedSeconds * settings.numberOfWorkers * dpusPerWorker(settings.workerType);
  return {
    job,
    glueVersion: settings.glueVersion,
    workerType: settings.workerType,
    workers: settings.numberOfWorkers,
    runSeconds,
    billedSeconds,
    dpuSeconds,
    usd: (dpuSeconds / 3600) * usdPerDpuHour,
  };
}

/** The ApiIngestor Lambda's memory in MB as the component registers it with its defaults (under Pulumi's mocks). */
export async function apiIngestorMemoryMb(): Promise<number> {
  await useMocks({ stack: "profile" });
  // Stand-in code: the memory setting does not depend on the bundle, and esbuild need not run.
  const code = () => new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset("exports.handler=1") });
  const lake = new DataLakeBucket("profile-lake", { stackName: "profile" });
  new ApiIngestor("profile-api", {
    stackName: "profile",
    bucket: lake,
    tmdbToken: pulumi.secret("profile-token"),
    code: code(),
    layerCode: code(),
  });
  await settle();
  return Number(oneOfType("aws:lambda/function:Function").inputs.memorySize);
}

/** Lambda GB-seconds of one slice: memory in GB times the billed duration (Lambda rounds up to the millisecond). */
export function lambdaGbSeconds(memoryMb: number, sliceSeconds: number): number {
  return (memoryMb / 1024) * (Math.ceil(sliceSeconds * 1000) / 1000);
}
