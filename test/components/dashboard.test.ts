import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import {
  Dashboard,
  checkQuickSightPrincipal,
  parseQuickSightPrincipal,
  quickSightDefinition,
  type DashboardArgs,
} from "../../components/dashboard";
import { ConfigError } from "../../components/naming";
import { viewByName } from "../../components/tables";
import { DASHBOARD, validateVisuals, visualColumns, type DashboardDef } from "../../components/visuals";
import { oneOfType, ofType, parsePolicy, plain, resetRegistered, settle, useMocks } from "../support/pulumiMocks";

const PRINCIPAL = "arn:aws:quicksight:us-east-1:123456789012:user/default/alice";
const BUCKET_ARN = "arn:aws:s3:::cinelake-alice-lake";

function build(overrides: Partial<DashboardArgs> = {}): Dashboard {
  return new Dashboard("alice-dashboard", {
    stackName: "alice",
    workgroupName: "cinelake-alice",
    refinedDatabaseName: "cinelake_alice_refined",
    lakeBucketArn: BUCKET_ARN,
    principalArn: PRINCIPAL,
    ...overrides,
  });
}

type Json = Record<string, unknown>;

/** Every `{dataSetIdentifier, columnName}` under a node, with the field id that carries it (if any). */
function columnRefs(node: unknown, fieldId?: string): { fieldId?: string; dataset: string; column: string }[] {
  if (Array.isArray(node)) return node.flatMap((child) => columnRefs(child, fieldId));
  if (typeof node !== "object" || node === null) return [];
  const record = node as Json;
  const id = typeof record.fieldId === "string" ? record.fieldId : fieldId;
  const here =
    typeof record.dataSetIdentifier === "string" && typeof record.columnName === "string"
      ? [{ fieldId: id, dataset: record.dataSetIdentifier, column: record.columnName }]
      : [];
  return [...here, ...Object.values(record).flatMap((child) => columnRefs(child, id))];
}

/** The visuals of the single sheet of a recorded definition, keyed by visual id. */
function visualsById(definition: Json): Map<string, Json> {
  const sheets = definition.sheets as Json[];
  expect(sheets).to.have.length(1);
  const visuals = (sheets[0]?.visuals ?? []) as Json[];
  return new Map(
    visuals.map((visual) => {
      const inner = Object.values(visual)[0] as Json;
      return [String(inner.visualId), inner];
    }),
  );
}

describe("Dashboard visuals registry", () => {
  it("is valid: every field exists in its view's registry columns and follows the grain rule", () => {
    expect(validateVisuals()).to.deep.equal([]);
    for (const visual of DASHBOARD.visuals) {
      const columns = viewByName(visual.dataset).columns.map((c) => c.name);
      expect(columns, visual.id).to.include.members(visualColumns(visual));
    }
    expect(DASHBOARD.visuals.length).to.be.at.least(6);
    expect(new Set(DASHBOARD.visuals.map((v) => v.dataset)).size, "one visual per analysis view").to.be.at.least(6);
  });

  it("catches a field that is not in the view, and an average that would count a title once per genre", () => {
    const [first] = DASHBOARD.visuals;
    if (!first) throw new Error("no visual");
    const broken: DashboardDef = {
      ...DASHBOARD,
      visuals: [
        { ...first, id: "typo", dimensions: [{ column: "titel", label: "Title" }] },
        {
          ...first,
          id: "per_kind",
          chart: "bar",
          dataset: "v_rating_agreement",
          dimensions: [{ column: "kind", label: "Kind" }],
          measures: [{ id: "r", column: "imdb_rating", aggregation: "avg", label: "Rating", format: "decimal" }],
          sort: { by: "r", direction: "desc" },
        },
      ],
    };
    const problems = validateVisuals(broken);
    expect(problems.join("\n")).to.include('typo: column "titel" is not in view v_top_titles_by_genre_decade');
    expect(problems.join("\n")).to.include("per_kind: avg(imdb_rating) would count a title once per genre");
  });

  it("templates findings from the rows, so they follow the data", () => {
    const financials = DASHBOARD.visuals.find((v) => v.id === "financials");
    const rows = [
      { genre: "Horror", median_return: 4.25, movies: 12 },
      { genre: "Drama", median_return: 1.5, movies: 40 },
    ];
    expect(financials?.finding(rows)).to.equal(
      "Horror returns the most: the median movie earns 4.3× its budget (12 movies).",
    );
    expect(financials?.finding([{ genre: "Drama", median_return: 1.5, movies: 40 }])).to.match(/^Drama returns/);
  });
});

