"""``pmemplan import``'s output: the platform as format-1 YAML, every derived or assumed
value commented (``# from:`` / ``# assumed:`` / ``# warning:``)."""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple

if TYPE_CHECKING:
    from ..importer.records import ImportResult, Note

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def _scalar(v: Any, key: str = "") -> str:
    if isinstance(v, dict):      # a flow mapping (info_block)
        return "{" + ", ".join(f"{k}: {_scalar(x, k)}" for k, x in v.items()) + "}"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        if key in ("start", "size", "offset", "align", "memory_block_size", "dataoff", "start_pad",
                   "end_trunc", "created_at"):
            return f"{v:#x}"
        return str(v)
    if v is None:
        return "null"
    s = str(v)
    if key == "kernel" or key == "label_version" or not _PLAIN.match(s) or s.lower() in _YAML_WORDS:
        return json.dumps(s)
    return s


def _comment(notes: List["Note"]) -> str:
    if not notes:
        return ""
    parts = [f"{n.kind}: {n.text}" for n in notes]
    text = "; ".join(parts).replace("\n", " ")
    return "  # " + text


def render_yaml(res: "ImportResult") -> str:
    """Format 1 with every derived or assumed value commented (``# from:`` / ``# assumed:``)."""
    by: Dict[Tuple[str, Optional[str]], List["Note"]] = {}
    for n in res.notes:
        if n.kind in ("from", "assumed", "warning"):
            by.setdefault((n.target, n.key), []).append(n)
    used: Set[Tuple[str, Optional[str]]] = set()

    def c(target: str, key: Optional[str]) -> str:
        used.add((target, key))
        return _comment(by.get((target, key), []))

    d = res.data
    out: List[str] = ["# pmemplan platform, format 1, written by `pmemplan import`"]
    if res.sources:
        out.append("# inputs: " + ", ".join(res.sources))
    out.append("# '# from:' marks a value derived from the inputs, '# assumed:' one they do not give")
    if res.approximate:
        out.append("# '(approximate: …)' marks a value derived from an ndctl list -u size (two decimals); "
                   "ndctl list without -u gives exact ones")
    for key in ("format", "name", "arch", "kernel", "phys_bits", "memory_block_size"):
        if key in d:
            out.append(f"{key}: {_scalar(d[key], key)}{c('platform', key)}")
    out.append("memory:" if d.get("memory") else "memory: []")
    for i, m in enumerate(d.get("memory", ())):
        items = ", ".join(f"{k}: {_scalar(v, k)}" for k, v in m.items())
        out.append(f"  - {{{items}}}{c(f'memory[{i}]', 'type')}")
    out.append("regions:" if d.get("regions") else "regions: []")
    def item(obj: Dict[str, Any], indent: str) -> None:
        """One list item (a region or a namespace) with each key's note as a comment."""
        target = obj["name"]
        lead = indent + "- "
        for k, v in obj.items():
            if k == "namespaces" or v is None:
                continue
            note = c(target, "name") + c(target, None) if k == "name" else c(target, k)
            out.append(f"{lead}{k}: {_scalar(v, k)}{note}")
            lead = indent + "  "

    for r in d.get("regions", ()):
        item(r, "  ")
        nss = r.get("namespaces") or []
        out.append("    namespaces:" if nss else "    namespaces: []")
        for n in nss:
            item(n, "      ")
    left = [n for n in res.notes if (n.target, n.key) not in used and n.kind in ("from", "assumed", "warning")]
    if left:
        out.append("# notes:")
        for n in left:
            out.append(f"#   {n.line()}")
    return "\n".join(out) + "\n"
