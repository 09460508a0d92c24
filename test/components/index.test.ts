/** The library's entry (components/index.ts) exports every component the package serves and the reusers' helpers. */
import { expect } from "chai";
import * as library from "../../components";
import { PACKAGE_COMPONENTS } from "../../programs/provider";

describe("components/index.ts", () => {
  it("exports every component of the package, under its class name", () => {
    expect(PACKAGE_COMPONENTS).to.have.length(7);
    for (const component of PACKAGE_COMPONENTS)
      expect((library as Record<string, unknown>)[component.name], component.name).to.equal(component);
  });

  it("exports the helpers a reuser wires components with", () => {
    for (const helper of [
      "lakeComponentSettings",
      "componentType",
      "checkCron",
      "scheduleIntervalSeconds",
      "extraStatements",
      "prestoViewDefinition",
      "CatalogZone",
      "quickSightDefinition",
      "quickSightRoleStatements",
      "alertTopicStatements",
      "physicalName",
      "ConfigError",
    ])
      expect((library as Record<string, unknown>)[helper], helper).to.not.equal(undefined);
  });
});
