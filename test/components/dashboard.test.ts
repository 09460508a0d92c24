import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import {
  Dashboard,
  TABLE_ID,
  checkQuickSightPrincipal,
  checkedPrincipal,
  parseQuickSightPrincipal,
  physicalTableId,
  quickSightDefinition,
  quickSightRoleStatements,
  type DashboardArgs,
} from "../../components/dashboard";
import { ConfigError } from "../../components/naming";
import { TABLES, VIEWS, viewByName } from "../../lake/tables";
import { DASHBOARD, dashboardDatasets, validateVisuals, visualColumns, type DashboardDef } from "../../lake/visuals";
import { previewStack } from "../../programs/preview/stack";
import {
  expectAliasedFrom,
  oneOfType,
  ofType,
  parsePolicy,
  plain,
  registered,
  resetRegistered,
  settle,
  useMocks,
  valueOf,
} from "../support/pulumiMocks";

const PRINCIPAL = "arn:aws:quicksight:us-east-1:123456789012:user/default/alice";
const BUCKET_ARN = "arn:aws:s3:::cinelake-alice-lake";
const DATABASE = "cinelake_alice_refined";
/** The movies lake's registry and visuals, which these tests draw. */
const MOVIES = { tables: [...TABLES], views: [...VIEWS], dashboard: DASHBOARD };

/** Stand-ins for the StarSchema's view tables (one Glue table per view the dashboard reads). */
function viewTables(): Record<string, aws.glue.CatalogTable> {
  return Object.fromEntries(
    dashboardDatasets(DASHBOARD).map((view) => [
      view,
      new aws.glue.CatalogTable(`view-${view}`, { name: view, databaseName: DATABASE, tableType: "VIRTUAL_VIEW" }),
    ]),
  );
}

function build(overrides: Partial<DashboardArgs> = {}): Dashboard {
  return new Dashboard("alice-dashboard", {
    stackName: "alice",
    workgroupName: "cinelake-alice",
    refinedDatabaseName: DATABASE,
    viewTables: viewTables(),
    ...MOVIES,
    bucket: { bucketName: "cinelake-alice-lake", bucketArn: BUCKET_ARN },
    principalArn: PRINCIPAL,
    ...overrides,
  });
}

/** A Pulumi output's settled value or error (the SDK's `promise()` is internal, but it is how an output rejects). */
function settled<T>(output: pulumi.Output<T>): Promise<{ value?: T; error?: Error }> {
  return (output as unknown as { promise(): Promise<T> }).promise().then(
    (value) => ({ value }),
    (error: Error) => ({ error }),
  );
}

