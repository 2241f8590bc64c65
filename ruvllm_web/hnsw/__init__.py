"""The HNSW approximate nearest-neighbour index (Malkov & Yashunin, 2018).

- :mod:`~ruvllm_web.hnsw.index`: :class:`HnswIndex`, its inserts, removals and graph repair;
- :mod:`~ruvllm_web.hnsw.search`: the exact scan, the greedy descent and the beam search;
- :mod:`~ruvllm_web.hnsw.index_state`: the saved state, its versions and its checks on load;
- :mod:`~ruvllm_web.hnsw.links`: the neighbour lists and in-degrees;
- :mod:`~ruvllm_web.hnsw.heuristic`: the neighbour-selection heuristic;
- :mod:`~ruvllm_web.hnsw.metric`: cosine, dot and l2 as stored rows and query rows;
- :mod:`~ruvllm_web.hnsw.top`: the top layers, scored exactly;
- :mod:`~ruvllm_web.hnsw.row_scores`: the inner kernel, stored rows against one query.
"""

from ruvllm_web.hnsw.index import HnswIndex

__all__ = ["HnswIndex"]
