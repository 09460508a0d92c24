/**
 * The lake's contract: paths, datasets, the table and view registry, the Spark jobs and the dashboard's visuals, plus
 * the one error type for bad configuration. Plain TypeScript — no Pulumi, no AWS SDK — imported by `runtime/`,
 * `components/`, `programs/` and `bench/`, and exported to the Glue jobs as `glue/cinelake/registry.json`.
 */
export * from "./errors";
export * from "./names";
export * from "./paths";
export * from "./tables";
export * from "./jobs";
export * from "./visuals";
