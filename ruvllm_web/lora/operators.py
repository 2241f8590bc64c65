"""Query-plan operator types and their categories, numbered as the learning-wasm document.

Seventeen operators; the first six keep the document's numbers::

    0 Scan  1 Filter  2 Join  3 Aggregate  4 Project  5 Sort  6 Limit  7 GroupBy
    8 IndexScan  9 HnswScan  10 IvfFlatScan  11 NestedLoopJoin  12 HashJoin
    13 MergeJoin  14 VectorDistance  15 Rerank  16 Materialize

Seven categories group them: Scan {0, 8, 9, 10}, Join {2, 11, 12, 13},
Aggregation {3, 7}, Transform {1, 4}, Order {5, 6}, Vector {14, 15},
Utility {16}.
"""

from __future__ import annotations

from enum import IntEnum

from ruvllm_web.validation import as_int


class OperatorType(IntEnum):
    """A query-plan operator; ``int(op)`` is its number in the document."""

    SCAN = 0
    FILTER = 1
    JOIN = 2
    AGGREGATE = 3
    PROJECT = 4
    SORT = 5
    LIMIT = 6
    GROUP_BY = 7
    INDEX_SCAN = 8
    HNSW_SCAN = 9
    IVF_FLAT_SCAN = 10
    NESTED_LOOP_JOIN = 11
    HASH_JOIN = 12
    MERGE_JOIN = 13
    VECTOR_DISTANCE = 14
    RERANK = 15
    MATERIALIZE = 16


class OperatorCategory(IntEnum):
    """A group of related operators that share a fallback adapter."""

    SCAN = 0
    JOIN = 1
    AGGREGATION = 2
    TRANSFORM = 3
    ORDER = 4
    VECTOR = 5
    UTILITY = 6


OPERATOR_COUNT = len(OperatorType)
CATEGORY_COUNT = len(OperatorCategory)

_OPERATOR_NAMES = (
    "Scan", "Filter", "Join", "Aggregate", "Project", "Sort", "Limit", "GroupBy", "IndexScan", "HnswScan",
    "IvfFlatScan", "NestedLoopJoin", "HashJoin", "MergeJoin", "VectorDistance", "Rerank", "Materialize",
)
_CATEGORY_NAMES = ("Scan", "Join", "Aggregation", "Transform", "Order", "Vector", "Utility")

#: The operators of each category, as listed in SPEC.md.
CATEGORY_MEMBERS: dict[OperatorCategory, tuple[OperatorType, ...]] = {
    OperatorCategory.SCAN: (OperatorType.SCAN, OperatorType.INDEX_SCAN, OperatorType.HNSW_SCAN,
                            OperatorType.IVF_FLAT_SCAN),
    OperatorCategory.JOIN: (OperatorType.JOIN, OperatorType.NESTED_LOOP_JOIN, OperatorType.HASH_JOIN,
                            OperatorType.MERGE_JOIN),
    OperatorCategory.AGGREGATION: (OperatorType.AGGREGATE, OperatorType.GROUP_BY),
    OperatorCategory.TRANSFORM: (OperatorType.FILTER, OperatorType.PROJECT),
    OperatorCategory.ORDER: (OperatorType.SORT, OperatorType.LIMIT),
    OperatorCategory.VECTOR: (OperatorType.VECTOR_DISTANCE, OperatorType.RERANK),
    OperatorCategory.UTILITY: (OperatorType.MATERIALIZE,),
}
_CATEGORY_OF = tuple(
    next(category for category, members in CATEGORY_MEMBERS.items() if op in members) for op in OperatorType
)


def as_operator(value: object, name: str = "op_type") -> OperatorType:
    """Return ``value`` as an :class:`OperatorType`.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (``bool`` and floats are refused).
    ValueError
        If it is not in ``0..16``.
    """
    return OperatorType(as_int(value, name, 0, OPERATOR_COUNT - 1))


def scope_name(op: object) -> str:
    """The document's name of operator ``op``: ``scope_name(0) == "Scan"``, ``scope_name(12) == "HashJoin"``."""
    return _OPERATOR_NAMES[as_operator(op)]


def category_of(op: object) -> OperatorCategory:
    """The category of operator ``op``: ``category_of(12) is OperatorCategory.JOIN``."""
    return _CATEGORY_OF[as_operator(op)]


def category_name(category: object) -> str:
    """The name of a category: ``category_name(1) == "Join"``."""
    return _CATEGORY_NAMES[as_int(category, "category", 0, CATEGORY_COUNT - 1)]
