/**
 * `npm run preview -- --stack <student>`: what `pulumi up` would create for a stack, for a student before they have an
 * AWS account. Runs the program under the mocks with the stack's config (Pulumi.<stack>.yaml, or dev's with the student
 * changed), prints the resource tree with key settings, each role's grants in plain words and the monthly cost
 * drivers, then the verdicts of validators we did not write: cfn-lint (CloudFormation's resource schemas), parliament
 * (IAM) and the policy pack (policies/). Exits 1 when any of them fails, 2 on a bad command line or config.
 */
import { USAGE_EXIT_CODE, parseFlags } from "../../runtime/shared/flags";
import { StackConfigError } from "../config";
import { costDrivers } from "./costs";
import { validateCloudFormation, formatFinding } from "./cloudformation";
import { describeGrants, lintIamPolicies } from "./iamLint";
import { valueOf } from "./mocks";
import { resourceTree } from "./report";
import { previewStack, stackConfig } from "./stack";
import { evaluatePolicies } from "../../policies/adapter";

const USAGE = "usage: npm run preview -- --stack <student> [--verbose]";

async function main(): Promise<number> {
  let values: { stack?: string; verbose?: boolean; help?: boolean };
  try {
    ({ values } = parseFlags({
      options: { stack: { type: "string" }, verbose: { type: "boolean" }, help: { type: "boolean" } },
      strict: true,
    }));
  } catch (error) {
    console.error(`preview: ${(error as Error).message}\n${USAGE}`);
    return USAGE_EXIT_CODE;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.stack) {
    console.error(`preview: --stack is required (the student's stack, e.g. --stack alice)\n${USAGE}`);
    return USAGE_EXIT_CODE;
  }
  const { config: stackFile, fromFile } = stackConfig(values.stack);
  let preview;
  try {
    preview = await previewStack(values.stack, { config: stackFile });
  } catch (error) {
    if (error instanceof StackConfigError) {
      console.error(`preview: ${error.message}`);
      return USAGE_EXIT_CODE;
    }
    throw error;
  }
  const { resources, config, assumed } = preview;
  console.log(`cinelake preview of stack "${values.stack}" (config from ${fromFile}); nothing is sent to AWS.`);
  for (const line of assumed) console.log(`  assumed: ${line}`);

  console.log(`\n== What pulumi up would create: ${resources.filter((r) => r.custom).length} resources`);
  for (const line of resourceTree(resources)) console.log(`  ${line}`);

  console.log("\n== Grants, in plain words");
  const iam = lintIamPolicies(resources);
  for (const result of iam) {
    const { document } = result;
    const who = document.roles.length ? `role ${document.roles.join(", ")}` : document.resourceName;
    console.log(`  ${who} — ${document.kind ?? "unknown"} policy (${document.resourceType} ${document.resourceName})`);
    for (const line of describeGrants(document.policy)) console.log(`    - ${line}`);
  }

  console.log("\n== Monthly cost drivers (approximate us-east-1 list prices; check AWS's pricing pages)");
  for (const driver of costDrivers(config))
    console.log(
      `  ${driver.what}: ${driver.quantity}${driver.monthlyUsd === undefined ? "" : ` → ${driver.upperBound ? "at most" : "~"}$${driver.monthlyUsd.toFixed(2)}/month`}`,
    );

  console.log("\n== Checks by validators we did not write");
  let failed = 0;
  const cfn = await validateCloudFormation(resources);
  const cfnWarnings = cfn.findings.length - cfn.errors.length;
  const cfnOk = cfn.errors.length === 0 && cfn.unconverted.length === 0;
  console.log(
    `  ${cfnOk ? "✓" : "✗"} cfn-lint: ${cfn.converted.length} aws-native resources against CloudFormation's schemas, ` +
      `${cfn.errors.length} errors, ${cfnWarnings} warnings${cfn.unconverted.length ? `, ${cfn.unconverted.length} without a schema` : ""}`,
  );
  for (const finding of values.verbose ? cfn.findings : cfn.errors) console.log(`      ${formatFinding(finding)}`);
  for (const missing of cfn.unconverted) console.log(`      ${missing.type} ${missing.name}: ${missing.reason}`);
  if (!cfnOk) failed += 1;

  const iamFindings = iam.flatMap((result) => result.findings.map((finding) => ({ result, finding })));
  const accepted = iam.reduce((sum, result) => sum + result.accepted.length, 0);
  console.log(
    `  ${iamFindings.length ? "✗" : "✓"} parliament: ${iam.length} IAM documents, ${iamFindings.length} findings` +
      ` (${accepted} known false positives, documented in programs/preview/iamLint.ts)`,
  );
  for (const { result, finding } of iamFindings)
    console.log(`      ${result.document.id}: ${finding.issue} ${finding.title} ${JSON.stringify(finding.detail)}`);
  if (iamFindings.length) failed += 1;

  // The mocks register no stack resource: its outputs are handed over so stack-outputs-no-secrets sees them.
  const stackOutputs = Object.fromEntries(
    await Promise.all(Object.entries(preview.lake.outputs).map(async ([key, output]) => [key, await valueOf(output)])),
  );
  const policies = evaluatePolicies(resources, { stackOutputs });
  console.log(
    `  ${policies.violations.length ? "✗" : "✓"} policy pack: ${policies.verdicts.length} mandatory policies over ` +
      `${policies.resources} resources, ${policies.violations.length} violations`,
  );
  for (const verdict of policies.verdicts)
    if (values.verbose || verdict.violations.length)
      console.log(
        `      ${verdict.violations.length ? "✗" : "✓"} ${verdict.policy}: ${verdict.notApplicable ?? `${verdict.checked} checked`}`,
      );
  for (const violation of policies.violations)
    console.log(`      ${violation.policy}: ${violation.resourceName ?? "stack"}: ${violation.message}`);
  if (policies.violations.length) failed += 1;

  console.log(
    failed
      ? `\npreview: ${failed} check${failed === 1 ? "" : "s"} failed; pulumi up would not succeed as configured (see above).`
      : "\npreview: every check passed. Next: pulumi preview --policy-pack policies, then pulumi up (docs/deploy.md).",
  );
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`preview: ${error.message.split("\n")[0]}`);
    process.exit(1);
  },
);
