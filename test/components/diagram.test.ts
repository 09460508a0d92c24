/** The ER diagram under docs/ is generated from the registry: it must be current and show every table and key. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { TABLES, type TableDef } from "../../lake/tables";
import { DIAGRAM_PATH, diagramSvg, layer, layout } from "../../docs/tools/diagram";

const REPO_ROOT = join(__dirname, "..", "..");

describe("ER diagram (npm run diagram)", () => {
  it("the committed docs/data-model.svg equals what the registry generates (run npm run diagram)", () => {
    expect(readFileSync(join(REPO_ROOT, DIAGRAM_PATH), "utf8")).to.equal(diagramSvg());
  });

  it("draws every Refined table with every column and one relationship per foreign key", () => {
    const svg = diagramSvg();
    const refined = TABLES.filter((table) => table.zone === "refined");
    expect(refined.length).to.be.greaterThan(5);
    for (const table of refined) {
      expect(svg).to.include(`<g id="${table.name}">`);
      for (const column of table.columns)
        expect(svg).to.match(new RegExp(`\\b${column.name}  ${column.type.replace(/[<>]/g, ".+")}`));
      for (const fk of table.foreignKeys)
        expect(svg).to.include(
          `${table.name}.${fk.columns[0]} -&gt; ${fk.references.table}.${fk.references.columns[0]}`,
        );
    }
    expect(svg).to.not.include("trusted_movies");
  });

  it("changes when the registry changes, and lays boxes out without overlap", () => {
    const extra: TableDef = {
      name: "dim_extra",
      zone: "refined",
      description: "A dimension added in a test.",
      location: "Refined/dim_extra/",
      columns: [{ name: "extra_key", type: "bigint", description: "Key." }],
      partitionKeys: [],
      primaryKey: ["extra_key"],
      foreignKeys: [],
    };
    const changed = diagramSvg([...TABLES, extra]);
    expect(changed).to.not.equal(diagramSvg());
    expect(changed).to.include('<g id="dim_extra">');
    const boxes = layout(TABLES.filter((table) => table.zone === "refined"));
    for (const a of boxes)
      for (const b of boxes)
        if (a !== b)
          expect(
            a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y,
            `${a.table.name} overlaps ${b.table.name}`,
          ).to.equal(true);
    const fact = TABLES.find((table) => table.name === "fact_title") as TableDef;
    expect(layer(fact, TABLES)).to.equal(3);
  });
});
