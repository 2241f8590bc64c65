#!/usr/bin/env python3
"""A fuzzing campaign against snapshot loading (CPython), the large run of tests/unit/test_snapshot_fuzz.py.

    python benchmarks/fuzz_snapshots.py [--random 6000] [--bytes 3000] [--seed 0]

For each sample (an engine, a router, a graph index and a lazily linked
index; tests/unit/snapshot_fuzz.py): every metadata node replaced by every
value of ``HOSTILE`` or deleted, and every object given an unknown key
(re-signed); ``--random`` cases of one to three hostile values at random
nodes (re-signed); ``--bytes`` cases of flipped, cut and appended bytes
(raw and re-signed). Each case must be refused with ValueError or load and
work (``snapshot_fuzz.check``, which runs an engine's background loop
first). Prints one JSON document: cases tried, refused, accepted and
crashes per sample, and the first crashes found; exits 1 on any crash.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.unit import snapshot_fuzz  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", type=int, default=6000, help="random multi-value cases per sample")
    parser.add_argument("--bytes", type=int, default=3000, help="byte-damage cases per sample")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)  # overflowing scores of crafted vectors are expected
    started = time.perf_counter()
    report: dict[str, object] = {"seed": args.seed, "samples": {}, "crashes": []}
    totals = {"tried": 0, "refused": 0, "accepted": 0, "crashed": 0}
    for number, (kind, make) in enumerate(snapshot_fuzz.SAMPLES.items()):
        rng = random.Random(args.seed * 1000 + number)
        blob = make()
        document, payload = snapshot_fuzz.parse(blob)
        cases = (
            snapshot_fuzz.metadata_cases(document, payload, snapshot_fuzz.HOSTILE)
            + snapshot_fuzz.random_cases(blob, rng, args.random)
            + snapshot_fuzz.byte_cases(blob, rng, args.bytes)
        )
        counts = {"tried": len(cases), "refused": 0, "accepted": 0, "crashed": 0}
        for position, case in enumerate(cases):
            try:
                counts["accepted" if snapshot_fuzz.check(kind, case) else "refused"] += 1
            except Exception as error:  # noqa: BLE001 - a crash is what the campaign counts
                counts["crashed"] += 1
                if len(report["crashes"]) < 20:
                    where = traceback.extract_tb(error.__traceback__)[-1]
                    report["crashes"].append({
                        "sample": kind, "case": position, "error": f"{type(error).__name__}: {error}"[:300],
                        "at": f"{Path(where.filename).name}:{where.lineno}",
                    })
        report["samples"][kind] = counts
        for key in totals:
            totals[key] += counts[key]
    report["total"] = totals
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2))
    return 1 if totals["crashed"] else 0


if __name__ == "__main__":
    sys.exit(main())
