"""The CP-SAT engine: a time-indexed model over the problem's start options.

Formulation (one boolean per option: task *t*, volunteer *v*, start *s*):

* a task takes at most one start and, at it, all the volunteers it needs or
  none (:func:`_add_task_cover`);
* a volunteer's occupied intervals never overlap: one at-most-one constraint per
  maximal clique of their interval graph (:func:`_add_no_overlap`). Because
  interval graphs are perfect, these clique constraints describe the overlap
  rule exactly and give a strong LP bound;
* weekly task and hour caps per volunteer (:func:`_add_weekly_caps`);
* at most ``max_team`` distinct volunteers per need (:func:`_add_team_caps`).

Every other hard rule (skills, languages, distance, availability windows,
unavailable dates, exclusions, strict continuity) is already enforced by which
options exist. The objective tiers are optimised lexicographically: weighted
coverage first, then continuity, then travel; each later tier keeps the earlier
ones at their values (less a tolerance). Independent components (no shared
volunteer) are solved apart.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matchkracht.problem import Problem
from matchkracht.settings import SolverSettings
from matchkracht.solver.base import Solution, covered_tasks
from matchkracht.solver.greedy import greedy_options

__all__ = ["CpSatSolver", "components", "continuity_scores", "travel_units"]

logger = logging.getLogger("matchkracht")

IntArray = npt.NDArray[np.int64]

#: Share of the remaining time budget each tier may use.
_TIER_SHARE = {"coverage": 0.6, "continuity": 0.6, "travel": 1.0}


def components(problem: Problem) -> list[IntArray]:
    """Split options into groups that share no task and no volunteer.

    Returns
    -------
    list of numpy.ndarray
        Option indices of each component, smallest component first.
    """
    p = problem
    if p.num_options == 0:
        return []
    n = p.num_tasks + p.num_volunteers
    graph = coo_matrix(
        (np.ones(p.num_pairs), (p.pair_task, p.num_tasks + p.pair_vol)), shape=(n, n)
    )
    _, labels = connected_components(graph, directed=False)
    opt_label = labels[p.opt_task]
    order = np.argsort(opt_label, kind="stable")
    splits = np.flatnonzero(np.diff(opt_label[order])) + 1
    groups = np.split(order, splits)
    return sorted(groups, key=lambda g: (len(g), int(g[0])))


def continuity_scores(problem: Problem, options: IntArray) -> IntArray:
    """Objective tier 2 coefficients: history first, then preferred volunteers.

    A volunteer who helped the client before scores ``H`` (more than all
    preferred-volunteer points together), a preferred volunteer 1. History does
    not count for needs with ``continuity = none``.
    """
    p = problem
    pairs = p.opt_pair[options]
    helped = p.pair_helped[pairs] & (p.task_continuity[p.pair_task[pairs]] > 0)
    big = int(p.task_needed.sum()) + 1
    return np.asarray(helped.astype(np.int64) * big + p.pair_preferred[pairs].astype(np.int64))


def travel_units(problem: Problem, options: IntArray) -> IntArray:
    """Objective tier 3 coefficients: round-trip km in units of 100 m."""
    return np.asarray(np.rint(problem.pair_km[problem.opt_pair[options]] * 10).astype(np.int64))


@dataclass
class _Model:
    model: cp_model.CpModel
    x: list[cp_model.IntVar]
    cover: cp_model.LinearExpr
    tiers: dict[str, cp_model.LinearExpr] = field(default_factory=dict)


def _add_task_cover(
    model: cp_model.CpModel, x: list[cp_model.IntVar], problem: Problem, options: IntArray
) -> cp_model.LinearExpr:
    """Hard rule: a task gets all its volunteers at one common start, or none.

    Returns the objective tier 1 expression: the covered task weight.
    """
    p = problem
    tasks = p.opt_task[options]
    starts = p.opt_start[options]
    order = np.lexsort((starts, tasks))
    terms: list[tuple[cp_model.LinearExpr, int]] = []
    t_sorted = tasks[order]
    cuts = np.flatnonzero(np.diff(t_sorted)) + 1
    for group in np.split(order, cuts):
        t = int(tasks[group[0]])
        weight = int(p.task_weight[t])
        need = int(p.task_needed[t])
        if need == 1:
            xs = [x[i] for i in group.tolist()]
            model.add_at_most_one(xs)
            terms.append((sum(xs), weight))  # type: ignore[arg-type]
            continue
        ys = []
        g_starts = starts[group]
        for s in np.unique(g_starts).tolist():
            members = [x[i] for i in group[g_starts == s].tolist()]
            if len(members) < need:
                for m in members:
                    model.add(m == 0)
                continue
            y = model.new_bool_var("")
            model.add(sum(members) == need * y)  # type: ignore[arg-type]
            ys.append(y)
        if ys:
            model.add_at_most_one(ys)
            terms.append((sum(ys), weight))  # type: ignore[arg-type]
    return sum(w * e for e, w in terms)  # type: ignore[return-value]


def interval_cliques(depart: IntArray, ret: IntArray) -> list[list[int]]:
    """Maximal sets of pairwise-overlapping half-open intervals ``[depart, ret)``.

    Sweeps the interval ends: a maximal clique is the active set just before the
    first end that follows a start. Returns positions into the input arrays;
    cliques of one interval are left out.
    """
    events = sorted(
        [(int(a), 1, i) for i, a in enumerate(depart)] + [(int(b), 0, i) for i, b in enumerate(ret)]
    )
    active: set[int] = set()
    grown = False
    cliques: list[list[int]] = []
    for _, is_start, i in events:
        if is_start:
            active.add(i)
            grown = True
        else:
            if grown and len(active) > 1:
                cliques.append(sorted(active))
            grown = False
            active.discard(i)
    return cliques


def _add_no_overlap(
    model: cp_model.CpModel, x: list[cp_model.IntVar], problem: Problem, options: IntArray
) -> None:
    """Hard rule: the occupied intervals of one volunteer never overlap."""
    p = problem
    vols = p.opt_vol[options]
    order = np.argsort(vols, kind="stable")
    cuts = np.flatnonzero(np.diff(vols[order])) + 1
    for group in np.split(order, cuts):
        if len(group) < 2:
            continue
        o = options[group]
        for clique in interval_cliques(p.opt_depart[o], p.opt_return[o]):
            model.add_at_most_one([x[int(group[i])] for i in clique])


def _add_weekly_caps(
    model: cp_model.CpModel, x: list[cp_model.IntVar], problem: Problem, options: IntArray
) -> None:
    """Hard rule: per volunteer and ISO week, at most ``max_tasks`` tasks and ``max_minutes`` occupied."""
    p = problem
    pairs = p.opt_pair[options]
    vols = p.pair_vol[pairs]
    weeks = p.task_week[p.pair_task[pairs]]
    key = vols * max(p.num_weeks, 1) + weeks
    order = np.argsort(key, kind="stable")
    cuts = np.flatnonzero(np.diff(key[order])) + 1
    for group in np.split(order, cuts):
        v = int(vols[group[0]])
        g_pairs = pairs[group]
        uniq_pairs = np.unique(g_pairs)
        xs = [x[i] for i in group.tolist()]
        if len(uniq_pairs) > p.vol_max_tasks[v]:
            model.add(sum(xs) <= int(p.vol_max_tasks[v]))  # type: ignore[arg-type]
        if int(p.pair_occupied[uniq_pairs].sum()) > p.vol_max_minutes[v]:
            occ = p.pair_occupied[g_pairs].tolist()
            model.add(
                sum(int(c) * xi for c, xi in zip(occ, xs, strict=True))  # type: ignore[arg-type]
                <= int(p.vol_max_minutes[v])
            )


def _add_team_caps(
    model: cp_model.CpModel, x: list[cp_model.IntVar], problem: Problem, options: IntArray
) -> None:
    """Hard rule: at most ``max_team`` distinct volunteers per need in 4 weeks, history included.

    Volunteers who served the need in the three weeks before the horizon are
    already in the team; the others may join only while places are left
    (``Problem.need_team_cap``), counted over the whole horizon.
    """
    p = problem
    pairs = p.opt_pair[options]
    needs = p.task_need[p.pair_task[pairs]]
    capped = (p.need_team_cap[needs] >= 0) & ~p.pair_team_known[pairs]
    if not capped.any():
        return
    pos = np.flatnonzero(capped)
    key = needs[pos] * p.num_volunteers + p.pair_vol[pairs[pos]]
    order = np.argsort(key, kind="stable")
    cuts = np.flatnonzero(np.diff(key[order])) + 1
    by_need: dict[int, list[cp_model.IntVar]] = {}
    for group in np.split(pos[order], cuts):
        n = int(needs[group[0]])
        if p.need_team_cap[n] == 0:
            for i in group.tolist():
                model.add(x[i] == 0)
            continue
        u = model.new_bool_var("")
        for i in group.tolist():
            model.add_implication(x[i], u)
        by_need.setdefault(n, []).append(u)
    for n, us in by_need.items():
        if len(us) > p.need_team_cap[n]:
            model.add(sum(us) <= int(p.need_team_cap[n]))  # type: ignore[arg-type]


def build_model(problem: Problem, options: IntArray) -> _Model:
    """The CP-SAT model of one component (options given by index)."""
    model = cp_model.CpModel()
    x = [model.new_bool_var("") for _ in range(len(options))]
    cover = _add_task_cover(model, x, problem, options)
    _add_no_overlap(model, x, problem, options)
    _add_weekly_caps(model, x, problem, options)
    _add_team_caps(model, x, problem, options)
    m = _Model(model, x, cover)
    m.tiers["coverage"] = cover
    score = continuity_scores(problem, options)
    m.tiers["continuity"] = sum(int(s) * x[i] for i, s in enumerate(score.tolist()) if s)  # type: ignore[assignment]
    km = travel_units(problem, options)
    m.tiers["travel"] = -sum(int(k) * x[i] for i, k in enumerate(km.tolist()) if k)  # type: ignore[assignment,operator]
    return m


class CpSatSolver:
    """Solve a :class:`~matchkracht.problem.Problem` with OR-Tools CP-SAT.

    Parameters
    ----------
    settings
        A :class:`~matchkracht.settings.SolverSettings`; keyword arguments are
        also accepted (``CpSatSolver(time_limit=5, seed=1)``).
    """

    name = "cpsat"

    def __init__(self, settings: SolverSettings | None = None, **kwargs: Any) -> None:
        if settings is not None and kwargs:
            settings = settings.model_copy(update=kwargs)
            settings = SolverSettings.make(**settings.model_dump())
        self.settings = settings or SolverSettings.make(**kwargs)

    def __repr__(self) -> str:
        return f"CpSatSolver({self.settings!r})"

    def _params(self, solver: cp_model.CpSolver, budget: float) -> None:
        s = self.settings
        prm = solver.parameters
        prm.random_seed = s.seed
        prm.num_workers = s.workers
        prm.log_search_progress = s.log
        budget = max(budget, 0.01)
        if s.deterministic:
            prm.interleave_search = True
            prm.max_deterministic_time = budget
            prm.max_time_in_seconds = budget * s.safety_factor
        else:
            prm.max_time_in_seconds = budget

    def solve(self, problem: Problem) -> Solution:
        """Solve lexicographically, component by component, within the time limit."""
        t0 = time.perf_counter()
        s = self.settings
        comps = components(problem)
        total = sum(len(c) for c in comps)
        remaining_budget = s.time_limit
        remaining_size = total
        hint = greedy_options(problem) if s.hint else np.zeros(0, dtype=np.int64)
        hint_set = np.zeros(problem.num_options, dtype=bool)
        hint_set[hint] = True
        chosen: list[IntArray] = []
        bound = 0.0
        all_optimal = True
        found_any = True
        tier_values: dict[str, float] = {t: 0.0 for t in s.tiers}
        statuses: list[str] = []
        deadline = t0 + s.time_limit
        for comp in comps:
            if not s.deterministic:
                remaining_budget = max(deadline - time.perf_counter(), 0.0)
            share = remaining_budget * len(comp) / max(remaining_size, 1)
            res = self._solve_component(problem, comp, share, hint_set[comp])
            remaining_budget = max(remaining_budget - res["spent"], 0.0)
            remaining_size -= len(comp)
            chosen.append(comp[res["values"]])
            bound += res["bound"]
            all_optimal &= res["optimal"]
            found_any &= res["found"]
            statuses.append(res["status"])
            for t, v in res["tiers"].items():
                tier_values[t] += v
        options = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
        covered_weight = tier_values.get("coverage", 0.0)
        status = "optimal" if all_optimal else ("feasible" if found_any else "no_solution")
        stats = {
            "components": len(comps),
            "options": total,
            "tiers": tier_values,
            "component_statuses": statuses,
            "coverage_optimal": math.isclose(bound, covered_weight),
            "settings": s.model_dump(mode="json"),
        }
        return Solution(options, status, bound, time.perf_counter() - t0, self.name, stats)

    def _solve_component(
        self, problem: Problem, options: IntArray, budget: float, hint: npt.NDArray[np.bool_]
    ) -> dict[str, Any]:
        s = self.settings
        t_build = time.perf_counter()
        m = build_model(problem, options)
        values = hint.copy()
        bound = float(problem.task_weight[np.unique(problem.opt_task[options])].sum())
        optimal = True
        found = True
        spent = 0.0 if s.deterministic else time.perf_counter() - t_build
        tier_values: dict[str, float] = {}
        status_names = []
        for k, tier in enumerate(s.tiers):
            if s.hint:
                m.model.clear_hints()  # type: ignore[no-untyped-call]
                for var, val in zip(m.x, values.tolist(), strict=True):
                    m.model.add_hint(var, bool(val))
            m.model.maximize(m.tiers[tier])
            solver = cp_model.CpSolver()
            tier_budget = (budget - spent) * (_TIER_SHARE[tier] if k < len(s.tiers) - 1 else 1.0)
            self._params(solver, tier_budget)
            code = solver.solve(m.model)
            spent += solver.deterministic_time if s.deterministic else solver.wall_time
            status_names.append(solver.status_name(code))
            if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                values = np.array([solver.boolean_value(v) for v in m.x], dtype=bool)
                value = float(solver.objective_value)
                if k == 0:
                    # CP-SAT's bound can exceed the trivial one before its LP has run
                    bound = min(bound, float(math.floor(solver.best_objective_bound + 1e-6)))
                optimal &= code == cp_model.OPTIMAL
            else:
                # keep the previous tier's (or the greedy) solution
                optimal = False
                found &= k > 0 or bool(s.hint)
                value = _evaluate(tier, values, problem, options)
            tier_values[tier] = value
            tol = s.tolerance.get(tier, 0.0)  # type: ignore[call-overload]
            keep = (
                math.floor(value - abs(value) * tol + 1e-9)
                if value >= 0
                else math.ceil(value * (1 + tol) - 1e-9)
            )
            m.model.add(m.tiers[tier] >= int(keep))
        tier_values = {t: _evaluate(t, values, problem, options) for t in s.tiers}
        return {
            "values": np.flatnonzero(values),
            "bound": bound,
            "optimal": optimal,
            "found": found,
            "spent": spent,
            "tiers": tier_values,
            "status": "/".join(status_names),
        }


def _evaluate(
    tier: str, values: npt.NDArray[np.bool_], problem: Problem, options: IntArray
) -> float:
    """Value of ``tier`` for the options of one component selected by ``values``."""
    chosen = options[values]
    if tier == "coverage":
        return float(problem.task_weight[covered_tasks(problem, chosen)].sum())
    if tier == "continuity":
        return float(continuity_scores(problem, chosen).sum())
    return -float(travel_units(problem, chosen).sum())
