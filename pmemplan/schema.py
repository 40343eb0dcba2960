"""JSON Schema of the platform file, format 1 (``pmemplan schema`` prints it).

Built from the same field declarations the loader validates with (platform.py), so it
cannot drift from what the loader accepts: ``Size`` fields take an integer or a size
string, version strings get their syntax, and the main keys get the titles and
descriptions an editor shows.  The schema describes the YAML as a standard
YAML loader (``yaml.safe_load``) reads it; the loader itself is stricter about YAML 1.1
numbers (``kernel: 5.10``, ``size: 010``).
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

# (definition, property) -> (title, description).  "" = the model itself.
_TEXT: Dict[str, Dict[str, tuple]] = {
    "Platform": {
        "format": ("Format", "Platform file format; always 1."),
        "name": ("Platform name", "Shown in reports (default \"platform\")."),
        "arch": ("Architecture", "CPU architecture: decides page sizes, memmap cost and alignments."),
        "kernel": ("Kernel version", "The kernel to plan for, as a quoted string: \"6.1\", \"5.10.0\", "
                   "\"6.1.0-56-amd64\", \"5.3-rc4\" (unquoted 5.10 is the number 5.1 in YAML)."),
        "targets": ("Other kernels", "Further kernel versions (quoted strings) to plan the same platform for."),
        "page_size": ("Page size", "Base page size: 4K on x86_64 and riscv64; 4K, 16K or 64K on arm64; "
                      "4K or 64K on ppc64le."),
        "mmu": ("MMU", "ppc64le only: hash or radix."),
        "phys_bits": ("Physical address bits", "Size of the physical address space (x86_64: 46 with "
                      "4-level paging, 52 with 5-level)."),
        "memory_block_size": ("Memory block size", "Memory hotplug block size "
                              "(/sys/devices/system/memory/block_size_bytes); a power of two."),
        "bare_metal": ("Bare metal", "The platform is a physical machine, not a virtual machine."),
        "thp": ("Transparent huge pages", "Transparent huge pages are enabled."),
        "memmap_on_memory": ("kmem memmap on memory", "dax kmem (daxctl reconfigure-device --mode=system-ram) "
                             "hosts the struct pages of the memory it onlines in that memory: "
                             "memory_hotplug.memmap_on_memory=1 and /sys/bus/dax/devices/daxX.Y/memmap_on_memory "
                             "set to 1 (Linux 6.8+). Default false: they take 64 bytes of DRAM per 4 KiB page."),
        "ndctl": ("ndctl version", "The ndctl release to plan for, as a string: \"76.1\", \"81\"."),
        "memory": ("Firmware memory map", "The non-pmem ranges of the firmware map, as /proc/iomem's "
                   "top level shows them."),
        "regions": ("Regions", "Persistent-memory regions and the namespaces to create in each."),
        "lint": ("Lint settings", "Severity overrides for lint rules."),
    },
    "MemoryRange": {
        "": ("Memory range", None),
        "type": ("Type", "What the range is: system-ram, reserved, soft-reserved, acpi, pci or other."),
        "start": ("Start", "Physical start address."),
        "size": ("Size", "Length in bytes; greater than 0."),
        "name": ("Name", "Name /proc/iomem shows (default from the type, e.g. \"System RAM\")."),
    },
    "Region": {
        "": ("Region", "A persistent-memory region (/sys/bus/nd/devices/regionN)."),
        "name": ("Name", "Region name, e.g. region0; unique."),
        "provider": ("Provider", "Who describes the region: nfit (ACPI NFIT), e820 (memmap= / legacy "
                     "type 12), of_pmem (device tree), virtio (virtio-pmem) or cxl."),
        "start": ("Start", "Physical start address."),
        "size": ("Size", "Length in bytes; greater than 0."),
        "labels": ("Labels", "Whether the region has namespace labels. Labelled regions hold any number "
                   "of namespaces, label-less ones exactly one. Default: true except for e820, "
                   "of_pmem and virtio (e820 regions are always label-less)."),
        "label_version": ("Label version", "Namespace label format: \"1.1\", \"1.2\" or \"uninitialised\"."),
        "interleave_ways": ("Interleave ways", "Number of DIMMs the region interleaves (1-64)."),
        "align": ("Region align", "regionX/align: a power of two >= 4K."),
        "numa_node": ("NUMA node", "NUMA node of the region (import copies it from ndctl or sysfs); "
                      "informational, the model does not use it."),
        "namespaces": ("Namespaces", "The namespaces to create in the region, in order."),
        "pfn_seed_align": ("pfn seed align", "The align an earlier, failed ndctl attempt left on the "
                           "region's pfn seed device (ndctl takes a new fsdax namespace's default align "
                           "from it)."),
        "dax_seed_align": ("dax seed align", "The same for the region's dax seed device (devdax)."),
    },
    "Namespace": {
        "": ("Namespace", "A namespace to create (ndctl create-namespace)."),
        "name": ("Name", "Namespace name, e.g. namespace0.0; unique in the platform."),
        "size": ("Size", "Namespace size (ndctl -s); required in labelled regions, default: the whole "
                 "region in label-less ones."),
        "offset": ("Offset", "Offset of the namespace in its region; 0 in label-less regions."),
        "mode": ("Mode", "ndctl -m: fsdax, devdax, sector or raw."),
        "map": ("Memmap location", "ndctl -M, fsdax and devdax only: dev (struct pages in the namespace) "
                "or mem (in system RAM)."),
        "align": ("Align", "ndctl -a: a power of two >= 4K."),
        "sector_size": ("Sector size", "ndctl -l, sector mode only: 512, 520, 528, 4096, 4104, 4160 or 4224."),
        "force": ("Force", "ndctl -f: reconfigure an active namespace."),
        "system_ram": ("System RAM", "devdax only: hand the namespace to the kernel as system RAM (kmem)."),
        "was": ("Previous configuration", "What the namespace is before this reconfiguration "
                "(ndctl create-namespace -e); ndctl's default align depends on it."),
        "exists": ("Exists", "The namespace is already on the machine as described (no ndctl command: "
                   "ndctl's create-time checks do not apply)."),
        "state": ("Observed state", "What the machine showed (import sets it): enabled or disabled. It "
                  "applies under the file's kernel to a namespace that exists at the place the file "
                  "records (label-less, or with an offset): layout reports it, and a failure the model "
                  "predicts for the next enable becomes a warning. Elsewhere the status is predicted."),
    },
    "Previous": {
        "": ("Previous configuration", None),
        "mode": ("Mode", "The namespace's mode before the command."),
        "map": ("Memmap location", "Its memmap location (fsdax/devdax)."),
        "align": ("Align", "Its pfn/dax align; ndctl keeps it when the mode stays the same."),
        "enabled": ("Enabled", "Whether it is enabled (active) before the command: ndctl then needs "
                    "-f (force) to reconfigure it. Default true."),
    },
    "LintSettings": {
        "": ("Lint settings", None),
        "rules": ("Rules", "Rule name -> off, info, warning or error."),
    },
}


def platform_json_schema() -> Dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a format-1 platform file."""
    defs = Platform.json_schema_defs()
    schema = {"$defs": defs, **defs.pop("Platform")}
    defs["Size"] = copy.deepcopy(_SIZE_DEF)
    _describe(schema, "Platform")
    for name, model in defs.items():
        if name in _TEXT:
            _describe(model, name)
    props = schema["properties"]
    props["kernel"]["pattern"] = KERNEL_PATTERN
    props["ndctl"]["pattern"] = NDCTL_PATTERN
    targets = props["targets"]
    for branch in targets.get("anyOf", [targets]):
        if branch.get("type") == "array":
            branch["items"] = {"type": "string", "pattern": KERNEL_PATTERN}
    schema.update(_ROOT_TEXT)
    return {"$schema": SCHEMA_DIALECT, **schema}


