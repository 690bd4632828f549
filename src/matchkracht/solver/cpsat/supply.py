"""The supply relaxation: a bound on covered weight from volunteers' time, counted once.

Where volunteers are scarce, what limits a plan is their time: weekly task and
minute caps, and the hours of a day they are free in. CP-SAT's own bound on a
large model stalls near the trivial one there, and a region split into parts
counts a volunteer who could serve several parts once per part. This linear
programme looks at (task, volunteer) *pairs* instead of start options, so it
stays small (a region's million options are a few hundred thousand pairs) and
covers a whole component at once, every volunteer counted once.

Variables: ``y[p]`` in ``[0, 1]`` per candidate pair (its volunteer serves its
task) and ``z[t]`` in ``[0, 1]`` per task (it is covered). Maximise the
covered weight ``sum(w[t] z[t])`` subject to

* a task takes exactly as many volunteers as it needs when covered:
  ``sum(y[p] for p of t) == needed[t] * z[t]`` and ``y[p] <= z[t]``;
* per volunteer and ISO week, at most ``max_tasks`` tasks and
  ``max_minutes`` occupied minutes (the model's own weekly caps);
* per volunteer and day, the occupied minutes fit in the span from the
  earliest departure to the latest return of their options that day (their
  intervals never overlap, so together they are at most that long);
* per volunteer, pairs whose every option occupies a common moment (their
  *compulsory* intervals overlap) take at most one of them;
* care teams (``max_team``): a need whose team is full takes no newcomer
  (those pairs are left out); otherwise ``u[n, v]`` in ``[0, 1]`` per need and
  newcomer, ``y[p] <= u[n, v]``, at most ``need_team_cap[n]`` of them, and
  ``sum(y[p] for p of n and v) <= most[n, v] * u[n, v]`` with ``most`` the
  tasks of ``n`` the volunteer's weekly caps allow: a team place is one
  person's, it cannot be shared out over several half-members.

Every plan satisfies these (set ``y`` to the pairs it uses and ``z`` to the
tasks it covers), so the LP's optimum is an upper bound on the covered
weight of every plan; rounded down, since weights are whole numbers. What it
leaves out (starts, overlaps between flexible options, locks) only makes the
bound weaker, never wrong.

The bound is not the solver's reported optimum but the value of the dual
solution it returns (:func:`dual_value`): by weak duality every dual vector
of the right signs bounds the LP from above, whatever the solver's
tolerances, so the rounding cannot make the bound invalid. Small LPs are
solved by HiGHS (simplex), large ones by OR-Tools' PDLP (a first-order
method, see :data:`PDLP_MIN_COLUMNS`): stopped by its time limit, its dual
vector still gives a valid, slightly weaker bound.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import linprog

from matchkracht.problem.core import IntArray, Problem
from matchkracht.solver.cpsat.linear import groups
from matchkracht.solver.cpsat.rules import interval_cliques

__all__ = [
    "SupplyBound",
    "SupplyLP",
    "bound_of",
    "dual_value",
    "lp_duals",
    "solve_lp",
    "supply_bound",
    "supply_lp",
]

#: Added before rounding down, for the rounding of the dual value's sum itself.
SUM_MARGIN = 1e-6
#: LPs with this many columns or more are solved with OR-Tools' PDLP (a
#: first-order method: its dual vector at any moment gives a valid bound, so a
#: time limit weakens the bound instead of losing it), smaller ones with HiGHS
#: (simplex, via SciPy; all or nothing). Measured on an idle 2-core machine:
#: scarce municipality (39,475 columns) HiGHS 0.6 s, PDLP 3.9 s to the same
#: bound; scarce region (291,885 columns) HiGHS 162 s, PDLP 124 s to 92.14 %, and
#: PDLP stopped at 10 / 20 / 40 s 92.35 / 92.23 / 92.15 %; base region (538,114
#: columns) PDLP 97.99 % in 12 s.
PDLP_MIN_COLUMNS = 100_000
#: PDLP's threads and its relative and absolute optimality tolerance.
PDLP_THREADS = 2
PDLP_EPS = 1e-6
#: Deterministic mode: PDLP's iterations times the matrix's non-zeros per second
#: of budget (measured: 6.1e7 on the scarce-drivers municipality, 221,873
#: non-zeros, 2 threads, a loaded 2-core machine).
PDLP_WORK_PER_SECOND = 5e7


@dataclass(frozen=True)
class SupplyBound:
    """The supply relaxation's bound on one set of options.

    Attributes
    ----------
    bound
        Upper bound on the covered weight of any plan of these options
        (``None`` when HiGHS did not finish in time; PDLP always gives one).
    trivial
        The weight of the tasks that have an option.
    seconds
        Wall-clock seconds, building included.
    rows, columns
        The LP's size.
    build_seconds
        Of ``seconds``, those spent building the LP.
    """

    bound: int | None
    trivial: int
    seconds: float
    rows: int
    columns: int
    build_seconds: float = 0.0


@dataclass(frozen=True)
class SupplyLP:
    """The supply relaxation of a set of options: ``min c @ x`` s.t. ``ub @ x <= b_ub``, ``eq @ x == 0``, ``0 <= x <= 1``.

    Attributes
    ----------
    options
        The options it covers (those of full care teams left out).
    pairs, tasks
        The pair of each ``y`` column (the first ``len(pairs)``) and the task of
        each ``z`` column (the next ``len(tasks)``); ``u`` columns follow.
    c, ub, b_ub, eq
        The LP (a minimisation: ``c`` is minus the weight of the ``z`` columns).
    own
        Per ``ub`` row, whether it is one volunteer's own (weekly caps, day
        spans, common moments: rows over that volunteer's pairs alone).
    trivial
        The weight of the tasks that have an option.
    build_seconds
        Seconds spent building it.
    """

    options: IntArray
    pairs: IntArray
    tasks: IntArray
    c: np.ndarray
    ub: sp.csr_matrix | None
    b_ub: np.ndarray | None
    eq: sp.csr_matrix
    own: npt.NDArray[np.bool_]
    trivial: int
    build_seconds: float


def _reduce_by(ufunc: np.ufunc, index: IntArray, values: IntArray, size: int) -> IntArray:
    """``ufunc`` (``np.minimum`` or ``np.maximum``) of ``values`` grouped by ``index`` (``0..size-1``)."""
    info = np.iinfo(np.int64)
    out = np.full(size, info.max if ufunc is np.minimum else info.min, dtype=np.int64)
    ufunc.at(out, index, values)
    return out


def _rows(
    keys: IntArray, cols: IntArray, vals: np.ndarray, caps: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], list[float]]:
    """Rows ``sum(vals) <= cap`` per distinct key, only where the sum could pass the cap.

    ``caps`` is given per entry (all entries of a key share one cap).
    """
    order = np.argsort(keys, kind="stable")
    cuts = np.flatnonzero(np.diff(keys[order])) + 1
    starts = np.concatenate([[0], cuts]).astype(np.int64)
    ends = np.concatenate([cuts, [len(order)]]).astype(np.int64)
    totals = np.add.reduceat(vals[order], starts)
    group_caps = caps[order[starts]]
    r_idx: list[np.ndarray] = []
    c_idx: list[np.ndarray] = []
    v_idx: list[np.ndarray] = []
    rhs: list[float] = []
    for g in np.flatnonzero(totals > group_caps + 1e-9).tolist():
        pos = order[starts[g] : ends[g]]
        r_idx.append(np.full(len(pos), len(rhs)))
        c_idx.append(cols[pos])
        v_idx.append(vals[pos])
        rhs.append(float(group_caps[g]))
    return r_idx, c_idx, v_idx, rhs


def dual_value(
    weight: np.ndarray,
    ub: sp.csr_matrix | None,
    b_ub: np.ndarray | None,
    eq: sp.csr_matrix,
    ub_duals: np.ndarray | None,
    eq_duals: np.ndarray,
) -> float:
    """An upper bound on ``max weight @ x`` s.t. ``ub @ x <= b_ub``, ``eq @ x == 0``, ``0 <= x <= 1``.

    Weak duality with the multipliers ``ub_duals`` (clipped to ``<= 0``, the
    sign of SciPy's marginals of a minimisation's ``<=`` rows) and
    ``eq_duals`` (any sign): for every ``x`` of the box that keeps the rows,
    ``weight @ x <= -(l @ b_ub) + sum(max(0, weight + ub.T @ l + eq.T @ m))``.
    Valid for any multipliers; equal to the LP's optimum for optimal ones.
    """
    reduced = weight + eq.T @ eq_duals
    value = 0.0
    if ub is not None and b_ub is not None and ub_duals is not None:
        lam = np.minimum(ub_duals, 0.0)
        reduced = reduced + ub.T @ lam
        value -= float(lam @ b_ub)
    return value + float(np.maximum(reduced, 0.0).sum())


def _pdlp_duals(
    c: np.ndarray,
    ub: sp.csr_matrix | None,
    b_ub: np.ndarray | None,
    eq: sp.csr_matrix,
    seconds: float,
    deterministic: bool,
    safety_factor: float,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Dual vectors of the LP from OR-Tools' PDLP, stopped at ``seconds`` or at its tolerance.

    In deterministic mode the limit is a number of iterations, ``seconds``
    worth at :data:`PDLP_WORK_PER_SECOND`, with ``safety_factor`` times
    ``seconds`` of wall clock as a safety net.
    """
    from ortools.pdlp import solvers_pb2
    from ortools.pdlp.python import pdlp

    n_eq = eq.shape[0]
    blocks = [eq] if ub is None else [eq, ub]
    lp = pdlp.QuadraticProgram()
    lp.objective_vector = c
    lp.constraint_matrix = sp.vstack(blocks).tocsc()
    lo = (
        np.zeros(n_eq)
        if ub is None
        else np.concatenate([np.zeros(n_eq), np.full(ub.shape[0], -np.inf)])
    )
    hi = np.zeros(n_eq) if b_ub is None else np.concatenate([np.zeros(n_eq), b_ub])
    lp.constraint_lower_bounds = lo
    lp.constraint_upper_bounds = hi
    lp.variable_lower_bounds = np.zeros(len(c))
    lp.variable_upper_bounds = np.ones(len(c))
    params = solvers_pb2.PrimalDualHybridGradientParams()
    crit = params.termination_criteria.simple_optimality_criteria
    crit.eps_optimal_relative = PDLP_EPS
    crit.eps_optimal_absolute = PDLP_EPS
    params.termination_criteria.time_sec_limit = max(seconds, 0.01)
    if deterministic:
        nnz = max(int(lp.constraint_matrix.nnz), 1)
        params.termination_criteria.iteration_limit = max(
            1, int(seconds * PDLP_WORK_PER_SECOND / nnz)
        )
        params.termination_criteria.time_sec_limit = max(seconds, 0.01) * safety_factor
    params.num_threads = PDLP_THREADS
    result = pdlp.primal_dual_hybrid_gradient(lp, params)
    y = np.asarray(result.dual_solution, dtype=np.float64)
    if len(y) != lp.constraint_matrix.shape[0]:
        return None, None
    return (None if ub is None else y[n_eq:]), y[:n_eq]


