"""JSON Schema of the platform file, format 1 (``pmemplan schema`` prints it).

Built from the same field declarations the loader validates with (platform.py), so it
cannot drift from what the loader accepts: ``Size`` fields take an integer or a size
string, version strings get their syntax, and every key gets the title and
description declared with it (``field(..., title=, description=)``) for editors.
The schema describes the YAML as a standard YAML loader (``yaml.safe_load``) reads it;
the loader itself is stricter about YAML 1.1 numbers (``kernel: 5.10``, ``size: 010``).
"""
from __future__ import annotations

import copy
from typing import Any, Dict

from .plan.steps import STEP_FINDS as _STEP_FINDS
from .plan.steps import STEP_KINDS as _STEP_KINDS
from .platform import Platform

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Decimal without leading zeros, or 0x-hex; "_" separators; binary suffix K..E with an
# optional "B"/"iB" (1K = 1024), as sizes.parse_size_unit reads them.
SIZE_PATTERN = (r"^\s*(0|[1-9][0-9_]{0,39}|0[xX](?=[0-9a-fA-F_]*[0-9a-fA-F])[0-9a-fA-F_]{1,38})"
                r"(\s*[kKmMgGtTpPeE](i?[bB])?)?\s*$")
KERNEL_PATTERN = r"^\s*v?[0-9]{1,3}\.[0-9]{1,3}(\.[0-9]{1,4})?(-rc[0-9]{1,2})?([-+~_.].*)?\s*$"
NDCTL_PATTERN = r"^\s*[vV]?[0-9]+(\.[0-9]*)?\s*$"

_SIZE_DEF: Dict[str, Any] = {
    "title": "Size or address",
    "description": "Bytes as an integer, or a string: decimal (no leading zeros), 0x-hex, "
                   "with an optional binary suffix K/M/G/T/P/E (1K = 1024), e.g. 268435456, "
                   "\"0x40000000\", \"16M\", \"1GiB\".",
    "anyOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": SIZE_PATTERN},
    ],
}

_ROOT_TEXT = {
    "title": "pmemplan platform (format 1)",
    "description": "A machine's persistent-memory platform: firmware memory map, pmem regions "
                   "and the namespaces to plan in them, for a given kernel and ndctl.",
}


