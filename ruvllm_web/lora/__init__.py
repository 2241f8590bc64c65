"""Low-rank adapters: :class:`MicroLoRA` (``out = x + alpha * (x @ A) @ B``), :class:`ScopedLoRA` (one
MicroLoRA per query-plan operator and per operator category) and the operator numbering they share."""

from ruvllm_web.lora.micro import MicroLoRA
from ruvllm_web.lora.operators import OperatorCategory, OperatorType, scope_name
from ruvllm_web.lora.scoped import ScopedLoRA

__all__ = ["MicroLoRA", "OperatorCategory", "OperatorType", "ScopedLoRA", "scope_name"]
