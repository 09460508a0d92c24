/**
 * The Pulumi program (Pulumi.yaml's `main`): one movies & series lake per stack. Reads and checks the stack's config,
 * builds the lake and exports what a student needs next. Config keys and examples: Pulumi.dev.yaml.
 */
import * as pulumi from "@pulumi/pulumi";
import { pulumiConfigSource, readLakeConfig } from "./config";
import { buildLake } from "./lake";

const lake = buildLake(readLakeConfig(pulumiConfigSource(), pulumi.getStack()));

/** The lake bucket's name. */
export const bucket = lake.outputs.bucket;
/** The zones' `s3://` URIs. */
export const zones = lake.outputs.zones;
/** Loads movies.csv and series.csv of the current folder into the Raw zone (run `dockerLoginCommand` first). */
export const dockerRunCommand = lake.outputs.dockerRunCommand;
/** Logs Docker in to the stack's ECR repository. */
export const dockerLoginCommand = lake.outputs.dockerLoginCommand;
/** The role to assume for running the container (`aws sts assume-role --role-arn <it> ...`). */
export const batchIngestorRoleArn = lake.outputs.batchIngestorRoleArn;
/** The ApiIngestor Lambda (`aws lambda invoke --function-name <it> out.json` runs a slice now). */
export const lambdaName = lake.outputs.lambdaName;
/** The Glue job names. */
export const glueJobNames = lake.outputs.glueJobNames;
/** The Glue workflow running the Trusted jobs then Refined (`aws glue start-workflow-run --name <it>`). */
export const glueWorkflowName = lake.outputs.glueWorkflowName;
/** The Athena workgroup to query the lake with. */
export const athenaWorkgroup = lake.outputs.athenaWorkgroup;
/** The Glue database of the Refined tables and views. */
export const refinedDatabase = lake.outputs.refinedDatabase;
/** The QuickSight dashboard's id. */
export const dashboardId = lake.outputs.dashboardId;
/** The QuickSight dashboard's console URL. */
export const dashboardUrl = lake.outputs.dashboardUrl;
/** The SNS topic failed runs are sent to (`aws sns subscribe --topic-arn <it> ...`, or set cinelake:alertEmail). */
export const alertTopicArn = lake.outputs.alertTopicArn;
