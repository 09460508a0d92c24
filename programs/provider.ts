/**
 * The cinelake Pulumi package: the seven components served to other Pulumi languages (Python, Go, C#, YAML) through
 * Pulumi's source-based component provider (`@pulumi/pulumi/provider/experimental`). `pulumi package add` runs the
 * repository's `PulumiPlugin.yaml` (`runtime: nodejs`): the Node language host requires the repository folder, i.e.
 * package.json's `main` (`provider.cjs`), which registers tsx and calls {@link serveComponents}. Pulumi then infers the
 * schema from the TypeScript of the components (their `Args` interfaces, JSDoc and `Output` fields), starting from
 * package.json's `exports` (this file). See docs/components.md.
 */
import { dirname, resolve } from "node:path";
import { type ComponentProviderOptions, componentProviderHost } from "@pulumi/pulumi/provider/experimental";
import {
  ApiIngestor,
  BatchIngestor,
  Dashboard,
  DataLakeBucket,
  LakeAlerts,
  PACKAGE_NAME,
  SparkJob,
  StarSchema,
} from "../components";

export { ApiIngestor, BatchIngestor, Dashboard, DataLakeBucket, LakeAlerts, SparkJob, StarSchema };

/** The folder holding package.json and tsconfig.json: the schema inference reads both from there. */
export const PACKAGE_DIR = resolve(dirname(__filename), "..");

/**
 * Every component the package serves, by class. Listed explicitly (rather than "every ComponentResource this module
 * exports") so that adding a component to the package is a decision, and the schema test checks the same list.
 */
export const PACKAGE_COMPONENTS = [
  DataLakeBucket,
  BatchIngestor,
  ApiIngestor,
  SparkJob,
  StarSchema,
  Dashboard,
  LakeAlerts,
] as const;

/** The options the provider is started with: the package name, its components and the folder to infer from. */
export function componentProviderOptions(dir: string = PACKAGE_DIR): ComponentProviderOptions {
  return { name: PACKAGE_NAME, components: [...PACKAGE_COMPONENTS], dirname: dir };
}

/** Starts the provider's gRPC server (the engine's address comes from `process.argv`); resolves when it stops. */
export function serveComponents(): Promise<void> {
  return componentProviderHost(componentProviderOptions());
}
