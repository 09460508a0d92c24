/**
 * The options every component gives its children, written once. Children carry explicit physical names (a student's
 * stack is found by them, and Glue and Athena see them), so a change that forces a replacement must delete the old
 * resource first: Pulumi's default, create-then-delete, would fail on the name the old one still holds.
 */
import type * as pulumi from "@pulumi/pulumi";

/** `{ parent, deleteBeforeReplace: true }` plus the given options (e.g. `dependsOn`). */
export function childOptions(
  parent: pulumi.Resource,
  extra: Omit<pulumi.CustomResourceOptions, "parent"> = {},
): pulumi.CustomResourceOptions {
  return { parent, deleteBeforeReplace: true, ...extra };
}
