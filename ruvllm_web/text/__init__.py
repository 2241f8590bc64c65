"""Text to vectors, and the starter library that gives a fresh router its first patterns.

- :mod:`.lexical`: :class:`TextEmbedder`, the offline hashed word and character n-gram embedder;
- :mod:`.encoder`: :class:`SentenceEncoder`, all-MiniLM-L6-v2 run by numpy;
- :mod:`.static_encoder`: :class:`StaticEncoder`, the fast tier: a static token table distilled
  from that model at build time by :mod:`.distill`;
- :mod:`.starter_library`: the starter requests per agent, the held-out set that measures an
  embedder, and :func:`add_starter_library`.
"""

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
    "HashedFeature",
    "LabelledRequest",
    "SentenceEncoder",
    "StarterPattern",
    "StaticEncoder",
    "TextEmbedder",
    "add_starter_library",
    "held_out_examples",
    "starter_patterns",
    "starter_task_types",
]