def platform_json_schema() -> Dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a format-1 platform file."""
    defs = Platform.json_schema_defs()
    schema = {"$defs": defs, **defs.pop("Platform")}
    defs["Size"] = copy.deepcopy(_SIZE_DEF)
    props = schema["properties"]
    props["kernel"]["pattern"] = KERNEL_PATTERN
    props["ndctl"]["pattern"] = NDCTL_PATTERN
    targets = props["targets"]
    for branch in targets.get("anyOf", [targets]):
        if branch.get("type") == "array":
            branch["items"] = {"type": "string", "pattern": KERNEL_PATTERN}
    schema.update(_ROOT_TEXT)
    return {"$schema": SCHEMA_DIALECT, **schema}


# -- the layout result (``pmemplan schema --result``) ------------------------------------

def _obj(props: Dict[str, Any], title: str, description: str = "") -> Dict[str, Any]:
    out: Dict[str, Any] = {"type": "object", "title": title, "properties": props,
                           "required": list(props), "additionalProperties": False}
    if description:
        out["description"] = description
    return out


def _ref(name: str) -> Dict[str, Any]:
    return {"$ref": f"#/$defs/{name}"}


def _nullable(schema: Dict[str, Any]) -> Dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _list(schema: Dict[str, Any]) -> Dict[str, Any]:
    return {"type": "array", "items": schema}


def result_defs() -> Dict[str, Any]:
    """The ``$defs`` of the result schema: one entry per object of the JSON result
    (another output can reuse them and add its own)."""
    from .causes import CAUSES, KMEM_CAUSES, Cause
    from .platform import MODES, PROVIDERS
    from .result import FIX_KINDS, LOST_KEYS, ORIGINS
    B = _ref("Bytes")
    S = {"type": "string"}
    I = {"type": "integer"}
    strs = _list(S)
    ns_causes = [c.value for c in Cause if c not in KMEM_CAUSES]
    return {
        "Bytes": {"type": "integer", "minimum": 0, "title": "Bytes",
                  "description": "A size or address in bytes (the default JSON; -u/--human "
                                 "writes strings instead and is not covered by this schema)."},
        "Cause": {"type": "string", "enum": ns_causes, "title": "Cause",
                  "description": "Why a namespace is refused or fails (README: the JSON result). "
                                 "Adding a cause is a minor change, renaming one is breaking.",
                  "x-meanings": {c.value: CAUSES[c].meaning for c in Cause if c not in KMEM_CAUSES}},
        "KmemCause": {"type": "string", "enum": [c.value for c in KMEM_CAUSES], "title": "kmem cause",
                      "x-meanings": {c.value: CAUSES[c].meaning for c in KMEM_CAUSES}},
        "Error": _obj({"by": {"enum": list(ORIGINS)}, "errno": {"type": "string", "pattern": "^E[A-Z]+$"},
                       "cause": _ref("Cause"), "message": S},
                      "Error", "What refuses (ndctl) or fails (kernel) the namespace, and why."),
        "Fix": _obj({"text": S, "kind": {"enum": list(FIX_KINDS)},
                     "kinds": {"type": "array", "items": {"enum": list(FIX_KINDS)}, "minItems": 1},
                     "set": {"type": "object", "propertyNames": {"pattern": r"^(namespace|region)\.[a-z_]+$"}}},
                    "Fix", "An action that enables the namespace: kind says what the user does "
                           "(an ndctl option, a size, a region align write, a creation order, a "
                           "firmware change, a mode); set the platform-file keys it changes."),
        "Kmem": _obj({"online_bytes": B, "memory_block_size": B, "blocks": I,
                      "error": _nullable(S), "cause": _nullable(_ref("KmemCause")),
                      "memmap_ram_bytes": B, "memmap_on_memory": {"type": "boolean"},
                      "memmap_in_range_bytes": B}, "kmem"),
        "InfoBlock": _obj({"dataoff": B, "npfns": I, "start_pad": B, "end_trunc": B, "align": B,
                           "version_minor": I}, "Info block"),
        "StoredInfoBlock": _obj({"mode": {"enum": ["pfn", "dax"]}, "dataoff": B, "npfns": I,
                                 "start_pad": B, "end_trunc": B, "align": B, "version_minor": I,
                                 "page_size": B, "page_struct_size": I,
                                 "source": {"enum": ["info_block", "created_by", "assumed"]},
                                 "written_by": _nullable(S), "written_at": _nullable(B)},
                                "Stored info block", "The pfn/dax info block on an existing "
                                "namespace's media, as the kernel validated it."),
        "Lost": _obj({k: B for k in LOST_KEYS}, "Lost capacity by cause"),
        "Namespace": _obj({
            "name": S, "region": S, "start": _nullable(B), "size": B, "mode": {"enum": list(MODES)},
            "map": _nullable({"enum": ["dev", "mem"]}), "align": B,
            "status": {"enum": ["enabled", "failed", "refused", "disabled"]}, "error": _nullable(_ref("Error")),
            "info_block": _nullable(_ref("InfoBlock")), "usable_size": _nullable(B), "lost": _ref("Lost"),
            "memmap_ram_bytes": B, "kmem": _nullable(_ref("Kmem")), "suggestions": strs,
            "fixes": _list(_ref("Fix")), "no_fix": _nullable(S), "messages": strs,
            "warnings": strs, "stored_info_block": _nullable(_ref("StoredInfoBlock"))}, "Namespace"),
        "Region": _obj({"name": S, "provider": {"enum": list(PROVIDERS)}, "start": B, "size": B, "align": B,
                        "available_size": B, "max_available_extent": B, "labels": {"type": "boolean"},
                        "interleave_ways": {"type": "integer", "minimum": 1}}, "Region"),
        "SubsectionRun": _obj({"first": I, "count": I, "owner": S}, "Sub-section run"),
        "Section": _obj({"nr": I, "start": B, "early": {"type": "boolean"}, "owners": strs,
                         "subsections": _list(_ref("SubsectionRun")),
                         "collision": {"enum": ["section", "subsection"]}}, "Shared section"),
        "ArchInfo": _obj({"page_size": B, "section_size": B, "subsection_size": B,
                          "compat_align": _nullable(B), "pmd_size": B, "pud_size": B,
                          "memory_block_size": B, "supported_alignments": _list(B)}, "Arch"),
        "Summary": _obj({"usable_size": B, "lost": B, "padding_saved": I, "legacy_kernel": _nullable(S),
                         "only_enabled_under_kernel": strs, "only_enabled_under_legacy": strs,
                         "enabled": I, "failed": I, "refused": I, "disabled": I}, "Summary"),
        "LayoutResult": _obj({"format": {"const": 1}, "platform": S, "arch": S, "kernel": S, "era": S,
                              "assumptions": strs, "arch_info": _ref("ArchInfo"),
                              "regions": _list(_ref("Region")), "namespaces": _list(_ref("Namespace")),
                              "sections": _list(_ref("Section")), "summary": _ref("Summary")},
                             "Layout result", "One platform through one kernel."),
    }


def diff_defs() -> Dict[str, Any]:
    """The objects of ``pmemplan diff --format json`` (pmemplan/diff.py), on top of the
    result's."""
    B = _ref("Bytes")
    S = {"type": "string"}
    side = _nullable(_obj({"status": {"enum": ["enabled", "failed", "refused", "disabled"]},
                           "start": _nullable(B), "size": B, "usable_size": _nullable(B), "mode": S,
                           "align": B, "error": _nullable(_ref("Error")),
                           "cause": _nullable(_ref("Cause"))}, "Side"))
    return {
        "RestoreAction": _obj({"kind": {"enum": ["move", "kernel", "recreate", "none"]}, "text": S,
                               "data_lost": {"type": "boolean"}, "granule": _nullable(B),
                               "target_start": _nullable(B), "align": _nullable(B),
                               "kernel": _nullable(S)}, "Restore action"),
        "NamespaceChange": _obj({"name": S, "change": {"enum": ["same", "moved", "resized", "broken",
                                                               "recovered", "changed", "added", "removed"]},
                                 "shift": _nullable({"type": "integer"}), "before": side, "after": side,
                                 "restore": _list(_ref("RestoreAction"))}, "Namespace change"),
        "SectionChange": _obj({"nr": {"type": "integer"}, "start": B,
                               "change": {"enum": ["added", "removed", "changed"]},
                               "before": _nullable(_ref("Section")), "after": _nullable(_ref("Section"))},
                              "Section change"),
        "Comparison": _obj({"before": _obj({"file": S, "kernel": S}, "Before"),
                            "after": _obj({"file": S, "kernel": S}, "After"),
                            "namespaces": _list(_ref("NamespaceChange")),
                            "sections": _list(_ref("SectionChange")),
                            "summary": _obj({"changes": {"type": "object",
                                                         "additionalProperties": {"type": "integer"}},
                                             "broken": _list(S)}, "Comparison summary")},
                           "Comparison", "One (before kernel, after kernel) pair."),
        "DiffOutput": _obj({"format": {"const": 1}, "comparisons": _list(_ref("Comparison")),
                            "broken": {"type": "boolean"}}, "pmemplan diff output"),
    }


