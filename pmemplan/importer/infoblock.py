"""``ndctl read-infoblock -j`` output: the pfn/dax info block on each namespace's media.

``pmemplan import --infoblock FILE`` reads it (one or several outputs one after the other,
each an object or an array of objects with ``dev``, ``signature``, ``version`` "1.4",
``dataoff``, ``npfns``, ``start_pad``, ``end_trunc``, ``align``, ``page_size``,
``page_struct_size``) and the platform's namespaces get ``info_block`` from it, so that a
later ``layout --kernel V`` or a firmware move validates what is really stored
(docs/kernel-model.md §6.6).  The format is the one ndctl 76.1 printed on Linux 6.1 in the
``nv_shift`` observations (tests/data/lifecycle).
"""
from __future__ import annotations

from typing import Any, Dict, List

from ..errors import InputError
from .ndctl import _int_or_none, _json_docs

_SIGNATURES = {"NVDIMM_PFN_INFO": "pfn", "NVDIMM_DAX_INFO": "dax"}
_INT_KEYS = ("dataoff", "npfns", "start_pad", "end_trunc", "align")


def parse_infoblocks(text: str, name: str) -> Dict[str, Dict[str, Any]]:
    """{namespace: info_block mapping in the platform format}."""
    out: Dict[str, Dict[str, Any]] = {}
    items: List[Any] = []
    for doc in _json_docs(text, name):
        items.extend(doc if isinstance(doc, list) else [doc])
    for it in items:
        if not isinstance(it, dict) or "dev" not in it:
            raise InputError("not ndctl read-infoblock -j output: expected objects with \"dev\"", name)
        dev = str(it["dev"])
        sig = _SIGNATURES.get(str(it.get("signature", "")))
        if sig is None:
            raise InputError(f"{dev}: signature {it.get('signature')!r} is not a pfn or dax info block "
                             "(NVDIMM_PFN_INFO / NVDIMM_DAX_INFO)", name)
        block: Dict[str, Any] = {}
        for k in _INT_KEYS:
            v = _int_or_none(it.get(k))
            if v is None or v < 0:
                raise InputError(f"{dev}: {k} missing or not a number", name)
            block[k] = v
        version = str(it.get("version", ""))
        minor = _int_or_none(it.get("version_minor"))
        if minor is None and "." in version:
            minor = _int_or_none(version.split(".", 1)[1])
        if minor is None:
            raise InputError(f"{dev}: no version (expected \"version\": \"1.4\")", name)
        block["version_minor"] = minor
        block["mode"] = sig
        for k in ("page_size", "page_struct_size"):
            v = _int_or_none(it.get(k))
            if v:
                block[k] = v
        if dev in out and out[dev] != block:
            raise InputError(f"{dev}: two different info blocks", name)
        out[dev] = block
    return out
