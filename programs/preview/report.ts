/**
 * The pure parts of `npm run preview`'s report: the resource tree with each resource's key settings (never a secret).
 */
import { isSecret, plain, type RegisteredResource } from "./mocks";

/** The inputs shown beside a resource in the tree, when set and not secret: what identifies and sizes it. */
export const KEY_SETTINGS = [
  "name",
  "bucket",
  "key",
  "namePrefix",
  "layerName",
  "runtime",
  "memorySize",
  "timeout",
  "glueVersion",
  "workerType",
  "numberOfWorkers",
  "scheduleExpression",
  "schedule",
  "databaseName",
  "tableType",
  "dataSetId",
  "dataSourceId",
  "analysisId",
  "dashboardId",
  "importMode",
  "imageName",
  "recoveryWindowInDays",
  "forceDestroy",
  "forceDelete",
] as const;

/** The key settings of a resource as `key=value` words (secret inputs are never shown). */
export function keySettings(resource: RegisteredResource): string[] {
  const words: string[] = [];
  for (const key of KEY_SETTINGS) {
    const raw = resource.inputs[key];
    if (raw === undefined || isSecret(raw)) continue;
    const value = plain(raw);
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      words.push(`${key}=${String(value)}`);
  }
  return words;
}

/** The resource tree: each resource under its parent, components first-level, with key settings. */
export function resourceTree(resources: RegisteredResource[]): string[] {
  const children = new Map<string, RegisteredResource[]>();
  const urns = new Set(resources.map((resource) => resource.urn));
  for (const resource of resources) {
    const parent = urns.has(resource.parent) ? resource.parent : "";
    children.set(parent, [...(children.get(parent) ?? []), resource]);
  }
  const lines: string[] = [];
  const visit = (parent: string, depth: number) => {
    for (const resource of children.get(parent) ?? []) {
      const settings = keySettings(resource);
      lines.push(
        `${"  ".repeat(depth)}${resource.type} ${resource.name}${settings.length ? `  ${settings.join(" ")}` : ""}`,
      );
      visit(resource.urn, depth + 1);
    }
  };
  visit("", 0);
  return lines;
}
