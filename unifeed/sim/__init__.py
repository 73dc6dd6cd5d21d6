"""A marketplace simulator: seeded users and creators who use the real feed API.

Its ground truth (`unifeed.sim.response`) is a model the production stack
never sees; nothing under store, api, serving or model may import this package.
"""

from unifeed.sim.report import ENGAGEMENT_DEFINITION, TARGET_RATIO, summarize, write_report
from unifeed.sim.response import ResponseModel, response_uniforms
from unifeed.sim.run import ARMS, ArmResult, DayStats, SimObserver, SimResult, run_simulation
from unifeed.sim.world import SimConfig, World, build_world

__all__ = [
    "ARMS",
    "ENGAGEMENT_DEFINITION",
    "TARGET_RATIO",
    "ArmResult",
    "DayStats",
    "ResponseModel",
    "SimConfig",
    "SimObserver",
    "SimResult",
    "World",
    "build_world",
    "response_uniforms",
    "run_simulation",
    "summarize",
    "write_report",
]
