"""The supply relaxation with every volunteer's week exact: a Lagrangian bound, and column generation.

The supply LP (:mod:`~matchkracht.solver.cpsat.supply`) lets a volunteer do
fractions of tasks: half of four lunches keeps a cap of two a week. Here a
volunteer's own rows (weekly task and minute caps, day spans, common
moments) are replaced by their exact week: a set of pairs, one start each,
with no two occupied times overlapping and the weekly caps kept. The other
rows (a task's cover, care teams) are priced with multipliers: with ``l <= 0``
on those ``<=`` rows and any ``m`` on the equalities, the reduced weights
``r = w + eq.T @ m + ub_D.T @ l`` and ``V_v(r)`` the best ``sum(r[p])`` over
volunteer ``v``'s exact weeks, every plan covers at most::

    -(l @ b_D) + sum(max(0, r[j]) for the task and team columns j) + sum(V_v(r) for v)

(Lagrangian relaxation: the plan's own pairs make one exact week per
volunteer, and the priced rows only add non-negative terms.) It holds for
*any* multipliers; ``V_v`` is CP-SAT's proven bound on a model of one
volunteer's week (a few options), with the weights rounded up. A volunteer
whose week is not solved (time) counts the LP's own terms instead: their own
rows priced by the LP's duals, also valid. With the LP's own duals and no
week solved this is the LP's bound exactly.

Better multipliers come from column generation: the weeks found are columns
of a master LP (a volunteer takes at most one of their weeks, as a convex
combination), together with the plan's weeks and, where the LP is small
enough (:data:`SINGLETON_PAIRS`), every pair on its own; its duals price the
next round. Each round's bound is valid; the smallest is kept.

Measured on the scarce municipality (optimum 75.01 % weighted coverage): LP
78.99 %, the Lagrangian at the LP's duals 76.75 % (0.2 s), after 8 rounds
75.13 % (5.6 s).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from ortools.sat.python import cp_model
from scipy.optimize import linprog

from matchkracht.problem.core import IntArray, Problem
from matchkracht.problem.occupancy import covered_tasks
from matchkracht.solver.cpsat.linear import groups, lsum
from matchkracht.solver.cpsat.rules import interval_cliques
from matchkracht.solver.cpsat.supply import SupplyLP, bound_of, solve_lp, supply_lp

__all__ = ["SINGLETON_PAIRS", "Piece", "WeeksBound", "tighten", "weeks_bound"]

#: Reduced weights are scaled by this and rounded up for CP-SAT (integer weights).
SCALE = 10_000
#: The master LP holds every pair as a one-pair week up to this many pairs
#: (steadier duals; above it, the plan's weeks and those found only). Measured
#: on the scarce municipality (22,243 pairs): with them 75.13 % after 8 rounds
#: (5.6 s), without 75.67 % after 15 (9.6 s).
SINGLETON_PAIRS = 60_000
#: Deterministic mode: options of volunteers' week models per second of budget,
#: master LPs included (measured on the scarce municipality, idle 2-core machine:
#: 10 rounds priced 29,388 options in 5.4 s, the pricing alone 15,000 a second).
WEEK_WORK_PER_SECOND = 5_000


@dataclass(frozen=True)
class WeeksBound:
    """The bound of :func:`weeks_bound`.

    Attributes
    ----------
    bound
        Upper bound on the covered weight of any plan of the options (``None``
        when the LP gave no duals in time).
    lp_bound
        The supply LP's own bound (``None`` likewise).
    rounds
        Rounds of exact weeks priced (the first at the LP's duals).
    seconds
        Wall-clock seconds, the LP included.
    """

    bound: int | None
    lp_bound: int | None
    rounds: int
    seconds: float


def _week(
    problem: Problem, options: IntArray, reduced: np.ndarray, vol: int, deterministic: bool
) -> tuple[float, IntArray]:
    """``V_v``: an upper bound on one volunteer's best week, and the pairs of the best found."""
    p = problem
    pos = np.flatnonzero(reduced > 0)
    if len(pos) == 0:
        return 0.0, np.zeros(0, dtype=np.int64)
    opts = options[pos]
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(opts))]
    pairs = p.opt_pair[opts]
    for g in groups(pairs):
        if len(g) > 1:
            model.add_at_most_one([x[i] for i in g.tolist()])
    for clique in interval_cliques(p.opt_depart[opts], p.opt_return[opts]):
        model.add_at_most_one([x[i] for i in clique])
    for g in groups(p.task_week[p.opt_task[opts]]):
        xs = [x[i] for i in g.tolist()]
        if len(np.unique(pairs[g])) > p.vol_max_tasks[vol]:
            model.add(lsum(xs) <= int(p.vol_max_tasks[vol]))
        minutes = p.pair_occupied[pairs[g]]
        model.add(
            cp_model.LinearExpr.weighted_sum(xs, minutes.tolist()) <= int(p.vol_max_minutes[vol])
        )
    weights = np.ceil(reduced[pos] * SCALE).astype(np.int64)
    model.maximize(cp_model.LinearExpr.weighted_sum(x, weights.tolist()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    if deterministic:
        solver.parameters.max_deterministic_time = 1.0
    else:
        solver.parameters.max_time_in_seconds = 1.0
    code = solver.solve(model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return float(weights.sum()) / SCALE, np.zeros(0, dtype=np.int64)
    chosen = np.array([solver.boolean_value(v) for v in x], dtype=bool)
    return solver.best_objective_bound / SCALE, np.unique(pairs[chosen])


@dataclass
class _Lagrangian:
    """The pieces of the Lagrangian bound that do not change between rounds."""

    problem: Problem
    lp: SupplyLP
    priced: IntArray  # ub rows priced (not a volunteer's own)
    priced_ub: sp.csr_matrix | None  # those rows of lp.ub
    own: IntArray  # ub rows that are a volunteer's own
    own_ub: sp.csr_matrix | None  # those rows of lp.ub
    own_vol: IntArray  # per own row, its volunteer
    vol_ids: list[int]  # volunteers, in the order of vol_options
    vol_options: list[IntArray]  # per volunteer, positions into lp.options
    option_col: IntArray  # per option of lp.options, its y column

    @classmethod
    def of(cls, problem: Problem, lp: SupplyLP) -> _Lagrangian:
        p = problem
        rows = np.arange(len(lp.own))  # lp.own has one entry per ub row (none without ub)
        priced, own = rows[~lp.own], rows[lp.own]
        priced_ub = lp.ub[priced] if lp.ub is not None and len(priced) else None
        own_ub = lp.ub[own] if lp.ub is not None and len(own) else None
        own_vol = np.zeros(0, dtype=np.int64)
        if own_ub is not None:
            first = own_ub.indices[own_ub.indptr[:-1]]  # each own row's first pair names it
            own_vol = p.pair_vol[lp.pairs[first]].astype(np.int64)
        vols = p.opt_vol[lp.options]
        vol_groups = groups(vols)
        return cls(
            problem=p,
            lp=lp,
            priced=priced,
            priced_ub=priced_ub,
            own=own,
            own_ub=own_ub,
            own_vol=own_vol,
            vol_ids=[int(vols[g[0]]) for g in vol_groups],
            vol_options=vol_groups,
            option_col=np.searchsorted(lp.pairs, p.opt_pair[lp.options]),
        )

    def value(
        self,
        ub_duals: np.ndarray | None,
        eq_duals: np.ndarray,
        deadline: float,
        deterministic: bool,
    ) -> tuple[float, list[tuple[int, IntArray]], int]:
        """The bound at these multipliers, the weeks found (volunteer position, y columns), options priced."""
        lp = self.lp
        n_pairs = len(lp.pairs)
        weight = -lp.c
        reduced = weight + lp.eq.T @ eq_duals
        const = 0.0
        own_term = np.zeros(max(self.vol_ids, default=-1) + 1)
        own_reduced = np.zeros(len(weight))
        if ub_duals is not None and lp.b_ub is not None:
            lam = np.minimum(ub_duals, 0.0)
            if self.priced_ub is not None:
                reduced = reduced + self.priced_ub.T @ lam[self.priced]
                const -= float(lam[self.priced] @ lp.b_ub[self.priced])
            if self.own_ub is not None:
                own_reduced = self.own_ub.T @ lam[self.own]
                np.add.at(own_term, self.own_vol, -lam[self.own] * lp.b_ub[self.own])
        total = const + float(np.maximum(reduced[n_pairs:], 0.0).sum())
        # the LP's terms of each volunteer: their own rows priced too
        surrogate = np.maximum(reduced[:n_pairs] + own_reduced[:n_pairs], 0.0)
        weeks: list[tuple[int, IntArray]] = []
        work = 0
        p = self.problem
        pair_vol = p.pair_vol[lp.pairs]
        lp_part = own_term + np.bincount(pair_vol, weights=surrogate, minlength=len(own_term))
        for k, (vol, pos) in enumerate(zip(self.vol_ids, self.vol_options, strict=True)):
            fallback = float(lp_part[vol])
            if time.perf_counter() > deadline:
                total += fallback
                continue
            cols = self.option_col[pos]
            value, chosen = _week(p, lp.options[pos], reduced[cols], vol, deterministic)
            work += int((reduced[cols] > 0).sum())
            total += min(value, fallback)
            if len(chosen):
                weeks.append((k, np.searchsorted(lp.pairs, chosen)))
        return total, weeks, work


def _master(
    lag: _Lagrangian, columns: list[tuple[int, IntArray]], seconds: float | None
) -> tuple[np.ndarray | None, np.ndarray | None, float]:
    """Duals of the master LP over the weeks ``columns`` (``<=`` rows of the LP's priced rows)."""
    lp = lag.lp
    n_pairs = len(lp.pairs)
    n_weeks = len(columns)
    lens = [len(c) for _, c in columns]
    incidence = sp.csc_matrix(
        (
            np.ones(sum(lens)),
            (np.concatenate([c for _, c in columns]), np.repeat(np.arange(n_weeks), lens)),
        ),
        shape=(n_pairs, n_weeks),
    )
    rest = len(lp.c) - n_pairs
    eq = sp.hstack([lp.eq[:, :n_pairs] @ incidence, lp.eq[:, n_pairs:]]).tocsr()
    owner = np.array([k for k, _ in columns])
    convex = sp.csr_matrix(
        (np.ones(n_weeks), (owner, np.arange(n_weeks))), shape=(len(lag.vol_ids), n_weeks)
    )
    blocks = [sp.hstack([convex, sp.csr_matrix((len(lag.vol_ids), rest))])]
    b = [np.ones(len(lag.vol_ids))]
    if lag.priced_ub is not None and lp.b_ub is not None:
        priced = lag.priced_ub
        blocks.insert(0, sp.hstack([priced[:, :n_pairs] @ incidence, priced[:, n_pairs:]]))
        b.insert(0, lp.b_ub[lag.priced])
    c = np.concatenate([np.zeros(n_weeks), lp.c[n_pairs:]])
    res = linprog(
        c,
        A_ub=sp.vstack(blocks).tocsr(),
        b_ub=np.concatenate(b),
        A_eq=eq,
        b_eq=np.zeros(eq.shape[0]),
        bounds=(0.0, 1.0),
        method="highs",
        options={} if seconds is None else {"time_limit": max(seconds, 0.01)},
    )
    if res.status != 0:
        return None, None, math.inf
    ub_duals = np.zeros(0 if lp.b_ub is None else len(lp.b_ub))
    if len(lag.priced):
        ub_duals[lag.priced] = res.ineqlin.marginals[: len(lag.priced)]
    return ub_duals, res.eqlin.marginals, -float(res.fun)


def weeks_bound(
    problem: Problem,
    options: IntArray,
    time_limit: float,
    *,
    plan: IntArray | None = None,
    deterministic: bool = False,
    safety_factor: float = 10.0,
) -> WeeksBound:
    """Bound the covered weight of any plan of ``options`` with every volunteer's week exact.

    Parameters
    ----------
    problem
        The problem.
    options
        Option indices (a component, or all of them).
    time_limit
        Seconds, the supply LP included (it gets what it needs first, see
        :func:`~matchkracht.solver.cpsat.supply.supply_bound`); then rounds of
        weeks while time is left.
    plan
        Options of a plan (its weeks seed the master LP); optional.
    deterministic
        Same input, same bound: the LP as in ``supply_bound`` and the rounds
        by a count of options priced (:data:`WEEK_WORK_PER_SECOND`), with
        ``safety_factor`` times ``time_limit`` of wall clock as a safety net.
    safety_factor
        See ``deterministic``.

    Returns
    -------
    WeeksBound
    """
    t0 = time.perf_counter()
    p = problem
    lp = supply_lp(p, np.asarray(options, dtype=np.int64))
    if lp is None:
        return WeeksBound(0, 0, 0, time.perf_counter() - t0)
    ub_duals, eq_duals, lp_bound = solve_lp(
        lp, time_limit, deterministic=deterministic, safety_factor=safety_factor
    )
    if eq_duals is None or lp_bound is None:
        return WeeksBound(None, None, 0, time.perf_counter() - t0)
    best = float(lp_bound)
    lag = _Lagrangian.of(p, lp)
    deadline = t0 + (time_limit * safety_factor if deterministic else time_limit)
    work_left = time_limit * WEEK_WORK_PER_SECOND if deterministic else math.inf
    columns: list[tuple[int, IntArray]] = []
    position = {v: k for k, v in enumerate(lag.vol_ids)}
    if plan is not None and len(plan):
        mine = np.asarray(plan, dtype=np.int64)
        mine = mine[np.isin(mine, lp.options)]
        plan_pairs = np.unique(p.opt_pair[mine])
        for g in groups(p.pair_vol[plan_pairs]):
            columns.append(
                (
                    position[int(p.pair_vol[plan_pairs[g[0]]])],
                    np.searchsorted(lp.pairs, plan_pairs[g]),
                )
            )
    if len(lp.pairs) <= SINGLETON_PAIRS:
        owner = np.array([position[int(v)] for v in p.pair_vol[lp.pairs].tolist()])
        columns.extend((int(owner[j]), np.array([j])) for j in range(len(lp.pairs)))
    rounds = 0
    while True:
        value, weeks, work = lag.value(ub_duals, eq_duals, deadline, deterministic)
        rounds += 1
        work_left -= work
        best = min(best, value)
        if not weeks or work_left <= 0 or time.perf_counter() > deadline:
            break
        columns.extend(weeks)
        ub_duals, eq_duals, master = _master(
            lag, columns, None if deterministic else deadline - time.perf_counter()
        )
        if eq_duals is None or math.floor(best + 1e-9) <= math.floor(master + 1e-9):
            break
    return WeeksBound(bound_of(lp, best), lp_bound, rounds, time.perf_counter() - t0)


Piece = tuple[IntArray, float | None, float | None]


def tighten(
    problem: Problem,
    pieces: list[Piece],
    plan: IntArray,
    seconds: float,
    *,
    deterministic: bool = False,
    safety_factor: float = 10.0,
) -> tuple[list[Piece], dict[str, float]]:
    """The pieces of a plan's bound, each with the supply relaxation's bound where it may help.

    A piece (an independent component: its options, the engine's bound and a
    relaxation's) whose plan already reaches its best bound is left as it is;
    the others get :func:`weeks_bound` (the supply LP, then volunteers' exact
    weeks) as their relaxation's bound, smallest first, each with what is
    left of ``seconds`` (wall clock); in deterministic mode each with its
    share of ``seconds`` by its options (so the same plan gets the same
    bound). A piece whose LP gives no bound keeps what it had.

    Returns
    -------
    pieces, stats
        The pieces and ``{"supply_lps", "supply_rounds", "supply_seconds"}``:
        LPs solved, rounds of exact weeks priced, and seconds spent.
    """
    p = problem
    covered = covered_tasks(p, plan)
    t0 = time.perf_counter()
    out = list(pieces)
    todo: list[int] = []
    for k in sorted(range(len(out)), key=lambda i: len(out[i][0])):
        options, engine, relaxed = out[k]
        tasks = np.unique(p.opt_task[options])
        best = min(
            float(p.task_weight[tasks].sum()),
            math.inf if engine is None else engine,
            math.inf if relaxed is None else relaxed,
        )
        if float(p.task_weight[tasks[covered[tasks]]].sum()) < best - 1e-9:
            todo.append(k)  # not proven optimal: worth tightening
    total = sum(len(out[k][0]) for k in todo)
    solved = rounds = 0
    for k in todo:
        options, engine, relaxed = out[k]
        if deterministic:
            left = seconds * len(options) / max(total, 1)
        else:
            left = seconds - (time.perf_counter() - t0)
        if left <= 0:
            break
        wb = weeks_bound(
            p, options, left, plan=plan, deterministic=deterministic, safety_factor=safety_factor
        )
        if wb.bound is not None:
            solved += 1
            rounds += wb.rounds
            out[k] = (options, engine, wb.bound if relaxed is None else min(relaxed, wb.bound))
    stats = {"supply_lps": solved, "supply_rounds": rounds}
    return out, {**stats, "supply_seconds": round(time.perf_counter() - t0, 3)}
