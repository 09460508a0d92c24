/**
 * The cinelake component library: every component and what reusers need to wire them (paths, names, policies,
 * schedules, the catalog's registry types, the component convention, and the movies lake's job, table and visual
 * registries). `import { DataLakeBucket, ApiIngestor, ... } from "cinelake/components"`.
 */
// The seven components (programs/provider.ts serves the same seven to other Pulumi languages).
export * from "./dataLakeBucket";
export * from "./batchIngestor";
export * from "./apiIngestor";
export * from "./sparkJob";
export * from "./starSchema";
// The Dashboard module also exports its pure parts: the definition builder and the QuickSight access rules.
export * from "./dashboard";
export * from "./lakeAlerts";
// What a reuser writes registries, schedules, policies and its own components with.
export * from "./component";
export * from "./glueCatalog";
export * from "./naming";
export * from "./schedule";
export * from "./policy";
export * from "../lake";
