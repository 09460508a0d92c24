/**
 * The Dashboard's pure definition builder (components/dashboardDefinition.ts), without Pulumi: the datasets' SQL and
 * columns, the visuals, the KPI fields and the sheet's layout, from the visuals registry.
 */
import { expect } from "chai";
import {
  TABLE_ID,
  datasetColumns,
  datasetSql,
  fieldId,
  kpiExpression,
  kpiFieldName,
  physicalTableId,
  quickSightDefinition,
  quickSightType,
  quickSightVisual,
} from "../../components/dashboardDefinition";
import { VIEWS, viewByName } from "../../lake/tables";
import { DASHBOARD, dashboardDatasets, type DashboardDef, type KpiDef } from "../../lake/visuals";

type Json = Record<string, unknown>;

/** A fake ARN for each dataset of a dashboard. */
const arns = (dashboard: DashboardDef) =>
  Object.fromEntries(dashboardDatasets(dashboard).map((view) => [view, `arn:aws:quicksight:::dataset/${view}`]));

describe("Dashboard definition (pure)", () => {
  it("maps registry column types to QuickSight's: integers, decimals, and strings for everything else", () => {
    const column = (type: string) => ({ name: "c", type, description: "" }) as Parameters<typeof quickSightType>[0];
    expect(["int", "bigint"].map((t) => quickSightType(column(t)))).to.deep.equal(["INTEGER", "INTEGER"]);
    expect(["double", "float", "smallint"].map((t) => quickSightType(column(t)))).to.deep.equal([
      "DECIMAL",
      "DECIMAL",
      "DECIMAL",
    ]);
    expect(["string", "boolean", "date"].map((t) => quickSightType(column(t)))).to.deep.equal([
      "STRING",
      "STRING",
      "STRING",
    ]);
  });

  it("selects every registry column of a view from the given database, booleans cast to strings", () => {
    for (const view of VIEWS) {
      const sql = datasetSql("cinelake_alice_refined", view.name, view.columns);
      expect(sql, view.name).to.match(new RegExp(`FROM "cinelake_alice_refined"\\."${view.name}"$`));
      for (const column of view.columns)
        expect(sql, `${view.name}.${column.name}`).to.include(
          column.type === "boolean" ? `CAST("${column.name}" AS varchar) AS "${column.name}"` : `"${column.name}"`,
        );
      expect(datasetColumns(view.columns).map((c) => c.name)).to.deep.equal(view.columns.map((c) => c.name));
    }
  });

  it("keys each view's physical table by an id QuickSight allows", () => {
    for (const view of VIEWS) expect(physicalTableId(view.name), view.name).to.match(TABLE_ID);
    expect(physicalTableId("v_title_summary")).to.equal("v-title-summary");
    expect(() => physicalTableId("v".repeat(65))).to.throw(/no valid QuickSight table id/);
  });

  it("writes a KPI as a distinct count, conditional or divided when the registry says so", () => {
    const kpi = (over: Partial<KpiDef>): KpiDef =>
      ({
        id: "k",
        label: "K",
        dataset: "v_title_summary",
        value: { column: "title_key" },
        format: "integer",
        ...over,
      }) as KpiDef;
    expect(kpiExpression(kpi({}))).to.equal("distinct_count({title_key})");
    expect(kpiExpression(kpi({ value: { column: "title_key", where: { column: "kind", equals: "it's" } } }))).to.equal(
      "distinct_countIf({title_key}, {kind} = 'it\\'s')",
    );
    expect(
      kpiExpression(
        kpi({
          denominator: { column: "title_key" },
          value: { column: "title_key", where: { column: "kind", equals: "movie" } },
        }),
      ),
    ).to.equal("distinct_countIf({title_key}, {kind} = 'movie') / distinct_count({title_key})");
    expect(kpiFieldName(kpi({ id: "share" }))).to.equal("kpi_share");
  });

  it("turns each registry visual into one QuickSight visual with its id, title and field ids", () => {
    for (const visual of DASHBOARD.visuals) {
      const [kind, inner] = Object.entries(quickSightVisual(visual, VIEWS) as Json)[0] as [string, Json];
      expect(kind, visual.id).to.match(/^(table|barChart|scatterPlot|lineChart)Visual$/);
      expect(inner.visualId).to.equal(visual.id);
      expect(JSON.stringify(inner)).to.include(fieldId(visual.id, visual.measures[0]!.id));
    }
  });

  it("lays the sheet out: the lead on top, the KPIs across, the visuals two per row", () => {
    const definition = quickSightDefinition(DASHBOARD, arns(DASHBOARD), VIEWS) as unknown as Json;
    const sheet = (definition.sheets as Json[])[0] as Json;
    const layout = (sheet.layouts as Json[])[0] as { configuration: { gridLayout: { elements: Json[] } } };
    const elements = layout.configuration.gridLayout.elements;
    expect(elements[0]).to.include({ elementId: "lead", elementType: "TEXT_BOX", columnSpan: 36 });
    const kpis = elements.filter((e) => String(e.elementId).startsWith("kpi_"));
    expect(kpis).to.have.length(DASHBOARD.kpis.length);
    for (const kpi of kpis) expect(kpi.rowIndex).to.equal(4);
    const visuals = elements.slice(1 + kpis.length);
    expect(visuals.map((e) => e.elementId)).to.deep.equal(DASHBOARD.visuals.map((v) => v.id));
    expect(visuals.map((e) => e.columnIndex)).to.deep.equal(DASHBOARD.visuals.map((_, i) => (i % 2) * 18));
    expect(definition.dataSetIdentifierDeclarations).to.deep.equal(
      dashboardDatasets(DASHBOARD).map((identifier) => ({ identifier, dataSetArn: arns(DASHBOARD)[identifier] })),
    );
  });

  it("escapes the title and lead in the text box, and adds a dropdown and a filter group per filter", () => {
    const dashboard: DashboardDef = { ...DASHBOARD, title: "Films & <series>", lead: "a > b" };
    const definition = quickSightDefinition(dashboard, arns(dashboard), VIEWS) as unknown as Json;
    const sheet = (definition.sheets as Json[])[0] as { textBoxes: { content: string }[]; filterControls: Json[] };
    expect(sheet.textBoxes[0]!.content).to.include("Films &amp; &lt;series&gt;").and.include("a &gt; b");
    expect(sheet.filterControls).to.have.length(dashboard.filters.length);
    const groups = (definition.filterGroups as Json[]).map((g) => g.filterGroupId);
    for (const filter of dashboard.filters) expect(groups).to.include(`group_${filter.column}`);
    for (const visual of dashboard.visuals.filter((v) => v.topSeries !== undefined))
      expect(groups).to.include(`group_top_${visual.id}`);
  });

  it("is pure: the same registry gives the same definition", () => {
    expect(quickSightDefinition(DASHBOARD, arns(DASHBOARD), VIEWS)).to.deep.equal(
      quickSightDefinition(DASHBOARD, arns(DASHBOARD), VIEWS),
    );
    expect(viewByName(dashboardDatasets(DASHBOARD)[0]!).columns.length).to.be.greaterThan(0);
  });
});
