"""SONA's deep loop: one bounded run that tidies a slice of the pattern library.

:meth:`~ruvllm_web.learning.sona.SonaInstant.deep` schedules the runs (when a
pass starts, which slice each run takes, where the next one starts: see
:mod:`ruvllm_web.learning.sona`); :func:`tidy_slice` does one run's work on
its slice of ``S`` pattern ids:

1. cluster the slice's embeddings with ``k = max(1, floor(sqrt(S / 2)))``
   spherical k-means (:func:`~ruvllm_web.learning.kmeans.spherical_kmeans`:
   one k-means++ start, at most 20 Lloyd iterations of one
   ``(S, dim) @ (dim, k)`` product each). It only buckets merge candidates:
   pairs are compared within a cluster, not across the slice;
2. merge same-agent near-duplicates (cosine ``>= merge_similarity``) within
   each cluster into the smaller id (:func:`plan_merges`);
3. once every planned merge is made, prune the slice's patterns that are old
   (created ``>= prune_age`` router operations ago), little used
   (``usage_count <= prune_max_usage``) and unsuccessful
   (``success_rate < prune_success``) (:func:`plan_prunes`).

Each merge and prune is one HNSW removal; a run makes at most ``budget`` of
them, merges first. A run the budget cut short is not ``finished``: the next
run takes the same slice again (smaller by what was removed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ruvllm_web.learning.kmeans import spherical_kmeans

if TYPE_CHECKING:
    from ruvllm_web.learning.sona import PatternLibrary, SonaConfig


@dataclass(frozen=True)
class SliceRun:
    """What one run did to its slice."""

    clusters: int
    iterations: int  #: Lloyd iterations of the k-means
    merged: int
    pruned: int
    finished: bool  #: every planned merge and prune was made (the budget did not cut the run short)


def tidy_slice(library: PatternLibrary, ids: np.ndarray, config: SonaConfig, seed: int, budget: int) -> SliceRun:
    """Cluster, merge and prune the patterns ``ids`` (ascending) of ``library``; see the module docstring.

    ``seed`` seeds the k-means; ``budget`` bounds the merges and prunes together.
    """
    if not len(ids):
        return SliceRun(clusters=0, iterations=0, merged=0, pruned=0, finished=True)
    rows = np.stack([library.pattern_embedding(int(i)) for i in ids])
    k = max(1, int(math.sqrt(len(ids) / 2)))
    labels, _, iterations = spherical_kmeans(rows, k, seed=seed, n_init=1)
    pairs = plan_merges(library, ids, rows, labels, config.merge_similarity)
    for keep, drop in pairs[:budget]:
        library.merge_patterns(keep, drop)
    merged = min(len(pairs), budget)
    budget -= merged
    doomed = plan_prunes(library, ids, pairs, config) if len(pairs) <= merged else []
    for pattern_id in doomed[:budget]:
        library.remove_pattern(pattern_id)
    pruned = min(len(doomed), budget)
    finished = len(pairs) <= merged and len(doomed) <= budget
    return SliceRun(clusters=k, iterations=int(iterations), merged=merged, pruned=pruned, finished=finished)


def plan_merges(
    library: PatternLibrary, ids: np.ndarray, rows: np.ndarray, labels: np.ndarray, similarity: float
) -> list[tuple[int, int]]:
    """The ``(kept, dropped)`` ids of same-agent pairs with cosine >= ``similarity`` inside each cluster.

    ``rows`` are the unit embeddings of ``ids`` and ``labels`` their clusters.
    Clusters in label order, pairs in id order within each; a pattern
    already dropped takes part in no later pair. A pattern's agent is read
    only for merge candidates (most slices have none).
    """
    pairs: list[tuple[int, int]] = []
    for cluster in np.unique(labels):
        members = np.flatnonzero(labels == cluster)
        if len(members) < 2:
            continue
        sims = rows[members] @ rows[members].T
        gone: set[int] = set()
        for i, j in zip(*np.nonzero(np.triu(sims >= similarity, k=1))):
            keep, drop = int(ids[members[i]]), int(ids[members[j]])
            if i in gone or j in gone or library.pattern(keep).agent != library.pattern(drop).agent:
                continue
            gone.add(j)
            pairs.append((keep, drop))
    return pairs


def plan_prunes(library: PatternLibrary, ids: np.ndarray, pairs: list[tuple[int, int]], config: SonaConfig) -> list[int]:
    """Ids of the slice (not dropped by ``pairs``) that are old, unused and unsuccessful, ascending.

    Read after the merges are applied, so a kept pattern is judged on
    its merged statistics. Age is counted on the router's operation clock
    (routes, adds, learns).
    """
    dropped = {drop for _, drop in pairs}
    doomed = []
    for pattern_id in (int(i) for i in ids):
        if pattern_id in dropped:
            continue
        record = library.pattern(pattern_id)
        if (
            library.clock - record.created >= config.prune_age
            and record.usage_count <= config.prune_max_usage
            and record.success_rate < config.prune_success
        ):
            doomed.append(pattern_id)
    return doomed
