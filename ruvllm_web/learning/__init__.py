"""Learning from feedback: SONA's three loops (:class:`SonaInstant`), what they use (EWC++, spherical
k-means, the ring of waiting requests) and the operator :class:`TrajectoryBuffer`."""

from ruvllm_web.learning.sona import AdaptationResult, SonaConfig, SonaInstant
from ruvllm_web.learning.trajectory import Trajectories, TrajectoryBuffer

__all__ = ["AdaptationResult", "SonaConfig", "SonaInstant", "Trajectories", "TrajectoryBuffer"]
