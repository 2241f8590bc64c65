"""The saved state of an HnswIndex: its layout, its versions, and its checks on load.

An index holding ``high`` slots (live, free and waiting ones) is saved as
``(meta, arrays)`` (:meth:`HnswIndex.to_state <ruvllm_web.hnsw.index.HnswIndex.to_state>`;
:mod:`ruvllm_web.snapshot` packs them):

``meta``
    ``version``; the settings ``dim``, ``m``, ``ef_construction``,
    ``ef_search``, ``metric``, ``seed``, ``exact_threshold``; ``entry`` (the
    entry point's slot, -1 for none) and ``max_level`` (its level);
    ``next_id``; ``rng``, the level generator's PCG64 state as numpy reports it.
``arrays``
    ``stored`` ``(high, width)`` float32, ``ids`` ``(high,)`` int64 and
    ``levels`` ``(high,)`` int32 (both -1 at a free slot), ``waiting`` (int64
    slots stored but not yet linked, oldest first), and the links
    (:meth:`~ruvllm_web.hnsw.links.HnswLinks.to_arrays`).

Version 2 adds ``waiting``; a version-1 state has every vector linked. A
state to load is untrusted: :func:`read_settings` and :func:`read_contents`
check every value, and each against the others, before an index holds any
of it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ruvllm_web.hnsw.links import HnswLinks
from ruvllm_web.hnsw.metric import Metric
from ruvllm_web.validation import as_int

#: Largest id and seed: int64's.
MAX_ID = 2**63 - 1
#: Highest top layer of a node: the level generator's draws are capped here.
MAX_LEVEL = 32
#: The container kind of :meth:`HnswIndex.to_bytes <ruvllm_web.hnsw.index.HnswIndex.to_bytes>`.
SNAPSHOT_KIND = "HnswIndex"
#: Version 2 adds the ``waiting`` array (slots not yet linked, oldest first); version 1 loads with none.
STATE_VERSION = 2
#: The settings in ``meta``, in the order they are written: the keyword arguments of ``HnswIndex``.
SETTINGS = ("dim", "m", "ef_construction", "ef_search", "metric", "seed", "exact_threshold")
#: The level generator's state as numpy's PCG64 reports it: two 128-bit words, a cached 32-bit half.
_RNG_WORD = 2**128


class Contents(NamedTuple):
    """What an index holds beyond its settings, as a state saves it: arrays cut to the ``high`` slots in use."""

    stored: np.ndarray
    ids: np.ndarray
    levels: np.ndarray
    links: HnswLinks
    waiting: list[int]
    entry: int
    max_level: int
    next_id: int
    rng: dict[str, Any]


def to_state(settings: dict[str, Any], contents: Contents) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Return ``(meta, arrays)`` of an index with ``settings`` (:data:`SETTINGS`) and ``contents``."""
    meta = {
        "version": STATE_VERSION,
        **{name: settings[name] for name in SETTINGS},
        "entry": contents.entry,
        "max_level": contents.max_level,
        "next_id": contents.next_id,
        "rng": contents.rng,
    }
    arrays = {
        "stored": contents.stored,
        "ids": contents.ids,
        "levels": contents.levels,
        "waiting": np.array(contents.waiting, dtype=np.int64),
    }
    arrays.update(contents.links.to_arrays(contents.stored.shape[0]))
    return meta, arrays


def read_settings(meta: object) -> dict[str, Any]:
    """The :data:`SETTINGS` of a state's ``meta``, unchecked (``HnswIndex`` checks them).

    Raises
    ------
    ValueError
        If ``meta`` is not a dict of a known version, or lacks a setting.
    """
    if not isinstance(meta, dict) or meta.get("version") not in (1, STATE_VERSION):
        raise ValueError(f"HNSW state must be a dict with version 1 or {STATE_VERSION}")
    try:
        return {name: meta[name] for name in SETTINGS}
    except KeyError as error:
        raise ValueError(f"corrupted HNSW state: {error}") from None


