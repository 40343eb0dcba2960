"""The planner: an intent (a platform whose namespaces say what they need) in, a concrete
platform that enables everything on every target kernel out.  Pure: no I/O.

``core`` decides sizes and aligns (inverting the info-block and BTT arithmetic of the
engine with a bounded search, then verifying every candidate with the engine itself);
``steps`` turns any concrete platform into the ordered ndctl/daxctl steps that build it
(first-fit in creation order, placeholders where an offset cannot be reached otherwise).
"""
from .core import Plan, PlannedNamespace, PlanProblem, plan_platform, target_kernels
from .steps import Step, build_steps

__all__ = ["Plan", "PlannedNamespace", "PlanProblem", "plan_platform", "target_kernels",
           "Step", "build_steps"]