def supply_lp(problem: Problem, options: IntArray) -> SupplyLP | None:
    """The supply relaxation of ``options`` as matrices (``None`` without a usable option).

    See the module docstring for its rows; the columns are ``y`` (one per
    pair), ``z`` (one per task) and ``u`` (one per capped need and newcomer).
    """
    t0 = time.perf_counter()
    p = problem
    options = np.asarray(options, dtype=np.int64)
    # a need whose care team is full takes no newcomer: their options are never chosen
    opt_pairs = p.opt_pair[options]
    closed = (p.need_team_cap[p.task_need[p.pair_task[opt_pairs]]] == 0) & ~p.pair_team_known[
        opt_pairs
    ]
    options = options[~closed]
    pairs, inverse = np.unique(p.opt_pair[options], return_inverse=True)
    tasks, pair_t = np.unique(p.pair_task[pairs], return_inverse=True)
    trivial = int(p.task_weight[tasks].sum())
    n_pairs, n_tasks = len(pairs), len(tasks)
    if n_pairs == 0:
        return None
    vols = p.pair_vol[pairs]
    depart, ret = p.opt_depart[options], p.opt_return[options]
    # per pair over its options: the shortest occupation, the hull [first departure,
    # last return) and the compulsory interval [last departure, first return)
    shortest = _reduce_by(np.minimum, inverse, ret - depart, n_pairs)
    first_depart = _reduce_by(np.minimum, inverse, depart, n_pairs)
    last_return = _reduce_by(np.maximum, inverse, ret, n_pairs)
    late_depart = _reduce_by(np.maximum, inverse, depart, n_pairs)
    early_return = _reduce_by(np.minimum, inverse, ret, n_pairs)

    # equalities: sum(y of t) - needed[t] z[t] == 0
    needed = p.task_needed[tasks].astype(np.float64)
    eq = sp.coo_matrix(
        (
            np.concatenate([np.ones(n_pairs), -needed]),
            (np.concatenate([pair_t, np.arange(n_tasks)]), np.arange(n_pairs + n_tasks)),
        ),
        shape=(n_tasks, n_pairs + n_tasks),
    )
    r_all: list[np.ndarray] = []
    c_all: list[np.ndarray] = []
    v_all: list[np.ndarray] = []
    rhs: list[float] = []
    own: list[bool] = []

    def add(
        parts: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], list[float]],
        mine: bool = False,
    ) -> None:
        r, c, v, b = parts
        own.extend([mine] * len(b))
        base = len(rhs)
        r_all.extend(x + base for x in r)
        c_all.extend(c)
        v_all.extend(v)
        rhs.extend(b)

    # team tasks: a volunteer counts once, y[p] <= z[t]
    team = np.flatnonzero(needed[pair_t] > 1)
    if len(team):
        add(
            (
                [np.repeat(np.arange(len(team)), 2)],
                [np.stack([team, n_pairs + pair_t[team]], axis=1).ravel()],
                [np.tile([1.0, -1.0], len(team))],
                [0.0] * len(team),
            )
        )
    # weekly caps per (volunteer, week)
    weeks = p.task_week[tasks][pair_t]
    key = vols * max(p.num_weeks, 1) + weeks
    col = np.arange(n_pairs)
    add(_rows(key, col, np.ones(n_pairs), p.vol_max_tasks[vols].astype(np.float64)), True)
    occ = p.pair_occupied[pairs].astype(np.float64)
    add(_rows(key, col, occ, p.vol_max_minutes[vols].astype(np.float64)), True)
    # the day's span per (volunteer, day): from the first departure to the last return
    day_key = vols * (int(p.task_day.max()) + 1) + p.task_day[tasks][pair_t]
    _, day_of = np.unique(day_key, return_inverse=True)
    n_days = int(day_of.max()) + 1
    spans = _reduce_by(np.maximum, day_of, last_return, n_days) - _reduce_by(
        np.minimum, day_of, first_depart, n_days
    )
    add(_rows(day_key, col, shortest.astype(np.float64), spans[day_of].astype(np.float64)), True)
    # compulsory intervals per volunteer
    fixed = np.flatnonzero(late_depart < early_return)
    cl_c: list[np.ndarray] = []
    for group in groups(vols[fixed]):
        if len(group) < 2:
            continue
        mine = fixed[group]
        for clique in interval_cliques(late_depart[mine], early_return[mine]):
            cl_c.append(mine[clique])
    if cl_c:
        add(
            (
                [np.full(len(c), r) for r, c in enumerate(cl_c)],
                cl_c,
                [np.ones(len(c)) for c in cl_c],
                [1.0] * len(cl_c),
            ),
            True,
        )
    # care teams: per need, at most need_team_cap newcomers (u[need, volunteer] >= y[p])
    n_cols = n_pairs + n_tasks
    pair_need = p.task_need[p.pair_task[pairs]]
    newcomer = np.flatnonzero((p.need_team_cap[pair_need] > 0) & ~p.pair_team_known[pairs])
    if len(newcomer):
        nv_key = pair_need[newcomer] * p.num_volunteers + vols[newcomer]
        nv, nv_of = np.unique(nv_key, return_inverse=True)
        u_col = n_cols + nv_of
        add(
            (
                [np.repeat(np.arange(len(newcomer)), 2)],
                [np.stack([newcomer, u_col], axis=1).ravel()],
                [np.tile([1.0, -1.0], len(newcomer))],
                [0.0] * len(newcomer),
            )
        )
        # and a newcomer does at most as many of its tasks a week as their caps allow
        # (``sum(y) <= most * u``): a team place cannot be shared out over volunteers
        nvw_key = nv_of * max(p.num_weeks, 1) + weeks[newcomer]
        nvw, nvw_of = np.unique(nvw_key, return_inverse=True)
        nc_vols = vols[newcomer]
        least = _reduce_by(np.minimum, nvw_of, p.pair_occupied[pairs[newcomer]], len(nvw))
        nvw_vol = _reduce_by(np.maximum, nvw_of, nc_vols, len(nvw))
        by_week = np.minimum.reduce(
            [
                np.bincount(nvw_of, minlength=len(nvw)),
                p.vol_max_tasks[nvw_vol],
                p.vol_max_minutes[nvw_vol] // np.maximum(least, 1),
            ]
        )
        most = np.bincount(nvw // max(p.num_weeks, 1), weights=by_week, minlength=len(nv))
        tight = np.flatnonzero(most < np.bincount(nv_of, minlength=len(nv)))
        if len(tight):
            row_of = np.full(len(nv), -1)
            row_of[tight] = np.arange(len(tight))
            mine = np.flatnonzero(row_of[nv_of] >= 0)
            add(
                (
                    [row_of[nv_of[mine]], np.arange(len(tight))],
                    [newcomer[mine], n_cols + tight],
                    [np.ones(len(mine)), -most[tight]],
                    [0.0] * len(tight),
                )
            )
        nv_need = nv // p.num_volunteers
        add(
            _rows(
                nv_need,
                n_cols + np.arange(len(nv)),
                np.ones(len(nv)),
                p.need_team_cap[nv_need].astype(np.float64),
            )
        )
        n_cols += len(nv)
    eq = sp.csr_matrix((eq.data, (eq.row, eq.col)), shape=(n_tasks, n_cols))
    if rhs:
        ub = sp.coo_matrix(
            (np.concatenate(v_all), (np.concatenate(r_all), np.concatenate(c_all))),
            shape=(len(rhs), n_cols),
        ).tocsr()
    else:
        ub = None
    c = np.zeros(n_cols)
    c[n_pairs : n_pairs + n_tasks] = -p.task_weight[tasks]
    return SupplyLP(
        options=options,
        pairs=pairs,
        tasks=tasks,
        c=c,
        ub=ub,
        b_ub=np.array(rhs) if rhs else None,
        eq=eq.tocsr(),
        own=np.array(own, dtype=bool),
        trivial=trivial,
        build_seconds=time.perf_counter() - t0,
    )


def lp_duals(
    lp: SupplyLP, time_limit: float, *, deterministic: bool = False, safety_factor: float = 10.0
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The LP's dual vectors (``<=`` rows, equalities), ``(None, None)`` without them.

    HiGHS below :data:`PDLP_MIN_COLUMNS` columns (all or nothing: ``None``
    when stopped by ``time_limit``), PDLP above (its vectors at the limit).
    """
    n_cols = len(lp.c)
    if n_cols >= PDLP_MIN_COLUMNS:
        limit = time_limit if deterministic else 0.95 * time_limit
        return _pdlp_duals(lp.c, lp.ub, lp.b_ub, lp.eq, limit, deterministic, safety_factor)
    res = linprog(
        lp.c,
        A_ub=lp.ub,
        b_ub=lp.b_ub,
        A_eq=lp.eq,
        b_eq=np.zeros(lp.eq.shape[0]),
        bounds=(0.0, 1.0),
        method="highs",
        options={
            "time_limit": time_limit * safety_factor if deterministic else time_limit,
            "presolve": True,
        },
    )
    if res.status != 0:
        return None, None
    return (res.ineqlin.marginals if lp.ub is not None else None), res.eqlin.marginals


def bound_of(lp: SupplyLP, value: float) -> int:
    """A relaxation's value as a bound on covered weight: rounded down, at most the trivial one."""
    return min(lp.trivial, math.floor(value + SUM_MARGIN * max(1.0, abs(value))))


def solve_lp(
    lp: SupplyLP, time_limit: float, *, deterministic: bool = False, safety_factor: float = 10.0
) -> tuple[np.ndarray | None, np.ndarray | None, int | None]:
    """The LP's dual vectors and their bound (``None`` without duals), building counted.

    ``time_limit`` includes ``lp.build_seconds`` in wall-clock mode; in
    deterministic mode it is the whole budget of :func:`lp_duals`.
    """
    left = max(time_limit - lp.build_seconds, 0.01)
    ub_duals, eq_duals = lp_duals(
        lp,
        time_limit if deterministic else left,
        deterministic=deterministic,
        safety_factor=safety_factor,
    )
    if eq_duals is None:
        return ub_duals, None, None
    value = dual_value(-lp.c, lp.ub, lp.b_ub, lp.eq, ub_duals, eq_duals)
    return ub_duals, eq_duals, bound_of(lp, value)


def supply_bound(
    problem: Problem,
    options: IntArray,
    time_limit: float = 60.0,
    *,
    deterministic: bool = False,
    safety_factor: float = 10.0,
) -> SupplyBound:
    """Bound the covered weight of any plan of ``options`` by the supply relaxation.

    Parameters
    ----------
    problem
        The problem.
    options
        Option indices (a component, a region, or all of them).
    time_limit
        Seconds for the LP, building included. HiGHS (small LPs) stopped by
        it gives no bound (``bound is None``); PDLP (large ones) gives the
        bound of its dual vector at that moment.
    deterministic
        Same input, same bound: HiGHS runs to its end and PDLP for a number
        of iterations (``time_limit`` worth, :data:`PDLP_WORK_PER_SECOND`);
        ``safety_factor`` times ``time_limit`` of wall clock is the safety net.
    safety_factor
        See ``deterministic``.

    Returns
    -------
    SupplyBound
    """
    t0 = time.perf_counter()
    lp = supply_lp(problem, options)
    if lp is None:
        return SupplyBound(0, 0, time.perf_counter() - t0, 0, 0)
    _, _, bound = solve_lp(lp, time_limit, deterministic=deterministic, safety_factor=safety_factor)
    return SupplyBound(
        bound,
        lp.trivial,
        time.perf_counter() - t0,
        (0 if lp.b_ub is None else len(lp.b_ub)) + lp.eq.shape[0],
        len(lp.c),
        lp.build_seconds,
    )
