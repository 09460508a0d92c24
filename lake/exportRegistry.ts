/**
 * Writes the table registry as JSON to glue/cinelake/registry.json, where the Spark jobs and the DuckDB catalog read
 * it (and Glue receives it inside the shared module). A test fails when the committed file is stale.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { registryJson } from "./tables";

/** Where the exported registry lives, relative to the repository root. */
export const REGISTRY_JSON_PATH = join("glue", "cinelake", "registry.json");

/** The exact text of the exported registry. */
export function registryJsonText(): string {
  return `${JSON.stringify(registryJson(), null, 2)}\n`;
}

if (require.main === module) {
  const target = join(__dirname, "..", REGISTRY_JSON_PATH);
  writeFileSync(target, registryJsonText());
  console.log(`wrote ${target}`);
}
