/**
 * The program's aws-native resources against CloudFormation's own resource schemas (cfn-lint), for the dev stack and a
 * second student: the mocks echo inputs back, so this is where a property AWS would refuse shows up before `pulumi up`.
 */
import { expect } from "chai";
import {
  AWS_NATIVE_PREFIX,
  CFN_LINT_INSTALL,
  formatFinding,
  validateCloudFormation,
  type CloudFormationReport,
} from "../../programs/preview/cloudformation";
import { plain, type RegisteredResource } from "../../programs/preview/mocks";
import { previewStack } from "../../programs/preview/stack";

type Json = Record<string, unknown>;

const nativeOf = (resources: readonly RegisteredResource[]) =>
  resources.filter((resource) => resource.custom && resource.type.startsWith(AWS_NATIVE_PREFIX));

describe("CloudFormation schemas (cfn-lint) over the aws-native resources", () => {
  for (const stack of ["dev", "alice"]) {
    describe(`stack ${stack}`, () => {
      let resources: RegisteredResource[];
      let report: CloudFormationReport;
      before(async () => {
        resources = (await previewStack(stack)).resources;
        report = await validateCloudFormation(resources);
      });

      it("converts every aws-native resource (nothing silently dropped) and cfn-lint reports no error", () => {
        const native = nativeOf(resources);
        expect(native.length, "the dashboard's QuickSight resources are registered").to.be.at.least(12);
        expect(report.unconverted).to.deep.equal([]);
        expect(report.converted.map((c) => c.urn).sort()).to.deep.equal(native.map((r) => r.urn).sort());
        expect(Object.keys(report.template.Resources)).to.have.length(native.length);
        expect(report.errors.map(formatFinding)).to.deep.equal([]);
      });

      it("turns references between resources into GetAtt, and names into the schema's casing", () => {
        const template = report.template.Resources;
        const byType = (type: string) => Object.entries(template).filter(([, r]) => r.Type === type);
        const [[sourceId] = []] = byType("AWS::QuickSight::DataSource");
        const dataSets = byType("AWS::QuickSight::DataSet");
        expect(dataSets).to.have.length(9);
        for (const [, dataSet] of dataSets) {
          const tables = Object.values(dataSet.Properties.PhysicalTableMap as Record<string, Json>);
          expect((tables[0]?.CustomSql as Json).DataSourceArn).to.deep.equal({ "Fn::GetAtt": [sourceId, "Arn"] });
        }
        const [[, dashboard] = []] = byType("AWS::QuickSight::Dashboard");
        const declarations = (dashboard?.Properties.Definition as Json).DataSetIdentifierDeclarations as Json[];
        const dataSetIds = new Set(dataSets.map(([id]) => id));
        for (const declaration of declarations) {
          const [target, attribute] = (declaration.DataSetArn as { "Fn::GetAtt": string[] })["Fn::GetAtt"];
          expect(dataSetIds.has(String(target)), String(declaration.Identifier)).to.equal(true);
          expect(attribute).to.equal("Arn");
        }
        expect(Object.keys(dashboard?.Properties ?? {})).to.include.members(["DashboardId", "Definition"]);
      });
    });
  }

  it("looks deep inside the dashboard's definition: three planted errors are each reported at their path", async () => {
    const { resources } = await previewStack("dev");
    // The registered resources stay as they are; only the copy of the Dashboard is broken.
    const original = resources.find((resource) => resource.type === "aws-native:quicksight:Dashboard");
    if (!original) throw new Error("no Dashboard registered");
    const dashboard = { ...original, inputs: JSON.parse(JSON.stringify(plain(original.inputs))) as Json };
    const copy = resources.map((resource) => (resource === original ? dashboard : resource));
    const definition = dashboard.inputs.definition as Json;
    const sheet = (definition.sheets as Json[])[0]!;
    const visuals = sheet.visuals as Json[];
    const barIndex = visuals.findIndex((visual) => "barChartVisual" in visual);
    expect(barIndex, "a bar chart to break").to.be.at.least(0);
    // 1. An enum value five levels down in a visual.
    ((visuals[barIndex]!.barChartVisual as Json).chartConfiguration as Json).orientation = "DIAGONAL";
    // 2. A property the schema does not have, in a filter.
    const filter = ((definition.filterGroups as Json[])[0]!.filters as Json[])[0]!;
    (filter.categoryFilter as Json).matchEverything = true;
    // 3. A sheet name over its 2048 characters.
    sheet.name = "x".repeat(2049);

    const report = await validateCloudFormation(copy);
    const logicalId = report.converted.find((c) => c.urn === dashboard.urn)?.logicalId;
    const at = (...path: (string | number)[]) =>
      ["Resources", logicalId, "Properties", "Definition", ...path].join("/");
    const errors = report.errors.map((e) => ({ rule: e.rule, path: e.path.join("/"), message: e.message }));
    const find = (path: string) => errors.find((e) => e.path === path);
    const orientation = find(
      at("Sheets", 0, "Visuals", barIndex, "BarChartVisual", "ChartConfiguration", "Orientation"),
    );
    expect(orientation?.rule).to.equal("E3030");
    expect(orientation?.message).to.include("'DIAGONAL' is not one of ['HORIZONTAL', 'VERTICAL']");
    const unknown = find(at("FilterGroups", 0, "Filters", 0, "CategoryFilter", "matchEverything"));
    expect(unknown?.rule).to.equal("E3002");
    expect(unknown?.message).to.include("'matchEverything' was unexpected");
    const long = find(at("Sheets", 0, "Name"));
    expect(long?.rule).to.equal("E3033");
    expect(long?.message).to.include("is longer than 2048");
    // Nothing else: the three planted errors are the only ones (the unbroken stack has none).
    expect(errors.map((e) => `${e.rule} ${e.path}`)).to.have.length(3);
  });

  it("fails with the install line when cfn-lint or its Python package is missing, never passing silently", async () => {
    const { resources } = await previewStack("dev");
    for (const options of [{ cfnLint: "/nonexistent/cfn-lint" }, { python: "/nonexistent/python3" }]) {
      const error = await validateCloudFormation(resources, options).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message, JSON.stringify(options)).to.include(CFN_LINT_INSTALL);
      expect(error?.message.split("\n"), "one line").to.have.length(1);
    }
  });
});
