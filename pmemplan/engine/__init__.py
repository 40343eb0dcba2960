"""The pure engine: platform in, :class:`~pmemplan.result.LayoutResult` out.

Modules mirror the kernel files they model: ``arch`` (asm/sparsemem.h and friends),
``sparse`` (mm/sparse.c), ``memory`` (mm/memory_hotplug.c, mm/memremap.c),
``pfn_devs`` (drivers/nvdimm/pfn_devs.c), ``btt`` (drivers/nvdimm/btt.c),
``region_devs`` (region_devs.c / namespace_devs.c placement), ``kmem``
(drivers/dax/kmem.c) and ``ndctl`` (ndctl's create-namespace rules).
"""
from .layout import compute_layout, run_engine

__all__ = ["compute_layout", "run_engine"]
