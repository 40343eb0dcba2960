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
    }


def diff_json_schema() -> Dict[str, Any]:
    """The JSON Schema of ``pmemplan diff --format json``."""
    return {"$schema": SCHEMA_DIALECT, "title": "pmemplan diff (format 1)",
            "$defs": {**result_defs(), **diff_defs()},
            "type": "object", "additionalProperties": False, "required": ["format", "comparisons", "broken"],
            "properties": {"format": {"const": 1}, "broken": {"type": "boolean"},
                           "comparisons": _list(_ref("Comparison"))}}


def result_json_schema() -> Dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``pmemplan layout --format json``: one result, or
    a list of results with several ``--kernel`` options."""
    return {"$schema": SCHEMA_DIALECT, "title": "pmemplan layout result (format 1)",
            "description": "pmemplan layout --format json: one result, or one per kernel (a list) "
                           "with several --kernel options.",
            "$defs": result_defs(),
            "oneOf": [_ref("LayoutResult"), {"type": "array", "items": _ref("LayoutResult"), "minItems": 2}]}