/** Asserts every QuickSight resource and the Athena role are named `<stackPrefix>-<what>`, from one naming rule. */
function expectNamesStartWith(stackPrefix: string): void {
  expect(oneOfType("aws-native:quicksight:Dashboard").inputs.dashboardId).to.equal(`${stackPrefix}-dashboard`);
  expect(oneOfType("aws-native:quicksight:Analysis").inputs.analysisId).to.equal(`${stackPrefix}-analysis`);
  expect(oneOfType("aws-native:quicksight:DataSource").inputs.dataSourceId).to.equal(`${stackPrefix}-athena`);
  for (const ds of ofType("aws-native:quicksight:DataSet"))
    expect(ds.inputs.dataSetId).to.match(new RegExp(`^${stackPrefix}-ds-v-`));
  expect(oneOfType("aws:iam/role:Role").inputs.name).to.equal(`${stackPrefix}-quicksight-athena`);
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
    expectNamesStartWith("cinelake-alice");
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

  it("finding 1: keys each dataset's physical table by an id QuickSight allows ([0-9a-zA-Z-]{1,64}), not the view name", async () => {
    build();
    await settle();
    const dataSets = ofType("aws-native:quicksight:DataSet");
    expect(dataSets).to.have.length(dashboardDatasets(DASHBOARD).length);
    for (const ds of dataSets) {
      const inputs = plain(ds.inputs) as Json;
      const keys = Object.keys(inputs.physicalTableMap as Json);
      const view =
        (((inputs.physicalTableMap as Record<string, Json>)[keys[0]!]?.customSql as Json).name as string) ?? "";
      expect(keys, ds.name).to.deep.equal([physicalTableId(view)]);
      for (const key of keys) expect(key, ds.name).to.match(TABLE_ID);
      // A logical table (none today) may only point at a physical table of the same dataset.
      for (const [key, logical] of Object.entries((inputs.logicalTableMap ?? {}) as Record<string, Json>)) {
        expect(key).to.match(TABLE_ID);
        expect(keys).to.include((logical.source as Json).physicalTableId);
      }
    }
    expect(physicalTableId("v_title_summary")).to.equal("v-title-summary");
    expect(() => physicalTableId(`v_${"x".repeat(70)}`)).to.throw(/no valid QuickSight table id/);
  });

  it("finding 5: QuickSight's role has what Athena needs (GetBucketLocation, AWSQuicksightAthenaAccess's query actions), list actions alone on *", async () => {
    build();
    await settle();
    const policy = parsePolicy(oneOfType("aws:iam/rolePolicy:RolePolicy").inputs.policy);
    const granted = (action: string) =>
      policy.Statement.filter((s) => s.Effect === "Allow" && ([s.Action].flat() as string[]).includes(action)).map(
        (s) => [s.Resource].flat() as string[],
      );
    expect(granted("s3:GetBucketLocation")).to.deep.equal([[BUCKET_ARN]]);
    const workgroup = "arn:aws:athena:us-east-1:123456789012:workgroup/cinelake-alice";
    for (const action of [
      "athena:StartQueryExecution",
      "athena:GetQueryExecution",
      "athena:BatchGetQueryExecution",
      "athena:GetQueryResults",
      "athena:GetQueryResultsStream",
      "athena:StopQueryExecution",
      "athena:GetWorkGroup",
    ])
      expect(granted(action), action).to.deep.equal([[workgroup]]);
    const catalog = "arn:aws:athena:us-east-1:123456789012:datacatalog/AwsDataCatalog";
    for (const action of ["athena:GetDataCatalog", "athena:ListDatabases", "athena:GetTableMetadata"])
      expect(granted(action), action).to.deep.equal([[catalog]]);
    // Actions without a resource type match only "*": scoped, IAM denies them.
    for (const action of ["athena:ListDataCatalogs", "athena:ListWorkGroups"])
      expect(granted(action), action).to.deep.equal([["*"]]);
    const onStar = policy.Statement.filter((s) => ([s.Resource].flat() as string[]).includes("*"));
    expect(onStar.flatMap((s) => [s.Action].flat()).sort()).to.deep.equal([
      "athena:ListDataCatalogs",
      "athena:ListWorkGroups",
    ]);
    // Everything else stays scoped: no other wildcard resource, no bucket-wide object access.
    const resources = policy.Statement.flatMap((s) => [s.Resource].flat() as string[]);
    expect(resources.filter((r) => r === `${BUCKET_ARN}/*`)).to.deep.equal([]);
  });

  it("finding 5: the role's statements are a pure function, with the bucket's partition in every ARN", () => {
    const statements = quickSightRoleStatements({
      bucketArn: "arn:aws-cn:s3:::cinelake-alice-lake",
      accountId: "123456789012",
      region: "cn-north-1",
      workgroup: "cinelake-alice",
      database: DATABASE,
      tablePrefixes: ["Refined/fact_title/"],
      kmsKeyArn: "arn:aws-cn:kms:cn-north-1:123456789012:key/abc",
    });
    const arns = statements.flatMap((s) => [s.Resource ?? []].flat()).filter((r) => r !== "*");
    expect(arns.length).to.be.greaterThan(5);
    for (const arn of arns) expect(arn).to.match(/^arn:aws-cn:/);
    expect(statements.flatMap((s) => [s.Action].flat())).to.include("kms:Decrypt");
  });

  it("finding 6: each dataset waits for its view's Glue table; a view without one is refused", async () => {
    const tables = viewTables();
    build({ viewTables: tables });
    await settle();
    const urnOf = (view: string) => {
      const table = ofType("aws:glue/catalogTable:CatalogTable").find((t) => t.name === `view-${view}`);
      if (!table) throw new Error(`no table for ${view}`);
      return table.urn;
    };
    for (const ds of ofType("aws-native:quicksight:DataSet")) {
      const view = String(plain(ds.inputs.name)).split(" – ").pop()!;
      expect(ds.dependencies, ds.name).to.include(urnOf(view));
    }
    const missing = { ...tables };
    delete missing.v_financials;
    expect(() => build({ viewTables: missing })).to.throw(
      ConfigError,
      /viewTables: has no Glue table for view v_financials/,
    );
  });

  it("is cinelake:index:Dashboard, aliased from cinelake:dashboard:Dashboard, its children tagged project and stack", async () => {
    build({ tags: { course: "de-101" } });
    await settle();
    expectAliasedFrom("cinelake:index:Dashboard", "cinelake:dashboard:Dashboard");
    expect(oneOfType("aws:iam/role:Role").inputs.tags).to.deep.equal({
      project: "cinelake",
      stack: "alice",
      course: "de-101",
    });
    expect(plain(oneOfType("aws-native:quicksight:Dashboard").inputs.tags)).to.deep.include.members([
      { key: "project", value: "cinelake" },
      { key: "stack", value: "alice" },
    ]);
  });

  it("names everything after its name prefix, so a second lake's dashboard collides with nothing", async () => {
    const dashboard = build({
      namePrefix: "books",
      bucket: { bucketName: "books-alice-lake", bucketArn: "arn:aws:s3:::books-alice-lake" },
    });
    await settle();
    expectNamesStartWith("books-alice");
    expect(await valueOf(dashboard.roleName)).to.equal("books-alice-quicksight-athena");
    expect(await valueOf(dashboard.dataSourceId)).to.equal("books-alice-athena");
    expect(await valueOf(dashboard.analysisId)).to.equal("books-alice-analysis");
    // Only the registry's own names remain (the view tables' database here is the movies lake's stand-in).
    const text = JSON.stringify(ofType("aws-native:quicksight:DataSet").map((r) => plain(r.inputs.dataSetId)));
    expect(text).not.to.include("cinelake");
  });

  it("reads the bucket and its KMS key from the bucket reference", async () => {
    const key = "arn:aws:kms:us-east-1:123456789012:key/abcd";
    build({ bucket: { bucketName: "cinelake-alice-lake", bucketArn: BUCKET_ARN, kmsKeyArn: key } });
    await settle();
    const policy = parsePolicy(oneOfType("aws:iam/rolePolicy:RolePolicy").inputs.policy);
    const kms = policy.Statement.filter((s) => [s.Action].flat().includes("kms:Decrypt"));
    expect(kms.flatMap((s) => [s.Resource].flat())).to.deep.equal([key]);
  });

  it("takes the principal as an output too (e.g. a QuickSight user of the same program), checking it once known", async () => {
    build({ principalArn: pulumi.output(PRINCIPAL), checkSubscription: false });
    await settle();
    const permissions = plain(oneOfType("aws-native:quicksight:Dashboard").inputs.permissions) as {
      principal: string;
    }[];
    expect(permissions.map((p) => p.principal)).to.deep.equal([PRINCIPAL]);
    const { error } = await settled(
      build({ principalArn: pulumi.output("arn:aws:iam::123456789012:user/alice"), checkSubscription: false })
        .dataSourceArn,
    );
    expect(error?.message).to.match(/principalArn: .*not a QuickSight user or group ARN/);
  });

  for (const [what, overrides, message] of [
    ["a bad principal", { principalArn: "alice" }, /^principalArn:/],
    ["a missing view table", { viewTables: {} }, /^viewTables: has no Glue table for view/],
    ["a bad name prefix", { namePrefix: "Books" }, /^namePrefix: "Books" is not a name prefix/],
    ["views without the visuals' datasets", { views: [] }, /^dashboard: .*is not an analysis view/],
    ["no views", { views: undefined as unknown as [] }, /^views: is not a list of views/],
    ["no tables", { tables: undefined as unknown as [] }, /^tables: is missing/],
    [
      "a dashboard without visuals",
      { dashboard: { title: "t", lead: "l", kpis: [], filters: [] } },
      /^dashboard: has no list "visuals"/,
    ],
  ] as [string, Partial<DashboardArgs>, RegExp][])
    it(`refuses ${what} before registering anything`, async () => {
      const tables = viewTables();
      await settle(3);
      resetRegistered();
      const args: DashboardArgs = {
        stackName: "alice",
        workgroupName: "cinelake-alice",
        refinedDatabaseName: DATABASE,
        viewTables: tables,
        ...MOVIES,
        bucket: { bucketName: "cinelake-alice-lake", bucketArn: BUCKET_ARN },
        principalArn: PRINCIPAL,
      };
      expect(() => new Dashboard("bad", { ...args, ...overrides })).to.throw(ConfigError, message);
      await settle(3);
      expect(registered).to.deep.equal([]);
    });

  it("needs every dataset's ARN to build the definition", () => {
    expect(() => quickSightDefinition(DASHBOARD, {}, VIEWS)).to.throw(/no dataset ARN for view v_title_summary/);
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

describe("QuickSight account check (finding 11)", () => {
  const OTHER_ACCOUNT = "999999999999";
  after(() => useMocks({ stack: "alice" }));

  /** Mocks whose caller identity is `account`; records the types registered. */
  async function mocksFor(account: string, types: string[]) {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          types.push(args.type);
          return { id: `${args.name}-id`, state: { ...args.inputs, arn: `arn:mock:${args.name}` } };
        },
        call: (args) =>
          args.token === "aws:index/getCallerIdentity:getCallerIdentity" ? { accountId: account } : args.inputs,
      },
      "cinelake",
      "alice",
      false,
    );
  }

  /** Builds the dashboard and collects what reaches `unhandledRejection` meanwhile. */
  async function buildCollecting(): Promise<{ dashboard: Dashboard; unhandled: unknown[] }> {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", listener);
    try {
      const dashboard = build();
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { dashboard, unhandled };
    } finally {
      process.off("unhandledRejection", listener);
    }
  }

  it("a principal of another account fails the DataSource's input with the ConfigError, never an orphan rejection", async () => {
    const types: string[] = [];
    await mocksFor(OTHER_ACCOUNT, types);
    const { dashboard, unhandled } = await buildCollecting();
    const message = `principalArn: names account 123456789012 but the stack deploys to ${OTHER_ACCOUNT}`;
    // The check flows into the DataSource: it is never created, nor anything reading it.
    expect(types.filter((type) => type.startsWith("aws-native:"))).to.deep.equal([]);
    const { error } = await settled(dashboard.dataSourceArn);
    expect(error?.message).to.include(message);
    // Pulumi reports a failed resource input through its own unhandled-rejection channel; every such report must be
    // a resource's property carrying the message — the old check rejected on its own, attached to no resource.
    for (const reason of unhandled) {
      expect(String(reason)).to.include(message);
      expect(String(reason), "attached to a resource property").to.match(/error serializing property/);
    }
    const alone = await settled(checkedPrincipal(parseQuickSightPrincipal(PRINCIPAL), OTHER_ACCOUNT, false, {}));
    expect(alone.error).to.be.instanceOf(ConfigError);
    expect(alone.error?.message).to.include(message);
  });

  it("the deploying account's principal passes both checks with no rejection at all", async () => {
    const types: string[] = [];
    await mocksFor("123456789012", types);
    const { dashboard, unhandled } = await buildCollecting();
    expect(unhandled).to.deep.equal([]);
    expect(types).to.include("aws-native:quicksight:DataSource");
    expect((await settled(dashboard.dataSourceArn)).value).to.equal("arn:mock:alice-dashboard-athena");
    const checked = await settled(checkedPrincipal(parseQuickSightPrincipal(PRINCIPAL), "123456789012", true, {}));
    expect(checked.value).to.equal(PRINCIPAL);
  });
});

describe("Dashboard in the program (finding 6)", () => {
  after(() => useMocks({ stack: "alice" }));

  it("each DataSet of the dev stack depends on its view's Glue table", async () => {
    const { resources } = await previewStack("dev");
    const dataSets = resources.filter((r) => r.type === "aws-native:quicksight:DataSet");
    expect(dataSets).to.have.length(dashboardDatasets(DASHBOARD).length);
    for (const ds of dataSets) {
      const sql = JSON.stringify(plain(ds.inputs.physicalTableMap));
      const view = dashboardDatasets(DASHBOARD).find((v) => sql.includes(`.\\"${v}\\"`));
      const table = resources.find(
        (r) => r.type === "aws:glue/catalogTable:CatalogTable" && plain(r.inputs.name) === view,
      );
      expect(table?.inputs.tableType, String(view)).to.equal("VIRTUAL_VIEW");
      expect(ds.dependencies, ds.name).to.include(table?.urn);
    }
  });
});
