"""ruvllm_web: an on-device, self-learning router and adapter.

The engine is pure numpy and never knows where it runs: the same code serves
CPython and Pyodide inside a Web Worker. Only :mod:`ruvllm_web.bridge` knows
about JavaScript.
"""

from ruvllm_web._version import __version__
from ruvllm_web.micro_lora import MicroLoRA
from ruvllm_web.starter_patterns import (
    STARTER_AGENTS,
    LabelledRequest,
    StarterPattern,
    held_out_examples,
    starter_patterns,
)
from ruvllm_web.text_embedder import HashedFeature, TextEmbedder

__all__ = [
    "STARTER_AGENTS",
    "HashedFeature",
    "LabelledRequest",
    "MicroLoRA",
    "StarterPattern",
    "TextEmbedder",
    "__version__",
    "held_out_examples",
    "starter_patterns",
]
