"""The CP-SAT model of one part, and solving it for one objective.

:class:`Model` wraps a ``CpModel`` with its option booleans, the objectives
built so far and the auxiliary variables a complete hint needs. The tiers'
registry (:mod:`~matchkracht.solver.cpsat.tiers`) builds it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from matchkracht.settings import SolverSettings
from matchkracht.solver.cpsat.budget import configure
from matchkracht.solver.cpsat.linear import BoolArray, Derived, IntArray, lsum
from matchkracht.solver.cpsat.rules import AuxOr

__all__ = ["Model", "maximize", "side_solve", "solution"]

logger = logging.getLogger("matchkracht")


@dataclass
class Model:
    """A CP-SAT model of one part (options given by position) with its objectives.

    Attributes
    ----------
    model
        The CP-SAT model: the hard rules, the objectives asked for so far, and
        the floors of the tiers held.
    x
        One boolean per option of the part, in the part's order.
    cover
        The coverage objective (built with the task-cover rule).
    tiers
        The objective of each step built so far, by step name (to maximise).
    aux_or
        Auxiliary booleans that equal "any of these options is chosen" in an
        optimal completion: hinted from the options so hints are complete.
    aux_fn
        Auxiliary integers whose value in an optimal completion is a function
        of the options (the fairness tier's highest share and squares).
    pending
        Builders of the steps not in the model yet.
    """

    model: cp_model.CpModel
    x: list[cp_model.IntVar]
    cover: cp_model.LinearExpr
    tiers: dict[str, cp_model.LinearExpr] = field(default_factory=dict)
    aux_or: list[AuxOr] = field(default_factory=list)
    aux_fn: list[Derived] = field(default_factory=list)
    pending: dict[str, Callable[[], dict[str, cp_model.LinearExpr]]] = field(default_factory=dict)

    def hint(self, values: BoolArray) -> None:
        """Hint every option and every auxiliary variable from ``values`` (a complete hint)."""
        self.model.clear_hints()  # type: ignore[no-untyped-call]
        for var, val in zip(self.x, values.tolist(), strict=True):
            self.model.add_hint(var, bool(val))
        for var, members in self.aux_or:
            self.model.add_hint(var, bool(values[members].any()))
        for ivar, fn in self.aux_fn:
            self.model.add_hint(ivar, fn(values))

    def hold(self, name: str, value: float, tolerance: float) -> int:
        """Keep tier ``name`` at ``value`` less ``tolerance`` in later solves; returns the floor.

        The tier's (integer) value may drop by at most ``|value| * tolerance``.
        """
        value = round(value)  # every tier is integer; CP-SAT reports a double
        keep = math.ceil(value - abs(value) * tolerance - 1e-9)
        self.model.add(self.tiers[name] >= keep)
        return keep

    def tier(self, name: str) -> cp_model.LinearExpr | None:
        """The objective of step ``name``, adding its variables to the model on first use.

        Later tiers are added only when their turn comes, so the coverage solve
        does not carry their auxiliary variables and constraints. A tier of
        several steps (fairness) builds all of them at its first step.
        """
        build = self.pending.pop(name, None)
        if build is not None:
            self.tiers.update(build())
        return self.tiers.get(name)


def maximize(m: Model, tier: str, start: BoolArray | None = None) -> None:
    """Set the objective of ``m`` to ``tier``; with ``start``, then to keep its options.

    CP-SAT returns any plan of the best value, which may undo what the start
    holds for tiers that come later (familiar faces). With ``start`` the
    objective is ``tier · (n + 1) + (options of start kept)``, ``n`` the
    options of ``start``: the same best value of ``tier``, and of the plans
    with it one that changes the start least.
    """
    if start is None:
        m.model.maximize(m.tiers[tier])
        return
    ours = np.flatnonzero(start).tolist()
    m.model.maximize(m.tiers[tier] * (len(ours) + 1) + lsum([m.x[i] for i in ours]))


def solution(
    solver: cp_model.CpSolver, code: cp_model.CpSolverStatus, m: Model, sel: IntArray, size: int
) -> BoolArray | None:
    """The plan CP-SAT found (over ``size`` options, the model's at ``sel``), if it found one."""
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    values = np.zeros(size, dtype=bool)
    values[sel] = [solver.boolean_value(v) for v in m.x]
    return values


def side_solve(
    settings: SolverSettings,
    m: Model,
    tier: str,
    start: BoolArray,
    budget: float,
    what: str,
    keep: bool = False,
) -> tuple[BoolArray | None, float]:
    """Maximise ``tier`` in ``m`` from the plan ``start`` (over the model's options).

    A solve besides the steps (the win-back and the probe warm starts). With
    ``keep``, of the plans of the best value the one that keeps most of
    ``start`` (:func:`maximize`). Returns the plan found over the model's
    options (``None`` without one) and the deterministic time used; ``what``
    names the solve in the debug log.
    """
    m.hint(start)
    maximize(m, tier, start if keep else None)
    solver = cp_model.CpSolver()
    configure(solver, settings, budget, len(start))
    code = solver.solve(m.model)
    logger.debug(
        "%s %s: %d options, %.2f s budget, %.2f s, %s, objective %s",
        what,
        tier,
        len(start),
        budget,
        solver.wall_time,
        solver.status_name(code),
        solver.objective_value if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None,
    )
    found = solution(solver, code, m, np.arange(len(start)), len(start))
    return found, solver.deterministic_time
