"""``pmemplan import``: a platform (format 1) from what a machine already says about itself.

Inputs, in any combination:

* ``/proc/iomem`` (:func:`parse_iomem`, :mod:`.iomem`): System RAM and the other firmware
  ranges, every pmem region ("Persistent Memory (legacy)" is an e820/``memmap=`` region,
  "Persistent Memory" an NFIT or other one) and the resources the pmem drivers requested
  inside it;
* ``ndctl list`` JSON (:func:`parse_ndctl`, :mod:`.ndctl`), any of ``-R -N -D -v -u``, as a
  bare object, an array or the ``{"regions": …}`` form, several documents one after the other;
* ``daxctl list`` JSON (:func:`parse_daxctl`);
* a live system or a captured tree of one (:func:`read_live`, :mod:`.sysfs`, the only I/O):
  ``proc/iomem``, ``sys/bus/nd/devices`` and ``sys/bus/dax/devices`` under a root directory.

:func:`build_platform` (:mod:`.build`) joins them into a platform plus :class:`Note` objects
saying where every value that is not a plain fact came from (``from``: derived) or what was
assumed (``assumed``), inferring what the inputs do not say in :mod:`.infer`;
:func:`pmemplan.render.import_out.render_yaml` writes format 1 with those notes as comments.

Facts this package relies on (Linux 6.1 observations, tests/data/kernel-observations;
docs/kernel-model.md §13):

* the pmem driver requests the whole namespace for raw, sector and fsdax, but device
  dax requests only the namespace's head (``[start, start + dataoff)``, named after the
  namespace) and names the data after the dax device (``daxX.Y``); kmem replaces that
  data resource by the memory-block-aligned part it onlines ("System RAM (kmem)");
* ``ndctl list`` shows for fsdax/devdax the data size (``npfns × 4K``), not the raw
  namespace size, and never the physical address;
* ``ndctl list -u`` prints sizes with two decimals ("252.00 GiB (270.58 GB)");
* a non-root reader of ``/proc/iomem`` sees every address as zero;
* ``ndctl list -v`` lists the seed namespace of a labelled region: size 0, no uuid (or an
  all-zero one); a namespace with a uuid listed with size 0 is a real one whose info block
  leaves no pages (6.1 creates it with npfns = 0).
"""
from __future__ import annotations

from .build import DEFAULT_KERNEL, build_platform, platform_of
from .iomem import Resource, parse_iomem
from .ndctl import DaxDevice, NdctlInfo, NdNamespace, NdRegion, parse_daxctl, parse_json_size, parse_ndctl
from .records import ImportMissing, ImportResult, Note
from .sysfs import LiveCapture, read_live


def render_yaml(res: ImportResult) -> str:
    """Format 1 with every derived or assumed value commented (see :mod:`pmemplan.render.import_out`)."""
    from ..render.import_out import render_yaml as _render
    return _render(res)


__all__ = ["Resource", "parse_iomem", "NdNamespace", "NdRegion", "NdctlInfo", "parse_ndctl",
           "parse_json_size", "DaxDevice", "parse_daxctl", "LiveCapture", "read_live", "Note",
           "ImportResult", "ImportMissing", "build_platform", "platform_of", "render_yaml",
           "DEFAULT_KERNEL"]
