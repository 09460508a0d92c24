/**
 * The Pulumi program (Pulumi.yaml's `main`): one movies & series lake per stack. Reads and checks the stack's config,
 * builds the lake and exports what a student needs next. Config keys and examples: Pulumi.dev.yaml.
 */
import * as pulumi from "@pulumi/pulumi";
import { pulumiConfigSource, readLakeConfig } from "./config";
import { buildLake, type LakeOutputs } from "./lake";

const lake = buildLake(readLakeConfig(pulumiConfigSource(), pulumi.getStack()));

// The stack outputs, one per field of LakeOutputs (programs/lake.ts describes each): `pulumi stack output` lists these
// names, so a field added there is added here too.
export const {
  bucket,
  zones,
  dockerRunCommand,
  dockerLoginCommand,
  batchIngestorRoleArn,
  lambdaName,
  glueJobNames,
  glueWorkflowName,
  athenaWorkgroup,
  refinedDatabase,
  dashboardId,
  dashboardUrl,
  alertTopicArn,
}: LakeOutputs = lake.outputs;
