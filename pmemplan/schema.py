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
