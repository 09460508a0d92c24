import { expect } from "chai";
import { oneOfType, plain, registered } from "../../programs/preview/mocks";

/** The tests' mocks are the preview's (programs/preview/mocks.ts): one recorder of what the program registers. */
export * from "../../programs/preview/mocks";

/**
 * Asserts the one component of `type` keeps an alias from `legacyType`, its type before the rename, so a stack that
 * was deployed under the old type updates its resources in place instead of replacing them.
 */
export function expectAliasedFrom(type: string, legacyType: string): void {
  expect(oneOfType(type).aliases.map((alias) => alias.type)).to.include(legacyType);
}

/**
 * Asserts no registered input mentions the default prefix "cinelake": with a `namePrefix` set, every physical name
 * comes from it, which is what lets a second lake sit in the same account.
 */
export function expectNoDefaultPrefix(): void {
  expect(JSON.stringify(registered.map((r) => plain(r.inputs)))).not.to.include("cinelake");
}

/** Asserts the one resource of `type` carries exactly the tags every component adds: the project and the stack. */
export function expectStackTags(type: string, stack: string): void {
  expect(oneOfType(type).inputs.tags).to.deep.equal({ project: "cinelake", stack });
}
