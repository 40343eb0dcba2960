"""pmemplan: plan Linux persistent-memory namespaces before provisioning them.

The Python API mirrors the CLI::

    import pmemplan
    platform = pmemplan.load_platform("configs/qemu-nvdimm.yaml")
    result = pmemplan.compute_layout(platform, kernel="6.1")
    result.namespace("namespace0.0").usable_size
    result.to_dict()            # the JSON contract of `pmemplan layout --format json`

Names are imported lazily so ``import pmemplan`` stays cheap.
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["load_platform", "load_platform_text", "compute_layout", "Platform", "LayoutResult",
           "InputError", "Cause", "__version__"]

_LAZY = {
    "load_platform": ("pmemplan.loader", "load_platform"),
    "load_platform_text": ("pmemplan.loader", "load_platform_text"),
    "compute_layout": ("pmemplan.engine", "compute_layout"),
    "Platform": ("pmemplan.platform", "Platform"),
    "LayoutResult": ("pmemplan.result", "LayoutResult"),
    "InputError": ("pmemplan.errors", "InputError"),
    "Cause": ("pmemplan.causes", "Cause"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib
        mod, attr = _LAZY[name]
        value = getattr(importlib.import_module(mod), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pmemplan' has no attribute {name!r}")