describe("Dashboard component", () => {
  before(() => useMocks({ stack: "alice" }));
  beforeEach(resetRegistered);

  it("generates the dashboard and analysis definitions from the registry: every visual, its dataset and fields", async () => {
    build();
    await settle();
    const dataSets = ofType("aws-native:quicksight:DataSet");
    const dashboard = plain(oneOfType("aws-native:quicksight:Dashboard").inputs) as Json;
    const analysis = plain(oneOfType("aws-native:quicksight:Analysis").inputs) as Json;
    expect(analysis.definition).to.deep.equal(dashboard.definition);
    const definition = dashboard.definition as Json;
    const declared = new Map(
      (definition.dataSetIdentifierDeclarations as Json[]).map((d) => [String(d.identifier), String(d.dataSetArn)]),
    );
    const visuals = visualsById(definition);
    for (const visual of DASHBOARD.visuals) {
      const rendered = visuals.get(visual.id);
      expect(rendered, `visual ${visual.id} in the definition`).to.not.equal(undefined);
      expect((rendered?.title as Json)?.formatText).to.deep.equal({ plainText: visual.title });
      const refs = columnRefs(rendered).filter((ref) => ref.fieldId?.startsWith(`${visual.id}.`));
      expect(new Set(refs.map((ref) => ref.dataset)), visual.id).to.deep.equal(new Set([visual.dataset]));
      expect(new Set(refs.map((ref) => ref.column)), visual.id).to.deep.equal(new Set(visualColumns(visual)));
      // The dataset identifier points at the DataSet whose SQL reads that very view.
      const arn = declared.get(visual.dataset);
      const dataSet = dataSets.find((ds) => `arn:aws:quicksight:us-east-1:123456789012:${ds.inputs.name}` === arn);
      expect(dataSet, `dataset of ${visual.dataset}`).to.not.equal(undefined);
      const sql = JSON.stringify(plain(dataSet?.inputs.physicalTableMap));
      expect(sql).to.include(`FROM \\"cinelake_alice_refined\\".\\"${visual.dataset}\\"`);
    }
    // KPI tiles are calculated fields on their datasets, and each is drawn.
    for (const kpi of DASHBOARD.kpis) expect(visuals.has(`kpi_${kpi.id}`), kpi.id).to.equal(true);
    const calculated = (definition.calculatedFields as Json[]).map((f) => f.expression);
    expect(calculated).to.include("distinct_countIf({title_key}, {kind} = 'movie')");
    expect(calculated).to.include(
      "distinct_countIf({title_key}, {is_tmdb_enriched} = 'true') / distinct_count({title_key})",
    );
  });

  it("applies the kind, genre and decade filters to every dataset, with a dropdown each", async () => {
    build();
    await settle();
    const definition = (plain(oneOfType("aws-native:quicksight:Dashboard").inputs) as Json).definition as Json;
    const groups = definition.filterGroups as Json[];
    for (const column of ["kind", "genre", "decade"]) {
      const group = groups.find((g) => g.filterGroupId === `group_${column}`);
      expect(group?.crossDataset, column).to.equal("ALL_DATASETS");
      expect(columnRefs(group).map((ref) => ref.column)).to.deep.equal([column]);
    }
    const controls = ((definition.sheets as Json[])[0]?.filterControls as Json[]).map(
      (c) => (c.dropdown as Json).sourceFilterId,
    );
    expect(controls).to.deep.equal(["filter_kind", "filter_genre", "filter_decade"]);
    // Every dataset carries the filter columns (so ALL_DATASETS reaches every visual).
    for (const ds of ofType("aws-native:quicksight:DataSet")) {
      const table = Object.values(plain(ds.inputs.physicalTableMap) as Record<string, Json>)[0] as Json;
      const names = ((table.customSql as Json).columns as Json[]).map((c) => c.name);
      expect(names.slice(0, 3), String(ds.inputs.name)).to.deep.equal(["kind", "genre", "decade"]);
    }
  });

  it("grants the configured principal on the data source, every dataset, the analysis and the dashboard", async () => {
    build();
    await settle();
    const assets = [
      ...ofType("aws-native:quicksight:DataSource"),
      ...ofType("aws-native:quicksight:DataSet"),
      ...ofType("aws-native:quicksight:Analysis"),
      ...ofType("aws-native:quicksight:Dashboard"),
    ];
    expect(assets).to.have.length(3 + new Set([...DASHBOARD.kpis, ...DASHBOARD.visuals].map((v) => v.dataset)).size);
    for (const asset of assets) {
      const permissions = plain(asset.inputs.permissions) as { principal: string; actions: string[] }[];
      expect(
        permissions.map((p) => p.principal),
        asset.type,
      ).to.deep.equal([PRINCIPAL]);
      expect(permissions[0]?.actions.length, asset.type).to.be.greaterThan(3);
    }
    const dashboard = oneOfType("aws-native:quicksight:Dashboard").inputs;
    expect((plain(dashboard.permissions) as { actions: string[] }[])[0]?.actions).to.include(
      "quicksight:QueryDashboard",
    );
  });

  it("queries Athena through the StarSchema's workgroup with a role scoped to the Refined tables and Athena's results", async () => {
    build();
    await settle();
    const source = plain(oneOfType("aws-native:quicksight:DataSource").inputs) as Json;
    expect(source.type).to.equal("ATHENA");
    const athena = (source.dataSourceParameters as Json).athenaParameters as Json;
    expect(athena.workGroup).to.equal("cinelake-alice");
    const role = oneOfType("aws:iam/role:Role").inputs;
    expect(athena.roleArn).to.match(new RegExp(`${role.name}$`));
    expect(JSON.stringify(role.assumeRolePolicy)).to.include("quicksight.amazonaws.com");
    const policy = parsePolicy(oneOfType("aws:iam/rolePolicy:RolePolicy").inputs.policy);
    const resources = policy.Statement.flatMap((s) => [s.Resource].flat() as string[]);
    expect(resources).to.include(`${BUCKET_ARN}/Refined/fact_title/*`);
    expect(resources).to.include(`${BUCKET_ARN}/_system/athena-results/*`);
    expect(resources.filter((r) => r.startsWith(BUCKET_ARN))).to.not.include(`${BUCKET_ARN}/*`);
    expect(resources).to.include("arn:aws:athena:us-east-1:123456789012:workgroup/cinelake-alice");
  });

  it("names carry the stack", async () => {
    build();
    await settle();
    expect(oneOfType("aws-native:quicksight:Dashboard").inputs.dashboardId).to.equal("cinelake-alice-dashboard");
    expect(oneOfType("aws-native:quicksight:Analysis").inputs.analysisId).to.equal("cinelake-alice-analysis");
    expect(oneOfType("aws-native:quicksight:DataSource").inputs.dataSourceId).to.equal("cinelake-alice-athena");
    for (const ds of ofType("aws-native:quicksight:DataSet"))
      expect(ds.inputs.dataSetId).to.match(/^cinelake-alice-ds-v-/);
    expect(oneOfType("aws:iam/role:Role").inputs.name).to.equal("cinelake-alice-quicksight-athena");
  });

  it("refuses a principal that is not a QuickSight user or group ARN, naming the setting", () => {
    for (const bad of [
      "alice",
      "arn:aws:iam::123456789012:user/alice",
      "arn:aws:quicksight:us-east-1:123456789012:dashboard/x",
      "arn:aws:quicksight:us-east-1:12345:user/default/alice",
    ]) {
      expect(() => build({ principalArn: bad }), bad).to.throw(
        ConfigError,
        /principalArn: .*not a QuickSight user or group ARN/,
      );
    }
    expect(parseQuickSightPrincipal("arn:aws:quicksight:eu-west-1:123456789012:group/default/analysts")).to.include({
      kind: "group",
      namespace: "default",
      name: "analysts",
      region: "eu-west-1",
    });
  });

  it("refuses visuals that do not match the registry before AWS is called", () => {
    const [first] = DASHBOARD.visuals;
    if (!first) throw new Error("no visual");
    const dashboard = { ...DASHBOARD, visuals: [{ ...first, dataset: "v_missing" }] };
    expect(() => build({ dashboard })).to.throw(ConfigError, /dashboard: .*v_missing/);
  });

  it("needs every dataset's ARN to build the definition", () => {
    expect(() => quickSightDefinition(DASHBOARD, {})).to.throw(/no dataset ARN for view v_title_summary/);
  });
});

describe("QuickSight subscription check", () => {
  after(() => useMocks({ stack: "alice" }));

  it("fails with the fix when the account has no QuickSight subscription", async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
        call: (args) => {
          if (args.token.startsWith("aws:quicksight/"))
            throw new Error("ResourceNotFoundException: Account 123456789012 is not signed up with QuickSight.");
          return args.inputs;
        },
      },
      "cinelake",
      "alice",
      false,
    );
    const error = await checkQuickSightPrincipal(parseQuickSightPrincipal(PRINCIPAL), {}).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).to.be.instanceOf(ConfigError);
    expect(error?.message).to.include("no QuickSight subscription");
    expect(error?.message).to.include("aws quicksight describe-account-subscription --aws-account-id 123456789012");
  });

  it("passes when QuickSight knows the principal", async () => {
    await useMocks({ stack: "alice" });
    expect(await checkQuickSightPrincipal(parseQuickSightPrincipal(PRINCIPAL), {})).to.equal(PRINCIPAL);
  });
});