def diff_json_schema() -> Dict[str, Any]:
    """The JSON Schema of ``pmemplan diff --format json``."""
    defs = {**result_defs(), **diff_defs()}
    top = defs["DiffOutput"]
    return {"$schema": SCHEMA_DIALECT, **top, "title": "pmemplan diff (format 1)", "$defs": defs}


# -- the plan output (``pmemplan plan --format json``) and the commands output ------------
# (``pmemplan commands --format json``): their own $defs, reusing the layout result's
# (Bytes, Cause, LayoutResult).  Another output adds its own block like this one, and one
# branch to _OUTPUTS below.

_PLANNED_KEYS = ("size", "align", "map", "offset")


def _by_kernel(schema: Dict[str, Any]) -> Dict[str, Any]:
    """An object keyed by target kernel (as given: "6.1", "5.10.0-56-amd64")."""
    return {"type": "object", "propertyNames": {"pattern": KERNEL_PATTERN},
            "additionalProperties": schema}


def plan_defs() -> Dict[str, Any]:
    """The ``$defs`` of the plan and commands outputs (plan/core.py and plan/steps.py
    ``to_dict``, render/plan_out.py render_plan_json(), commands/plan_cmd.py)."""
    from .platform import MODES
    B = _ref("Bytes")
    S = {"type": "string"}
    strs = _list(S)
    kernels = _list({"type": "string", "pattern": KERNEL_PATTERN})
    ns_expect = _obj({"mode": {"enum": list(MODES)}, "size": B, "start": B, "align": B},
                     "Namespace check", "What ndctl must list after the step: mode (a raw namespace "
                     "of a pagemap bus lists as fsdax), size as ndctl lists it (usable), physical "
                     "start, and the align of an fsdax/devdax namespace.")
    ns_expect["required"] = ["mode", "size", "start"]
    expects = {
        "align": _obj({"align": B}, "Region align check"),
        "kmem": _obj({"mode": {"const": "system-ram"}}, "kmem check"),
        "destroy": {"type": "object", "maxProperties": 0, "title": "Nothing to check"},
    }
    step = _obj({"kind": {"enum": list(_STEP_KINDS)}, "region": S, "namespace": S, "argv": strs,
                 "expect": {"type": "object"}, "find": {"enum": list(_STEP_FINDS)}},
                "Step", "One command of the build script, in order; argv holds the tokens "
                        "{region}, {dev} and {chardev} the script fills in; find says how it finds "
                        "the device (its name, its physical start, the region's one namespace, or "
                        "the region itself).")
    step["allOf"] = [{"if": {"properties": {"kind": {"const": k}}},
                      "then": {"properties": {"expect": _ref(f"{k.capitalize()}Expect")
                                              if k in expects else _ref("NamespaceExpect")}}}
                     for k in _STEP_KINDS]
    defs: Dict[str, Any] = {f"{k.capitalize()}Expect": v for k, v in expects.items()}
    defs["NamespaceExpect"] = ns_expect
    commands = {"kernel": {"type": "string", "pattern": KERNEL_PATTERN},
                "regions": _list(_ref("RegionCheck")), "steps": _list(_ref("Step"))}
    defs.update({
        "Step": step,
        "RegionCheck": _obj({"name": S, "start": B, "size": B, "labels": {"type": "boolean"},
                             "existing": {"type": "integer", "minimum": 0}},
                            "Region check", "A region the script finds by physical start and size "
                                            "before changing anything; existing: the namespaces it "
                                            "may hold already."),
        "PlannedNamespace": _obj({
            "name": S, "region": S, "mode": {"enum": list(MODES)}, "map": _nullable({"enum": ["dev", "mem"]}),
            "align": _nullable(B), "size": B, "offset": B, "start": B, "requested": S,
            "want_usable": _nullable(B), "granule": {"type": "integer", "minimum": 1},
            "planned": {"type": "array", "items": {"enum": list(_PLANNED_KEYS)}, "uniqueItems": True},
            "why": S, "usable": _by_kernel(_nullable(B)), "lost": _by_kernel(B)},
            "Planned namespace", "What was asked (requested, want_usable), what was chosen (planned: "
                                 "the keys the planner set) and why, and per target kernel the usable "
                                 "size (null: not enabled) and the pmem lost; usable and lost are empty "
                                 "when the intent cannot be met."),
        "PlanProblem": _obj({
            "region": S, "namespace": _nullable(S), "kernel": _nullable(S), "cause": _ref("Cause"),
            "message": S, "nearest": S,
            "nearest_changes": {"type": "object", "propertyNames": {"pattern": r"^.+\.(usable|size)$"},
                                "additionalProperties": B},
            "works_on": kernels},
            "Plan problem", "Why the intent cannot be met: the binding constraint (kernel null: "
                            "every target), its cause, the nearest alternative in words and as "
                            "changes to the intent (namespace.usable or namespace.size), and the "
                            "targets where the namespace works."),
        "LegacyCost": _obj({"pre_5_3": kernels, "without": kernels, "raw_extra": {"type": "integer"},
                            "lost": _by_kernel(B), "lost_without": _by_kernel(B)},
                           "Cost of the pre-5.3 targets", "The plan against the plan for the 5.3+ "
                           "targets alone: extra raw size, and pmem lost with and without them."),
        "Plan": _obj({"kernels": kernels, "ok": {"type": "boolean"},
                      "namespaces": _list(_ref("PlannedNamespace")), "cost": _by_kernel(B),
                      "problems": _list(_ref("PlanProblem")), "legacy_cost": _nullable(_ref("LegacyCost")),
                      "region_aligns": {"type": "object", "additionalProperties": B}},
                     "Plan", "The chosen plan; ok is false (and problems non-empty) when the intent "
                             "cannot be met."),
        "PlanCommands": _obj(commands, "Plan commands",
                             "The build script's steps for one kernel (the file's kernel when it is "
                             "a target)."),
        "PlanOutput": _obj({"format": {"const": 1}, "plan": _ref("Plan"),
                            "results": _by_kernel(_ref("LayoutResult")),
                            "commands": _nullable(_ref("PlanCommands"))},
                           "Plan output", "pmemplan plan --format json: the plan, the layout result of "
                           "the planned platform per target kernel, and the commands; results is "
                           "empty and commands null when the intent cannot be met (exit 1)."),
        "CommandsOutput": _obj({"format": {"const": 1}, **commands}, "Commands output",
                               "pmemplan commands --format json."),
    })
    return defs


