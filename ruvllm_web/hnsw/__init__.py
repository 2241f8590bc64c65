"""The HNSW approximate nearest-neighbour index (Malkov & Yashunin, 2018).

- :mod:`~ruvllm_web.hnsw.index`: :class:`HnswIndex`: inserts, removals, graph repair, search, persistence;
- :mod:`~ruvllm_web.hnsw.links`: the neighbour lists and in-degrees;
- :mod:`~ruvllm_web.hnsw.heuristic`: the neighbour-selection heuristic;
- :mod:`~ruvllm_web.hnsw.metric`: cosine, dot and l2 as stored rows and query rows;
- :mod:`~ruvllm_web.hnsw.top`: the top layers, scored exactly;
- :mod:`~ruvllm_web.hnsw.row_scores`: the inner kernel, stored rows against one query.
"""

from ruvllm_web.hnsw.index import HnswIndex

__all__ = ["HnswIndex"]
