"""ruvllm_web: an on-device, self-learning router and adapter.

The engine is pure numpy and never knows where it runs: the same code serves
CPython and Pyodide inside a Web Worker. Only :mod:`ruvllm_web.bridge` knows
about JavaScript.
"""

from ruvllm_web._version import __version__
from ruvllm_web.micro_lora import MicroLoRA
from ruvllm_web.operators import OperatorCategory, OperatorType, scope_name
from ruvllm_web.scoped_lora import ScopedLoRA
from ruvllm_web.trajectory import Trajectories, TrajectoryBuffer

__all__ = [
    "MicroLoRA", "OperatorCategory", "OperatorType", "ScopedLoRA", "Trajectories", "TrajectoryBuffer", "__version__",
    "scope_name",
]
