/**
 * The policy pack's entry (package.json `main`), what `pulumi preview --policy-pack policies` runs. Constructing the
 * PolicyPack starts the gRPC server the CLI talks to, which is why it lives alone here: the policies themselves are
 * in ./policies, imported by the tests and by `runPolicies` without starting anything.
 */
import { PolicyPack } from "@pulumi/policy";
import { CINELAKE_POLICIES } from "./policies";

/** The pack's name as the CLI reports it (letters, digits, `-`, `_`, `.`). */
export const PACK_NAME = "cinelake-secure-defaults";

new PolicyPack(PACK_NAME, {
  description:
    "The cinelake lake's secure defaults: a private, encrypted, versioned, TLS-only bucket, scoped IAM, no secrets in plain sight.",
  enforcementLevel: "mandatory",
  policies: CINELAKE_POLICIES,
});