def read_contents(
    meta: dict[str, Any], arrays: object, metric: Metric, m: int, exact_threshold: int
) -> Contents:
    """Check the rest of a state whose settings an index accepted: ``metric``, ``m`` and ``exact_threshold``.

    Raises
    ------
    ValueError
        If any value or array is missing, of the wrong type or shape, or
        inconsistent with the rest.
    """
    try:
        entry = as_int(meta["entry"], "entry", -1, MAX_ID)
        max_level = as_int(meta["max_level"], "max_level", -1, MAX_LEVEL)
        next_id = as_int(meta["next_id"], "next_id", 0, MAX_ID + 1)  # one past the largest id
        rng = _rng_state(meta["rng"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"corrupted HNSW state: {error}") from None
    if meta["version"] == 1 and isinstance(arrays, dict):  # version 1 linked every vector at once
        arrays = {**arrays, "waiting": np.zeros(0, dtype=np.int64)}
    if not isinstance(arrays, dict):
        raise ValueError("corrupted HNSW state: arrays must be a dict")
    stored = arrays.get("stored")
    ids = arrays.get("ids")
    levels = arrays.get("levels")
    if not isinstance(stored, np.ndarray) or stored.dtype != np.float32 or stored.ndim != 2:
        raise ValueError("corrupted HNSW state: stored must be a float32 matrix")
    high = stored.shape[0]
    if stored.shape[1] != metric.width:
        raise ValueError(f"corrupted HNSW state: stored rows have {stored.shape[1]} values, expected {metric.width}")
    if not isinstance(ids, np.ndarray) or ids.dtype != np.int64 or ids.shape != (high,):
        raise ValueError(f"corrupted HNSW state: ids must be int64 of shape ({high},)")
    if not isinstance(levels, np.ndarray) or levels.dtype != np.int32 or levels.shape != (high,):
        raise ValueError(f"corrupted HNSW state: levels must be int32 of shape ({high},)")
    live = ids >= 0
    live_ids = ids[live]
    if not np.isfinite(stored).all():
        raise ValueError("corrupted HNSW state: stored vectors contain NaN or Inf")
    if np.unique(live_ids).shape[0] != live_ids.shape[0] or (live_ids >= next_id).any() or (ids < -1).any():
        raise ValueError("corrupted HNSW state: ids are repeated, negative or not below next_id")
    if not np.array_equal(levels < 0, ~live) or (levels < -1).any() or (levels > MAX_LEVEL).any():
        raise ValueError("corrupted HNSW state: levels do not match the live ids")
    if metric.name == "cosine" and live.any():
        norms = np.sqrt(np.einsum("ij,ij->i", stored[live], stored[live]))
        if np.abs(norms - 1.0).max() > 1e-3:
            raise ValueError("corrupted HNSW state: cosine vectors are not unit length")
    waiting = _waiting_mask(arrays.get("waiting"), live, exact_threshold)
    linked = live & ~waiting
    if linked.any():
        if not (0 <= entry < high and linked[entry] and levels[entry] == max_level == levels[linked].max()):
            raise ValueError("corrupted HNSW state: entry point is not a linked node of the top level")
    elif entry != -1 or max_level != -1:
        raise ValueError("corrupted HNSW state: an index without linked nodes has an entry point")
    links = HnswLinks.from_arrays(m, arrays, levels)
    if waiting.any() and not links.unlinked(np.flatnonzero(waiting), high):
        raise ValueError("corrupted HNSW state: a waiting node has links or is linked to")
    return Contents(stored, ids, levels, links, arrays["waiting"].tolist(), entry, max_level, next_id, rng)


def _waiting_mask(waiting: object, live: np.ndarray, exact_threshold: int) -> np.ndarray:
    """Validate a state's ``waiting`` slots against the ``live`` mask; return them as a mask ``(high,)``."""
    if not isinstance(waiting, np.ndarray) or waiting.dtype != np.int64 or waiting.ndim != 1:
        raise ValueError("corrupted HNSW state: waiting must be a 1-D int64 array")
    high = live.shape[0]
    if ((waiting < 0) | (waiting >= high)).any() or not live[waiting].all():
        raise ValueError("corrupted HNSW state: waiting holds a slot that is not a live node")
    if np.unique(waiting).shape[0] != waiting.shape[0]:
        raise ValueError("corrupted HNSW state: waiting holds a slot twice")
    if waiting.shape[0] and int(live.sum()) > exact_threshold:
        raise ValueError("corrupted HNSW state: nodes wait in an index searched through its graph")
    mask = np.zeros(high, dtype=bool)
    mask[waiting] = True
    return mask


def _rng_state(state: object) -> dict[str, Any]:
    """``state`` checked to be a PCG64 state as ``bit_generator.state`` reports it (``ValueError`` if not).

    numpy itself raises OverflowError or TypeError for some malformed states,
    or accepts extra keys, so every field is checked here first.
    """
    if (
        not isinstance(state, dict) or set(state) != {"bit_generator", "state", "has_uint32", "uinteger"}
        or state["bit_generator"] != "PCG64" or not isinstance(state["state"], dict)
        or set(state["state"]) != {"state", "inc"}
    ):
        raise ValueError("rng must be the state of a PCG64 generator")
    for word in ("state", "inc"):
        as_int(state["state"][word], f"rng {word}", 0, _RNG_WORD - 1)
    as_int(state["has_uint32"], "rng has_uint32", 0, 1)
    as_int(state["uinteger"], "rng uinteger", 0, 2**32 - 1)
    return state
