/**
 * The cinelake component library: every component and what reusers need to wire them (paths, names, policies,
 * the job, table and visual registries).
 * `import { DataLakeBucket, ApiIngestor, ... } from "cinelake/components"`.
 */
export * from "./dataLakeBucket";
export * from "./batchIngestor";
export * from "./apiIngestor";
export * from "./sparkJob";
export * from "./starSchema";
export * from "./dashboard";
export * from "./naming";
export * from "./schedule";
export * from "./policy";
export * from "../lake";
