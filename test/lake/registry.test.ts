/** The exported registry (glue/cinelake/registry.json) must match the typed registry it is generated from. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { REGISTRY_JSON_PATH, registryJsonText } from "../../lake/exportRegistry";
import { tableByName } from "../../lake/tables";

describe("registry export", () => {
  it("glue/cinelake/registry.json equals registryJsonText() (run `npm run registry:export` when this fails)", () => {
    const committed = readFileSync(join(__dirname, "..", "..", REGISTRY_JSON_PATH), "utf8");
    expect(committed, "glue/cinelake/registry.json is stale: run `npm run registry:export`").to.equal(
      registryJsonText(),
    );
  });

  it("partitions the TMDB Trusted tables by dt and keys them by tmdb_id per dt", () => {
    for (const name of ["trusted_tmdb_movies", "trusted_tmdb_series"]) {
      const table = tableByName(name);
      expect(table.partitionKeys.map((c) => c.name)).to.deep.equal(["dt"]);
      expect(table.primaryKey).to.deep.equal(["tmdb_id", "dt"]);
      expect(table.columns.map((c) => c.name)).to.include.members(["tmdb_id", "imdb_id", "genres", "cast", "crew"]);
    }
  });

  it("stores TMDB budget and revenue as 64-bit integers", () => {
    const columns = tableByName("trusted_tmdb_movies").columns;
    expect(columns.find((c) => c.name === "budget")?.type).to.equal("bigint");
    expect(columns.find((c) => c.name === "revenue")?.type).to.equal("bigint");
  });
});