def _describe(model: Dict[str, Any], name: str) -> None:
    text = _TEXT[name]
    if "" in text:
        title, desc = text[""]
        model["title"] = title
        if desc and "description" not in model:
            model["description"] = desc
    for key, prop in model.get("properties", {}).items():
        if key in text:
            title, desc = text[key]
            prop["title"] = title
            if desc:
                prop["description"] = desc


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
        "Lost": _obj({k: B for k in LOST_KEYS}, "Lost capacity by cause"),
        "Namespace": _obj({
            "name": S, "region": S, "start": _nullable(B), "size": B, "mode": {"enum": list(MODES)},
            "map": _nullable({"enum": ["dev", "mem"]}), "align": B,
            "status": {"enum": ["enabled", "failed", "refused", "disabled"]}, "error": _nullable(_ref("Error")),
            "info_block": _nullable(_ref("InfoBlock")), "usable_size": _nullable(B), "lost": _ref("Lost"),
            "memmap_ram_bytes": B, "kmem": _nullable(_ref("Kmem")), "suggestions": strs,
            "fixes": _list(_ref("Fix")), "no_fix": _nullable(S), "messages": strs,
            "warnings": strs}, "Namespace"),
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


def result_json_schema() -> Dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``pmemplan layout --format json``: one result, or
    a list of results with several ``--kernel`` options."""
    return {"$schema": SCHEMA_DIALECT, "title": "pmemplan layout result (format 1)",
            "description": "pmemplan layout --format json: one result, or one per kernel (a list) "
                           "with several --kernel options.",
            "$defs": result_defs(),
            "oneOf": [_ref("LayoutResult"), {"type": "array", "items": _ref("LayoutResult"), "minItems": 2}]}
