"""Runs parliament on IAM policy documents: JSON `[{"id": ..., "policy": {...}}]` on stdin, JSON
`[{"id": ..., "findings": [{"issue", "title", "severity", "description", "detail", "location"}]}]` on stdout.

The same analysis as `parliament --include_community_auditors --minimum_severity INFO --string <policy>`, in one
process for every document of a stack (one parliament start per document would take seconds each).
"""

import json
import sys
from pathlib import Path

import parliament
from parliament import analyze_policy_string, enhance_finding, override_config
from parliament.cli import is_finding_filtered


def main() -> None:
    documents = json.load(sys.stdin)
    # As the CLI does with --include_community_auditors: their findings' severities come from this override file.
    override_config(Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml")
    results = []
    for document in documents:
        policy = analyze_policy_string(json.dumps(document["policy"]), include_community_auditors=True)
        findings = []
        for finding in map(enhance_finding, policy.findings):
            if is_finding_filtered(finding, "INFO"):
                continue
            findings.append(
                {
                    "issue": finding.issue,
                    "title": finding.title,
                    "severity": finding.severity,
                    "description": finding.description,
                    "detail": finding.detail,
                    "location": finding.location,
                }
            )
        results.append({"id": document["id"], "findings": findings})
    json.dump(results, sys.stdout, default=str)


if __name__ == "__main__":
    main()
