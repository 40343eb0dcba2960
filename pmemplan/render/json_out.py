"""JSON output: the machine contract (bytes as integers), or ndctl ``-u`` human strings."""
from __future__ import annotations

import json
from typing import Any, List, Union

from ..result import LayoutResult
from ..sizes import human_size

# fields that hold a byte count / an address when shown with -u/--human
_SIZE_KEYS = {"size", "usable_size", "available_size", "max_available_extent", "align", "dataoff",
              "start_pad", "end_trunc", "memmap_ram_bytes", "memmap_in_range_bytes", "online_bytes", "memory_block_size",
              "lost", "padding_saved", "info_block", "memmap", "alignment", "btt", "failed",
              "page_size", "section_size", "subsection_size", "compat_align", "pmd_size", "pud_size"}
_ADDR_KEYS = {"start"}
_LOST_PARENT = {"lost"}


def _humanize(obj: Any, key: str = "") -> Any:
    if isinstance(obj, dict):
        return {k: (_humanize(v, k) if not (key in _LOST_PARENT) else (human_size(v) if isinstance(v, int) else v))
                for k, v in obj.items()}
    if isinstance(obj, list):
        if key == "supported_alignments":
            return [human_size(v) for v in obj]
        return [_humanize(v, key) for v in obj]
    if isinstance(obj, bool) or not isinstance(obj, int):
        return obj
    if key in _ADDR_KEYS:
        return f"{obj:#x}"
    if key in _SIZE_KEYS:
        return human_size(obj)
    return obj


def to_jsonable(results: Union[LayoutResult, List[LayoutResult]], human: bool = False) -> Any:
    data: Any = [r.to_dict() for r in results] if isinstance(results, list) else results.to_dict()
    return _humanize(data) if human else data


def _dump(obj: Any, depth: int = 0, expand: int = 0) -> str:
    """Indented like ndctl for the outer levels, one compact line per array item.

    ``json.dumps(indent=…)`` runs the pure-Python encoder; writing each namespace or
    section on one line uses the C encoder and keeps large results fast and greppable.
    Dicts down to depth ``expand`` are spread over lines (a result, or each result of a
    list of results).
    """
    pad = "  " * (depth + 1)
    end = "  " * depth
    if isinstance(obj, dict) and depth <= expand and obj:
        items = [f"{pad}{json.dumps(k)}: {_dump(v, depth + 1, expand)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    if isinstance(obj, list) and obj and all(isinstance(x, (dict, list)) for x in obj):
        return "[\n" + ",\n".join(pad + _dump(x, depth + 1, expand) for x in obj) + "\n" + end + "]"
    return json.dumps(obj)


def render_json(results: Union[LayoutResult, List[LayoutResult]], human: bool = False) -> str:
    from .._gc import gc_paused
    with gc_paused():    # many small dicts, no cycles: collection would only cost time
        data = to_jsonable(results, human)
        return _dump(data, 0, 1 if isinstance(data, list) else 0) + "\n"