# -- ``pmemplan schema --result``: every JSON output, one branch each ---------------------

_OUTPUTS = (
    _ref("LayoutResult"),
    {"type": "array", "items": _ref("LayoutResult"), "minItems": 2},
    _ref("PlanOutput"),
    _ref("CommandsOutput"),
    _ref("DiffOutput"),
)


def result_json_schema() -> Dict[str, Any]:
    """The JSON Schema (draft 2020-12) of pmemplan's JSON outputs: ``pmemplan layout
    --format json`` (one result, or a list of results with several ``--kernel`` options),
    ``pmemplan plan --format json``, ``pmemplan commands --format json`` and ``pmemplan diff
    --format json``.  Each output matches exactly one branch; each has its entry under
    ``$defs`` (LayoutResult, PlanOutput, CommandsOutput, DiffOutput) for tools that
    validate one output kind."""
    defs = result_defs()
    for extra in (plan_defs(), diff_defs()):
        assert not set(defs) & set(extra), "output $defs must not collide"
        defs.update(extra)
    return {"$schema": SCHEMA_DIALECT, "title": "pmemplan JSON results (format 1)",
            "description": "pmemplan layout --format json (one result, or one per kernel, a list, "
                           "with several --kernel options), pmemplan plan --format json, "
                           "pmemplan commands --format json and pmemplan diff --format json.",
            "$defs": defs, "oneOf": copy.deepcopy(list(_OUTPUTS))}
