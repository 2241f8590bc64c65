"""ScopedLoRA: one MicroLoRA per query-plan operator, plus one per operator category.

With category fallback on (the default), an operator adapted fewer than
:data:`FALLBACK_ADAPTATIONS` (10) times blends its own adapter's output with
its category's::

    w   = min(adapt_count(op), 10) / 10
    out = w * own(x) + (1 - w) * category(x)

so a new operator starts from what its whole category has learned and hands
over to its own adapter as it gathers evidence. With fallback off, or from the
tenth adaptation on, ``out = own(x)``.

Every adaptation of ``op`` trains both its own adapter and its category's,
at the operator's last input ``x``, toward the same target. An operator that
has had no input of its own yet uses the manager's last input instead, the
input of the latest :meth:`ScopedLoRA.forward` of any operator (so "forward
a Scan, reward a Join" learns, as the learning-wasm document's example has it):

- ``adapt(op, g)`` reads ``g`` as the error of the scoped output,
  ``out - target`` (the gradient of ``0.5 * ||out - target||^2``), so
  ``target = out - g``; each adapter then steps on its own squared error,
  ``own(x) - target`` and ``category(x) - target``. Once ``w = 1`` the
  operator's step is exactly ``MicroLoRA.adapt(g)``.
- ``adapt_with_reward(op, r)`` gives both adapters the reward ``r`` for ``x``.

Training each adapter toward the target, rather than by the gradient of the
blend, keeps the operator learning while ``w = 0`` and makes the category
adapter a consensus of its operators, which is what a new operator inherits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ruvllm_web.lora.micro import MAX_REWARD, MicroLoRA
from ruvllm_web.lora.operators import (
    CATEGORY_COUNT,
    OPERATOR_COUNT,
    as_operator,
    category_of,
    scope_name,
)
from ruvllm_web.validation import as_bool, as_float, as_int, as_vector

#: Adaptations after which an operator no longer blends in its category.
FALLBACK_ADAPTATIONS = 10
_MAX_SEED = 2**62
_F32 = np.dtype(np.float32)


class ScopedLoRA:
    """Per-operator MicroLoRA adapters with category fallback.

    Parameters
    ----------
    dim, alpha, learning_rate, rank
        As :class:`~ruvllm_web.lora.micro.MicroLoRA`, shared by all 24 adapters.
    seed : int
        Operator ``op`` uses seed ``seed + op``, category ``c`` uses ``seed + 17 + c``.
    category_fallback : bool
        Blend in the category adapter for operators adapted fewer than 10 times.
    """

    scope_name = staticmethod(scope_name)

    def __init__(
        self,
        dim: int = 256,
        alpha: float = 0.1,
        learning_rate: float = 0.01,
        *,
        rank: int = 2,
        seed: int = 0,
        category_fallback: bool = True,
    ) -> None:
        self.seed = as_int(seed, "seed", 0, _MAX_SEED)
        self._category_fallback = as_bool(category_fallback, "category_fallback")
        self._operators = tuple(
            MicroLoRA(dim, alpha, learning_rate, rank=rank, seed=self.seed + op) for op in range(OPERATOR_COUNT))
        first = self._operators[0]
        self.dim, self.alpha, self.learning_rate, self.rank = first.dim, first.alpha, first.learning_rate, first.rank
        self._categories = tuple(
            MicroLoRA(dim, alpha, learning_rate, rank=rank, seed=self.seed + OPERATOR_COUNT + c)
            for c in range(CATEGORY_COUNT))
        self._category_index = tuple(int(category_of(op)) for op in range(OPERATOR_COUNT))
        #: The operator of the latest forward: its adapter holds the manager's last input.
        self._last_op: int | None = None
        self._shape = (self.dim,)
        self._blend = np.zeros(self.dim, dtype=np.float32)  # scratch: the second adapter's output
        # w = count / 10 as 0-d float32 arrays: ufuncs then skip converting a Python float.
        self._blend_weights = tuple(np.array(count / FALLBACK_ADAPTATIONS, dtype=np.float32)
                                    for count in range(FALLBACK_ADAPTATIONS))

    # ------------------------------------------------------------- queries
    @property
    def category_fallback(self) -> bool:
        """Whether operators with few adaptations blend in their category's adapter."""
        return self._category_fallback

    def set_category_fallback(self, enabled: object) -> None:
        """Turn category fallback on or off (``enabled`` must be a bool)."""
        self._category_fallback = as_bool(enabled, "enabled")

    def adapt_count(self, op: object) -> int:
        """Number of adaptations that changed operator ``op``'s own adapter."""
        return self._operators[as_operator(op)].adapt_count

    def total_adapt_count(self) -> int:
        """Sum of :meth:`adapt_count` over all 17 operators (category adapters not counted again)."""
        return sum(lora.adapt_count for lora in self._operators)

    def blend_weight(self, op: object) -> float:
        """Weight ``w`` of operator ``op``'s own adapter in its output (1.0 without fallback)."""
        return self._weight(self._operators[as_operator(op)])

    def operator_adapter(self, op: object) -> MicroLoRA:
        """The adapter owned by operator ``op`` (for inspection)."""
        return self._operators[as_operator(op)]

    def category_adapter(self, op: object) -> MicroLoRA:
        """The adapter of operator ``op``'s category (for inspection)."""
        return self._categories[self._category_index[as_operator(op)]]

    @property
    def param_count(self) -> int:
        """Trainable weights of all 24 adapters."""
        return sum(lora.param_count for lora in self._adapters())

    @property
    def memory_bytes(self) -> int:
        """Bytes held by all 24 adapters' arrays."""
        return sum(lora.memory_bytes for lora in self._adapters())

    def _adapters(self) -> tuple[MicroLoRA, ...]:
        return self._operators + self._categories

    def _weight(self, own: MicroLoRA) -> float:
        if not self._category_fallback:
            return 1.0
        return min(own.adapt_count, FALLBACK_ADAPTATIONS) / FALLBACK_ADAPTATIONS

    # ------------------------------------------------------------- forward
    def forward(self, op: object, x: object) -> np.ndarray:
        """Return the adapted ``x`` for operator ``op`` as a new ``(dim,)`` float32 array.

        Both adapters record ``x`` as their last input when the category is
        blended in; the operator's own adapter always does, and ``x`` becomes
        the manager's last input.

        Raises
        ------
        TypeError, ValueError
            For an operator outside ``0..16`` or an invalid ``x`` (as
            :meth:`MicroLoRA.forward`); nothing changes then.
        """
        if type(op) is not int or not 0 <= op < OPERATOR_COUNT:  # plain ints skip the generic check
            op = as_operator(op)
        own = self._operators[op]
        count = own.adapt_count
        if count >= FALLBACK_ADAPTATIONS or not self._category_fallback:
            out = own.forward(x)
            self._last_op = int(op)
            return out
        if type(x) is not np.ndarray or x.dtype is not _F32 or x.shape != self._shape:
            x = as_vector(x, self.dim, "input")
        out = np.empty(self.dim, dtype=np.float32)
        blend = self._blend
        category = self._categories[self._category_index[op]]
        # x and both outputs are vetted float32 (dim,) arrays: call the adapters' core pass directly.
        if count == 0:
            own._forward(x, blend)  # records x for adapt; its output has no weight yet
            category._forward(x, out)
        else:
            own._forward(x, out)
            category._forward(x, blend)
            np.subtract(out, blend, out=out)
            np.multiply(out, self._blend_weights[count], out=out)
            np.add(out, blend, out=out)
        self._last_op = int(op)
        return out

    def _input_of(self, own: MicroLoRA) -> np.ndarray | None:
        """The input an adaptation of ``own`` is taken at: its own last input, else the manager's, else None."""
        x = own.last_input
        if x is None and self._last_op is not None:
            x = self._operators[self._last_op].last_input
        return x

    # --------------------------------------------------------------- learn
    def adapt(self, op: object, gradient: object) -> bool:
        """Step operator ``op``'s own and category adapters toward ``out - gradient`` at its last input.

        An operator without an input of its own takes the manager's last input
        (which then becomes its own, as a forward would make it).

        ``gradient`` is ``dL/d(out)`` of the output :meth:`forward` returned
        for that input under ``L = 0.5 * ||out - target||^2`` (see the module
        docstring).

        Returns
        -------
        bool
            Whether any weights changed; ``False`` (nothing counted) when no
            operator has seen an input yet or the step is zero.
        """
        op = as_operator(op)
        g = as_vector(gradient, self.dim, "gradient")
        own = self._operators[op]
        x = self._input_of(own)
        if x is None:
            return False
        category = self._categories[self._category_index[op]]
        own_out, category_out = own.forward(x), category.forward(x)  # both now hold x as last input
        weight = self._weight(own)
        target = category_out + weight * (own_out - category_out) - g
        changed = own.adapt(own_out - target)
        return category.adapt(category_out - target) or changed

    def adapt_with_reward(self, op: object, improvement: object) -> bool:
        """Reward step (see :meth:`MicroLoRA.adapt_with_reward`) for operator ``op`` and its category.

        Both are rewarded at the operator's last input, or, when it has had none,
        at the manager's last input (the operator's own last input stays unset).

        Returns
        -------
        bool
            As :meth:`adapt`.
        """
        op = as_operator(op)
        as_float(improvement, "improvement", -MAX_REWARD, MAX_REWARD)
        own = self._operators[op]
        x = self._input_of(own)
        if x is None:
            return False
        changed = own.adapt_with_reward(improvement, x=x)
        return self._categories[self._category_index[op]].adapt_with_reward(improvement, x=x) or changed

    def reset_scope(self, op: object) -> None:
        """Reset operator ``op``'s own adapter (its category, shared with others, is kept).

        Its input is forgotten too, also as the manager's last input if it was that.
        """
        op = as_operator(op)
        self._operators[op].reset()
        if self._last_op == op:
            self._last_op = None

    def reset_all(self) -> None:
        """Reset all 17 operator and 7 category adapters and forget the manager's last input."""
        for lora in self._adapters():
            lora.reset()
        self._last_op = None

    # ------------------------------------------------------------- persist
    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Return ``(meta, arrays)``; adapter ``i`` (operators 0..16, then categories) is prefixed ``"i."``.

        ``meta["last_op"]`` is the operator of the latest forward (``None`` before any).
        """
        meta: dict[str, Any] = {"seed": self.seed, "category_fallback": self._category_fallback,
                                "last_op": self._last_op, "adapters": []}
        arrays: dict[str, np.ndarray] = {}
        for index, lora in enumerate(self._adapters()):
            lora_meta, lora_arrays = lora.to_state()
            meta["adapters"].append(lora_meta)
            arrays.update({f"{index}.{name}": array for name, array in lora_arrays.items()})
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> ScopedLoRA:
        """Rebuild from :meth:`to_state` output; ``ValueError`` on anything inconsistent.

        A state without ``last_op`` (saved before it existed) loads with no manager's last input.
        """
        if not isinstance(meta, dict) or not isinstance(arrays, dict):
            raise ValueError("invalid ScopedLoRA state: meta and arrays must be dicts")
        entries = meta.get("adapters")
        if not isinstance(entries, list) or len(entries) != OPERATOR_COUNT + CATEGORY_COUNT:
            raise ValueError(f"invalid ScopedLoRA state: expected {OPERATOR_COUNT + CATEGORY_COUNT} adapters")
        adapters = []
        for index, entry in enumerate(entries):
            prefix = f"{index}."
            sub_arrays = {name[len(prefix):]: array for name, array in arrays.items() if name.startswith(prefix)}
            adapters.append(MicroLoRA.from_state(entry, sub_arrays))
        first = adapters[0]
        last_op = meta.get("last_op")
        try:
            scoped = cls(first.dim, first.alpha, first.learning_rate, rank=first.rank, seed=meta.get("seed"),
                         category_fallback=meta.get("category_fallback"))
            scoped._last_op = None if last_op is None else int(as_operator(last_op, "last_op"))
        except (TypeError, ValueError) as error:
            raise ValueError(f"invalid ScopedLoRA state: {error}") from None
        for index, lora in enumerate(adapters):
            config = (lora.dim, lora.alpha, lora.learning_rate, lora.rank, lora.seed)
            if config != (scoped.dim, scoped.alpha, scoped.learning_rate, scoped.rank, scoped.seed + index):
                raise ValueError(f"invalid ScopedLoRA state: adapter {index} has a different configuration")
        scoped._operators = tuple(adapters[:OPERATOR_COUNT])
        scoped._categories = tuple(adapters[OPERATOR_COUNT:])
        return scoped

    def to_dict(self) -> dict[str, Any]:
        """The whole state as a JSON-able dict (bit-exact, as :meth:`MicroLoRA.to_dict`)."""
        return {"seed": self.seed, "category_fallback": self._category_fallback, "last_op": self._last_op,
                "adapters": [lora.to_dict() for lora in self._adapters()]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScopedLoRA:
        """Rebuild from :meth:`to_dict` output (validated as :meth:`from_state`)."""
        if not isinstance(data, dict) or not isinstance(data.get("adapters"), list):
            raise ValueError("invalid ScopedLoRA state: expected a dict with an 'adapters' list")
        meta = {key: value for key, value in data.items() if key != "adapters"}
        meta["adapters"], arrays = [], {}
        for index, entry in enumerate(data["adapters"]):
            lora_meta, lora_arrays = MicroLoRA.from_dict(entry).to_state()
            meta["adapters"].append(lora_meta)
            arrays.update({f"{index}.{name}": array for name, array in lora_arrays.items()})
        return cls.from_state(meta, arrays)

    def __repr__(self) -> str:
        return (f"ScopedLoRA(dim={self.dim}, rank={self.rank}, category_fallback={self._category_fallback}, "
                f"total_adapt_count={self.total_adapt_count()})")

