"""The structured snapshot fuzzer (tests/unit/snapshot_fuzz.py) at fixed seeds.

Every metadata node of a real engine, router and index is replaced by each
hostile value or deleted, objects get unknown keys, random nodes get several
values at once, and bytes are flipped, cut and appended; all re-signed where
that reaches further. Each case must be refused with ValueError or load and
work; benchmarks/fuzz_snapshots.py runs the larger campaign.
"""

import random
import warnings

import pytest

from tests.unit import snapshot_fuzz


@pytest.mark.parametrize("kind", sorted(snapshot_fuzz.SAMPLES))
def test_every_case_is_refused_or_works(kind: str) -> None:
    blob = snapshot_fuzz.SAMPLES[kind]()
    assert snapshot_fuzz.check(kind, blob)  # the unmutated sample loads and works
    document, payload = snapshot_fuzz.parse(blob)
    rng = random.Random(sorted(snapshot_fuzz.SAMPLES).index(kind))
    cases = (
        snapshot_fuzz.metadata_cases(document, payload, snapshot_fuzz.HOSTILE_QUICK)
        + snapshot_fuzz.random_cases(blob, rng, 150)
        + snapshot_fuzz.byte_cases(blob, rng, 300)
    )
    accepted = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflowing scores of crafted vectors
        for case in cases:
            accepted += snapshot_fuzz.check(kind, case)
    assert 0 < accepted < len(cases) // 4, (accepted, len(cases))
