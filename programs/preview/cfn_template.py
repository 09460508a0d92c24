"""Turns the aws-native resources the Pulumi program registers into a CloudFormation template, guided by the resource
schemas cfn-lint bundles (the ones the aws-native provider is generated from).

Called by programs/preview/cloudformation.ts: reads on stdin
``{"region": "us-east-1", "resources": {"<LogicalId>": {"type": "aws-native:<service>:<Type>", "properties": {...},
"dependsOn": [...]}}}`` and prints ``{"template": {...}, "unconverted": [{"logicalId", "type", "reason"}]}``.

Pulumi names properties in camelCase; CloudFormation in the schema's own casing (``PhysicalTableMap``, ``SqlQuery``).
A name is matched case-insensitively against the schema at that point of the walk, so nested definitions, arrays and
``oneOf`` alternatives all resolve to the schema's spelling. Keys of free-form maps (``patternProperties``, or an
object with no declared properties, e.g. the keys of ``PhysicalTableMap``) are data, not names, and are kept exactly.
A name the schema does not know is kept as written, so cfn-lint reports it instead of it disappearing.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
from cfnlint.schema.manager import ResourceNotFoundError

Json = Any


def resolve(schema: Json, root: Json) -> Json:
    """Follows local ``$ref``s (``#/definitions/X``) until a concrete sub-schema is reached."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 50:
        node = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        schema = node
        seen += 1
    return schema if isinstance(schema, dict) else {}


def alternatives(schema: Json, root: Json) -> list[Json]:
    """The schema and every ``oneOf``/``anyOf``/``allOf`` branch under it, resolved (names may live in any branch)."""
    out: list[Json] = []
    stack = [resolve(schema, root)]
    while stack:
        node = stack.pop()
        out.append(node)
        for key in ("oneOf", "anyOf", "allOf"):
            stack.extend(resolve(branch, root) for branch in node.get(key, []))
    return out


def is_intrinsic(value: Json) -> bool:
    """A ``Ref``/``Fn::*`` object the TypeScript side put in for a reference: passed through untouched."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return key == "Ref" or key.startswith("Fn::")


def convert(value: Json, schema: Json, root: Json) -> Json:
    """One Pulumi input value in the schema's casing (see the module docstring)."""
    if is_intrinsic(value):
        return value
    branches = alternatives(schema, root)
    if isinstance(value, list):
        items = next((b["items"] for b in branches if "items" in b), {})
        return [convert(item, items, root) for item in value]
    if not isinstance(value, dict):
        return value
    named: dict[str, tuple[str, Json]] = {}
    free_form: Json = None
    for branch in branches:
        for name, sub in branch.get("properties", {}).items():
            named.setdefault(name.lower(), (name, sub))
        for sub in branch.get("patternProperties", {}).values():
            free_form = free_form if free_form is not None else sub
        extra = branch.get("additionalProperties")
        if isinstance(extra, dict) and free_form is None:
            free_form = extra
    out: dict[str, Json] = {}
    for key, item in value.items():
        if key.lower() in named:
            name, sub = named[key.lower()]
            out[name] = convert(item, sub, root)
        else:
            # A map key (or a name the schema lacks, which cfn-lint then reports): kept exactly as given.
            out[key] = convert(item, free_form or {}, root)
    return out


def cloudformation_type(token: str, known: dict[str, str]) -> str | None:
    """``aws-native:quicksight:DataSet`` → ``AWS::QuickSight::DataSet``, with the casing of cfn-lint's schema names."""
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "aws-native":
        return None
    return known.get(f"aws::{parts[1]}::{parts[2]}".lower())


def build(request: Json) -> Json:
    """The template and the resources that could not be converted (an unknown type is reported, never dropped)."""
    region = request.get("region", "us-east-1")
    known = {name.lower(): name for name in PROVIDER_SCHEMA_MANAGER.get_resource_types(region)}
    resources: dict[str, Json] = {}
    unconverted: list[Json] = []
    for logical_id, resource in request["resources"].items():
        cfn_type = cloudformation_type(resource["type"], known)
        if cfn_type is None:
            unconverted.append({"logicalId": logical_id, "type": resource["type"], "reason": "no such schema"})
            continue
        try:
            root = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, cfn_type).schema
        except ResourceNotFoundError as error:
            unconverted.append({"logicalId": logical_id, "type": resource["type"], "reason": str(error)})
            continue
        entry: dict[str, Json] = {"Type": cfn_type, "Properties": convert(resource["properties"], root, root)}
        if resource.get("dependsOn"):
            entry["DependsOn"] = resource["dependsOn"]
        resources[logical_id] = entry
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    return {"template": template, "unconverted": unconverted}


if __name__ == "__main__":
    json.dump(build(json.load(sys.stdin)), sys.stdout)
