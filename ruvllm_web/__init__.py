"""ruvllm_web: an on-device, self-learning router and adapter.

The engine is pure numpy and never knows where it runs: the same code serves
CPython and Pyodide inside a Web Worker. Only :mod:`ruvllm_web.bridge` knows
about JavaScript.
"""

from ruvllm_web._version import __version__
from ruvllm_web.hnsw_index import HnswIndex
from ruvllm_web.hnsw_router import HnswRouter
from ruvllm_web.router_types import PatternRecord, RouterConfig, RoutingNeighbor, RoutingResult

__all__ = [
    "HnswIndex",
    "HnswRouter",
    "PatternRecord",
    "RouterConfig",
    "RoutingNeighbor",
    "RoutingResult",
    "__version__",
]
