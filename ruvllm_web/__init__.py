"""ruvllm_web: an on-device, self-learning router and adapter.

The engine is pure numpy and never knows where it runs: the same code serves
CPython and Pyodide inside a Web Worker. Only :mod:`ruvllm_web.bridge` knows
about JavaScript.
"""

from ruvllm_web._version import __version__
from ruvllm_web.hnsw import HnswIndex
from ruvllm_web.intelligent import IntelligentConfig, IntelligentLLM
from ruvllm_web.learning import AdaptationResult, SonaConfig, SonaInstant, Trajectories, TrajectoryBuffer
from ruvllm_web.lora import MicroLoRA, OperatorCategory, OperatorType, ScopedLoRA, scope_name
from ruvllm_web.router import HnswRouter
from ruvllm_web.router_types import PatternRecord, RouterConfig, RoutingNeighbor, RoutingResult
from ruvllm_web.text.encoder import SentenceEncoder
from ruvllm_web.text.lexical import HashedFeature, TextEmbedder
from ruvllm_web.text.static_encoder import StaticEncoder
from ruvllm_web.text.starter_library import (
    STARTER_AGENTS,
    LabelledRequest,
    StarterPattern,
    add_starter_library,
    held_out_examples,
    starter_patterns,
    starter_task_types,
)

__all__ = [
    "STARTER_AGENTS",
    "AdaptationResult",
    "HashedFeature",
    "HnswIndex",
    "HnswRouter",
    "IntelligentConfig",
    "IntelligentLLM",
    "LabelledRequest",
    "MicroLoRA",
    "OperatorCategory",
    "OperatorType",
    "PatternRecord",
    "RouterConfig",
    "RoutingNeighbor",
    "RoutingResult",
    "ScopedLoRA",
    "SentenceEncoder",
    "SonaConfig",
    "SonaInstant",
    "StarterPattern",
    "StaticEncoder",
    "TextEmbedder",
    "Trajectories",
    "TrajectoryBuffer",
    "__version__",
    "add_starter_library",
    "held_out_examples",
    "scope_name",
    "starter_patterns",
    "starter_task_types",
]
