"""Learning under load: what SONA's background loop learns when requests come faster than it consolidates.

Usage::

    python benchmarks/bench_load.py [--length N] [--seed S] [--paces MS,MS,...]   (default 2000,20,10,5,2)
    python benchmarks/run.py bench_load.py --runtime cpython

Prints one JSON document. Deterministic for its arguments.

bench_learning's stream (:func:`~benchmarks.bench_learning.make_stream`: 8
agents, moving clusters, a drift halfway) is fed to the default engine as
bench_learning's ``engine`` variant does (route, ``process`` with ``q = 1`` or
``0``, ``learn_pattern`` of the right agent after a wrong route, ``tick`` on a
simulated clock), at one request every ``pace`` ms with the worker's tick
every 100 ms. The first pace is the baseline, measured in the same run: at
the default 2,000 ms (a person typing) every trajectory waits only for the
tick of its own ``min_batch``. Faster paces saturate the background queue:
each consolidating tick takes at most ``max_batch`` (32) trajectories and
hands at most ``max_learn_per_tick`` (4) to the pattern library, whatever
waits.

Per pace (``vs_baseline``: the ratio to the baseline's figure):

reached
    Share of the routed requests whose trajectory a consolidating tick took
    (the others were overwritten in the full ring, or still wait at the end).
confirmed_reached
    The same among confirmed routes (``q = 1``), the ones the pattern library
    can learn from.
patterns_learned
    Trajectories the library took (reinforced or added patterns).
mean_age
    Requests that came between a trajectory's own and the tick that took it.
dropped, ticks
    Trajectories overwritten in the full ring; background ticks that ran.
accuracy, after_drift
    Routing accuracy over the stream and after the drift.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys

import numpy as np

from benchmarks.bench_learning import EngineLearner, Stream, StreamConfig, make_stream, run_stream, summarise
from ruvllm_web import IntelligentConfig, RouterConfig
from ruvllm_web.learning.trajectory_ring import TrajectoryBatch

TICK_MS = 100.0


class RecordingEngine(EngineLearner):
    """bench_learning's engine learner that also records which trajectories each tick takes, and when."""

    def __init__(self, stream: Stream, config: IntelligentConfig, request_ms: float) -> None:
        super().__init__(stream, config, request_ms)
        self.step = 0
        self.taken: list[tuple[int, int, float]] = []  # (step at the tick, step of the trajectory, quality)
        ring = self.engine.sona.trajectories
        take = ring.take

        def recording_take(*args: object, **kwargs: object) -> TrajectoryBatch:
            batch = take(*args, **kwargs)
            for agent, context, quality in zip(batch.agents, batch.contexts, batch.qualities.tolist()):
                if agent:  # a process() trajectory (learn_pattern's carry no agent)
                    self.taken.append((self.step, int(context.split()[-1]), quality))
            return batch

        ring.take = recording_take

    def feedback(self, step: int, x: np.ndarray, predicted: str | None, truth: str) -> None:
        self.step = step
        super().feedback(step, x, predicted, truth)


def measure(stream: Stream, config: StreamConfig, pace_ms: float) -> dict[str, float]:
    """Feed ``stream`` at one request per ``pace_ms``; return the figures of the module docstring."""
    settings = IntelligentConfig(router=RouterConfig(dim=config.dim), seed=config.seed)
    learner = RecordingEngine(stream, settings, pace_ms)
    right = run_stream(learner, stream)
    summary = summarise(right, len(stream.ys), stream.drift_at)
    length = len(stream.ys)
    steps = np.array([step for _, step, _ in learner.taken], dtype=np.int64)
    confirmed = np.array([quality >= 1.0 for *_, quality in learner.taken], dtype=bool)
    routed_right = int(right.sum())  # every request is routed (seeds exist); q = 1 exactly when right
    sona = learner.engine.sona
    return {
        "pace_ms": pace_ms,
        "requests_per_tick": TICK_MS / pace_ms,
        "reached": round(len(np.unique(steps)) / length, 4),
        "confirmed_reached": round(len(np.unique(steps[confirmed])) / routed_right, 4),
        "patterns_learned": sona.patterns_learned,
        "mean_age": round(float(np.mean([now - step for now, step, _ in learner.taken])), 1),
        "dropped": sona.trajectories.dropped,
        "ticks": sona.ticks,
        "accuracy": summary["overall"],
        "after_drift": summary["after_drift"],
    }


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--length", type=int, default=StreamConfig.length)
    parser.add_argument("--seed", type=int, default=StreamConfig.seed)
    parser.add_argument("--paces", default="2000,20,10,5,2",
                        help="milliseconds between requests, comma-separated; the first is the baseline")
    options = parser.parse_args(argv)
    config = StreamConfig(length=options.length, seed=options.seed)
    stream = make_stream(config)
    paces = [float(p) for p in options.paces.split(",")]
    results = [measure(stream, config, pace) for pace in paces]
    baseline = results[0]
    compared = ("reached", "confirmed_reached", "patterns_learned", "accuracy", "after_drift")
    for result in results[1:]:
        result["vs_baseline"] = {
            name: round(result[name] / baseline[name], 4) if baseline[name] else None for name in compared
        }
    runtime = {"python": platform.python_version(), "numpy": np.__version__, "pyodide": sys.platform == "emscripten"}
    stream_settings = {"length": config.length, "seed": config.seed, "dim": config.dim}
    report = {"benchmark": "bench_load", "runtime": runtime, "stream": stream_settings, "tick_ms": TICK_MS,
              "paces": results}
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
