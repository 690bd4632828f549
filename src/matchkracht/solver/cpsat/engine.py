"""The CP-SAT engine: :class:`CpSatSolver`, the loop over parts and over steps.

:meth:`CpSatSolver.solve` splits the problem into parts
(:func:`~matchkracht.solver.cpsat.decompose.split_parts`), shares the time
limit among them by size, and solves each with :func:`solve_part`: one part
from plain inputs to a :class:`PartResult`. Parts that share nothing (whole
components, independent regions: ``free`` parts) are solved first, each with a
fixed share of the budget, mapped over :func:`matchkracht.scale.map_parts` (on
the workers of a Dask cluster when one is given); parts of a split component
that see what the parts before took (``prior``, ``calendar``) run after them,
in order, in this process.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from ortools.sat.python import cp_model

import matchkracht.solver.cpsat.budget as tuning
import matchkracht.solver.cpsat.warmstart as warmstart
from matchkracht.problem.core import Problem
from matchkracht.problem.occupancy import Calendar, Prior
from matchkracht.scale import map_parts
from matchkracht.settings import SolverSettings
from matchkracht.solver.base import Solution
from matchkracht.solver.combine import busy_slack, prior_slack, trivial_bound, whole_bound
from matchkracht.solver.cpsat.budget import Budget, configure, tier_share
from matchkracht.solver.cpsat.decompose import Part, complete_teams, fitting_hint, split_parts
from matchkracht.solver.cpsat.exact_weeks import tighten
from matchkracht.solver.cpsat.fill import cover_open
from matchkracht.solver.cpsat.linear import BoolArray, IntArray
from matchkracht.solver.cpsat.model import Model, maximize, solution
from matchkracht.solver.cpsat.restrict import relevant_options
from matchkracht.solver.cpsat.tiers import (
    REGISTRY,
    at_cap_giver,
    build_model,
    early_week_tiers,
    evaluate,
    keeps,
    restricted_model,
    solve_steps,
)
from matchkracht.solver.greedy import familiar_first_options

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["CpSatSolver", "FreePart", "PartResult", "solve_free_part", "solve_part"]

logger = logging.getLogger("matchkracht")


@dataclass(frozen=True)
class PartResult:
    """What solving one part gives.

    Attributes
    ----------
    values
        Positions (into the part's options) of the options chosen.
    bound
        Upper bound of the covered weight proven for the part.
    optimal
        Every step was proven optimal (or implied).
    found
        A plan was found (by CP-SAT or the greedy hint).
    spent
        Seconds spent: deterministic time in deterministic mode, else wall-clock.
    tiers
        Each tier's value for the plan.
    status
        The steps' CP-SAT statuses, joined by ``/``.
    coverage_seconds
        Wall-clock seconds of building the model and the first step.
    safety_net
        Deterministic mode: CP-SAT solves the wall-clock safety net stopped.
    """

    values: IntArray
    bound: float
    optimal: bool
    found: bool
    spent: float
    tiers: Mapping[str, float]
    status: str
    coverage_seconds: float
    safety_net: int = 0


def greedy_part(
    problem: Problem,
    options: IntArray,
    hint: BoolArray,
    tiers: tuple[str, ...],
    prior: Prior | None = None,
) -> PartResult:
    """The result of a part for which no time was left: its greedy plan."""
    values = complete_teams(problem, options, hint)
    return PartResult(
        values=np.flatnonzero(values),
        bound=float(trivial_bound(problem, options)),
        optimal=False,
        found=True,
        spent=0.0,
        tiers={t: evaluate(t, values, problem, options, prior) for t in tiers},
        status="NO_TIME_LEFT",
        coverage_seconds=0.0,
    )


def solve_part(
    problem: Problem,
    options: IntArray,
    seconds: float,
    hint: BoolArray,
    settings: SolverSettings,
    *,
    prior: Prior | None = None,
    calendar: Calendar | None = None,
    tiers: tuple[str, ...] | None = None,
    withheld: Collection[str] = (),
    earlier: Mapping[str, float] | None = None,
) -> PartResult:
    """Solve one part step by step within ``seconds``: the unit of work of a solve.

    A pure function of its inputs (same inputs and settings in deterministic
    mode, same result), so independent parts can be solved anywhere.

    Parameters
    ----------
    problem
        The whole problem.
    options
        The part's option indices.
    seconds
        Its budget (deterministic time in deterministic mode).
    hint
        Per option of the part, whether the greedy plan takes it.
    settings
        The solver's settings (seed, mode, tolerances...).
    prior, calendar
        What parts solved before took (split components): their use of caps,
        teams and faces, and their calendar for the warm starts. A whole
        component needs only an empty calendar.
    tiers
        Replaces the settings' order (weeks before the last of a split horizon).
    withheld
        Steps that get no tolerance here.
    earlier
        Per step, its value in earlier parts: the step may give up its
        tolerance's share of its value here plus that (a horizon-wide budget).
    """
    part = _PartSolve(
        problem, options, seconds, hint, settings, prior, calendar, tiers, withheld, earlier
    )
    return part.run()


class _PartSolve:
    """One part's solve in progress: the model, the plan so far, what is held.

    Implements :class:`~matchkracht.solver.cpsat.objectives.PartView` for the
    objectives' warm starts and rules.
    """

    def __init__(
        self,
        problem: Problem,
        options: IntArray,
        seconds: float,
        hint: BoolArray,
        settings: SolverSettings,
        prior: Prior | None,
        calendar: Calendar | None,
        tiers: tuple[str, ...] | None,
        withheld: Collection[str],
        earlier: Mapping[str, float] | None,
    ) -> None:
        s = settings
        self.problem, self.options, self.settings = problem, options, s
        self.prior, self.calendar = prior, calendar
        self.tiers = tiers or s.tiers
        self.withheld, self.earlier = withheld, earlier or {}
        self.budget = Budget(seconds, s.deterministic)  # building the model counts
        self.m: Model = build_model(problem, options, self.tiers, prior)
        values = hint | problem.opt_locked[options]
        self.values: BoolArray = complete_teams(problem, options, values)
        self.greedy_start = self.values.copy()
        self.bound = float(trivial_bound(problem, options))
        self.optimal = self.found = True
        self.budget.sync()
        self.statuses: list[str] = []
        self.step_status: dict[str, str] = {}
        self.kept: dict[str, int] = {}  # the floor of each step held so far
        self.loose: set[str] = set()  # held with a tolerance that is still on offer
        self.coverage_seconds = 0.0
        # once restricted (large parts, tiers after coverage), the model holds
        # only the options at positions ``sel`` of ``options``
        self.sel = np.arange(len(options))
        self.steps = solve_steps(self.tiers)
        # per step, the position in ``tiers`` of the tier it belongs to
        self.group = {st: g for g, t in enumerate(self.tiers) for st in solve_steps((t,))}
        self.k = 0

    # -- PartView -------------------------------------------------------------

    def evaluate(self, tier: str, values: BoolArray) -> float:
        sel = self.sel
        return evaluate(tier, values[sel], self.problem, self.options[sel], self.prior)

    def improves(self, tier: str, start: BoolArray, current: BoolArray) -> bool:
        return self.evaluate(tier, start) > self.evaluate(tier, current) and self.keeps(self.kept)(
            start[self.sel]
        )

    def keeps(self, floors: Mapping[str, float]) -> Callable[[BoolArray], bool]:
        return partial(keeps, floors, self.problem, self.options[self.sel], self.prior)

    def comes_later(self, tier: str) -> bool:
        return tier in self.steps[self.k + 1 :]

    def fresh_model(self, floors: dict[str, int]) -> Model:
        return restricted_model(
            self.problem, self.options[self.sel], self.tiers, self.prior, floors
        )

    # -- the loop ---------------------------------------------------------------

    def run(self) -> PartResult:
        """Solve the steps in order; each is held before the next."""
        for k, step in enumerate(self.steps):
            self.k = k
            self._win_back(step)
            if k == 1 and len(self.options) >= tuning.LARGE_COMPONENT:
                self._restrict()
            built = self.m.tier(step) is not None  # later tiers are built now
            self.budget.sync()  # wall-clock mode: building, hints and restricting count
            if not built:
                continue  # nothing to optimise in this part (e.g. no previous plan)
            self._start(step)
            self._solve(step)
        if len(self.sel) < len(self.options):
            self.optimal = False  # later tiers searched only among the relevant options
        p, o = self.problem, self.options
        values = {t: evaluate(t, self.values, p, o, self.prior) for t in self.tiers}
        self.budget.sync()
        return PartResult(
            values=np.flatnonzero(self.values),
            bound=self.bound,
            optimal=self.optimal,
            found=self.found,
            spent=self.budget.spent,
            tiers=values,
            status="/".join(self.statuses),
            coverage_seconds=self.coverage_seconds,
            safety_net=self.budget.safety_net,
        )

    def _tolerance(self, step: str) -> float:
        """A fairness step's own tolerance, else its tier's (none when withheld)."""
        if step in self.withheld:
            return 0.0
        tol = self.settings.tolerance
        family = REGISTRY[step].family or step
        return float(tol.get(step, tol.get(family, 0.0)))  # type: ignore[call-overload]

    def _share(self, step: str, value: float, tolerance: float) -> float:
        """The tolerance as a share of ``value``, with the earlier parts' value."""
        before = abs(self.earlier.get(step, 0.0))
        if tolerance > 0 and before > 0 and value != 0:
            return tolerance * (abs(value) + before) / abs(value)
        return tolerance

    def _hold(self, step: str, value: float, tolerance: float) -> None:
        self.kept[step] = self.m.hold(step, value, self._share(step, value, tolerance))
        if tolerance > 0:
            self.loose.add(step)

    def _win_back(self, step: str) -> None:
        """Tiers held loose whose next tier is held now: win back the rest, hold them whole."""
        g = self.group
        for held in sorted(self.loose):
            if any(g[held] < g[t] < g[step] for t in self.kept):
                self.values = warmstart.win_back(self, self.m, held, self.values)
                value = self.evaluate(held, self.values)
                self.kept[held] = max(self.kept[held], self.m.hold(held, value, 0.0))
                self.loose.discard(held)

    def _restrict(self) -> None:
        """Large parts, tiers after coverage: a model of the relevant options only."""
        fair = any(REGISTRY[t].family == "fairness" for t in self.steps)
        keep = relevant_options(
            self.problem,
            self.options,
            self.values | self.greedy_start,
            self.prior,
            self.values if fair else None,
        )
        if keep.any() and not keep.all():
            self.sel = np.flatnonzero(keep)
            self.m = self.fresh_model(self.kept)

    def _start(self, step: str) -> None:
        """The step's start: the greedy plan when better, then the tier's own warm start."""
        if self.k > 0 and self.improves(step, self.greedy_start, self.values):
            # with a tolerance on coverage, the familiar-faces greedy is often the
            # best start for continuity
            self.values = self.greedy_start.copy()
        own = REGISTRY[step].warm_start
        if own is not None:
            self.values = own(self, self.values)

    def _solve(self, step: str) -> None:
        """Solve one step from the plan so far (or skip it) and hold its value."""
        s, m, sel, objective = self.settings, self.m, self.sel, REGISTRY[step]
        tolerance = self._tolerance(step)
        weight = None
        if objective.time_weight is not None:
            weight = objective.time_weight(self, self.evaluate(step, self.values))
        large = len(self.options) >= tuning.LARGE_COMPONENT
        seconds = self.budget.left() * tier_share(self.steps, self.k, large, weight)
        skipped = objective.skip(self, tolerance) if objective.skip is not None else None
        if not skipped and s.hint and seconds < tuning.MIN_TIER_SECONDS_PER_OPTION * len(sel):
            skipped = "SKIPPED"  # too little time to even load the model
        if skipped:
            # no solve: the plan so far keeps this step's value
            self.statuses.append(skipped)
            self.step_status[step] = skipped
            self.optimal &= skipped == "IMPLIED"
            self._hold(step, self.evaluate(step, self.values), tolerance)
            return
        if s.hint:
            m.hint(self.values[sel])
        # a tier that comes later gains from the start: of the plans with the
        # best value, keep as much of the start as possible
        close = bool(objective.keep_start_for) and self.comes_later(objective.keep_start_for)
        maximize(m, step, self.values[sel] if close else None)
        seconds -= self.budget.unsynced()  # restricting and hinting took time too
        solver = cp_model.CpSolver()
        configure(solver, s, seconds, len(sel), first=self.k == 0)
        code = solver.solve(m.model)
        self.budget.account(solver)
        self.statuses.append(solver.status_name(code))
        self.step_status[step] = self.statuses[-1]
        if self.k == 0:
            self.coverage_seconds = time.perf_counter() - self.budget.start
        solved = solution(solver, code, m, sel, len(self.options))
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "step %s: %d options, %.2f s budget, %.2f s, %s, from %s to %s (bound %s%s)",
                step,
                len(sel),
                seconds,
                solver.wall_time,
                solver.status_name(code),
                self.evaluate(step, self.values),
                None if solved is None else self.evaluate(step, solved),
                solver.best_objective_bound,
                ", with the start kept" if close else "",
            )
        if solved is not None:
            before, self.values = self.values, solved
            # integer objectives; large coefficients make the double inexact
            value = self.evaluate(step, solved) if close else float(round(solver.objective_value))
            if "coverage" in self.loose:
                # a tolerance lets this step drop tasks; put back those it
                # dropped without gaining by it
                self.values, value = warmstart.restore_dropped(self, before, solved, step, value)
            if self.k == 0:
                # CP-SAT's bound can exceed the trivial one before its LP has run
                self.bound = min(self.bound, float(math.floor(solver.best_objective_bound + 1e-6)))
            self.optimal &= code == cp_model.OPTIMAL
        else:
            # keep the previous step's (or the greedy) plan
            self.optimal = False
            self.found &= self.k > 0 or bool(s.hint)
            value = self.evaluate(step, self.values)
        self._hold(step, value, tolerance)


class CpSatSolver:
    """Solve a :class:`~matchkracht.problem.Problem` with OR-Tools CP-SAT.

    Parameters
    ----------
    settings
        A :class:`~matchkracht.settings.SolverSettings`; keyword arguments are
        also accepted (``CpSatSolver(time_limit=5, seed=1)``).
    cluster
        A :class:`distributed.Client`: parts that share nothing are solved on
        its workers (the problem is sent once; see :mod:`matchkracht.scale`).
        ``None``: in this process. In deterministic mode both give the same plan.
    """

    name = "cpsat"

    def __init__(
        self,
        settings: SolverSettings | None = None,
        *,
        cluster: Client | None = None,
        **kwargs: Any,
    ) -> None:
        if settings is not None and kwargs:
            settings = settings.model_copy(update=kwargs)
            settings = SolverSettings.make(**settings.model_dump())
        self.settings = settings or SolverSettings.make(**kwargs)
        self.cluster = cluster

    def __repr__(self) -> str:
        return f"CpSatSolver({self.settings!r})"

    def _params(
        self, solver: cp_model.CpSolver, seconds: float, size: int, first: bool = False
    ) -> None:
        configure(solver, self.settings, seconds, size, first)

    def solve(self, problem: Problem) -> Solution:
        """Solve lexicographically, part by part, within the time limit.

        Parts that share nothing come first, each with a fixed share of the
        budget decided before any runs (so they can run at once, anywhere, and
        give the same plan); the parts that depend on earlier ones follow in
        order with what is left.
        """
        s = self.settings
        clock = Budget(s.time_limit, s.deterministic, share=tuning.DEADLINE_SHARE)
        split = split_parts(problem, s.seed, s.regions)
        giver = at_cap_giver(s.tiers)
        # per split component, the giver's value summed over its week parts so far
        given: dict[tuple[int, int], float] = {}
        # per independent component: its options, the engine's bound (none for a
        # component split by weeks: its parts' bounds hold only given the parts
        # before) and a relaxation's bound
        pieces: list[tuple[IntArray, float | None, float | None]] = []
        split_components = list(dict.fromkeys(q.component for q in split.parts if not q.exact))
        # per component split into regions (in turn, or independent ones): the sum
        # of its regions' widened bounds; a region left with no option at all
        # counts with its trivial bound
        region_bound: dict[tuple[int, int], float] = {
            c: float(sum(trivial_bound(problem, q) for q in split.emptied.get(c, [])))
            for c in split_components
            if all(
                q.region or q.whole is not None or q.second is not None
                for q in split.parts
                if q.component == c
            )
        }
        total = sum(len(q.options) for q in split.parts)
        hint = familiar_first_options(problem) if s.hint else np.zeros(0, dtype=np.int64)
        hint_set = np.zeros(problem.num_options, dtype=bool)
        hint_set[hint] = True
        chosen: list[IntArray] = []
        all_optimal, found_any = split.regions == 0, True
        tier_values: dict[str, float] = {t: 0.0 for t in s.tiers}
        statuses: list[str] = []
        calendar = Calendar(problem)
        coverage_seconds = 0.0

        def record(part: Part, comp: IntArray, res: PartResult) -> None:
            nonlocal all_optimal, found_any, coverage_seconds
            clock.charge(res.spent)
            clock.safety_net += res.safety_net
            picked = comp[res.values]
            chosen.append(picked)
            for o in picked.tolist():
                calendar.take(o)
            if part.exact:
                pieces.append((comp, res.bound, None))
            all_optimal &= res.optimal
            found_any &= res.found
            statuses.append(res.status)
            coverage_seconds += res.coverage_seconds
            for t, v in res.tiers.items():
                tier_values[t] += v

        def widen(part: Part, comp: IntArray, bound: float, prior: Prior | None) -> None:
            """Add a region's bound (``bound``, on the options ``comp`` it was solved
            with), widened to one with every volunteer's whole time."""
            if part.component not in region_bound:
                return
            if part.whole is not None:
                # an independent region: widened by the tasks of those left out
                region, others = part.whole, np.ones(problem.num_volunteers, dtype=bool)
                others[problem.opt_vol[comp]] = False
                slack = busy_slack(problem, region, others)
            elif part.region:
                # a region solved in turn: widened by what the regions before took
                region = part.options
                slack = prior_slack(problem, region, prior)
            else:
                return  # the second chance: its tasks are the regions'
            region_bound[part.component] += min(
                float(trivial_bound(problem, region)), bound + slack
            )

        # 1. parts that share nothing: a fixed share each, solved anywhere; a small
        # part gets at least MIN_PART_SECONDS (its share by options alone can be too
        # short to load a model; what it does not use is not charged)
        free = [q for q in split.parts if q.free]
        clock.sync()
        left = max(clock.left(), 0.0)
        items = [
            FreePart(
                q.options,
                max(left * len(q.options) / max(total, 1), min(tuning.MIN_PART_SECONDS, left)),
                hint_set[q.options],
                s,
            )
            for q in free
        ]
        results = map_parts(
            solve_free_part, problem, items, cluster=self.cluster, threads=s.workers
        )
        for q, res in zip(free, results, strict=True):
            record(q, q.options, res)
            widen(q, q.options, res.bound, None)
        remaining_size = total - sum(len(q.options) for q in free)
        # 2. parts that depend on the ones before, in order, here
        for part in (q for q in split.parts if not q.free):
            size = len(part.options)
            comp, prior = part.options, None
            if part.second is not None:
                # tasks the independent regions left uncovered: every option of theirs
                covered = np.zeros(problem.num_tasks, dtype=bool)
                if chosen:
                    covered[problem.opt_task[np.concatenate(chosen)]] = True
                comp = part.second[~covered[problem.opt_task[part.second]]]
            early = giver is not None and part.early
            # weeks before the last move fairness:at_cap after continuity and withhold
            # the tolerance meant for it; the last week may give up its share of the
            # whole horizon's value
            tiers = early_week_tiers(s.tiers) if part.early else s.tiers
            withheld = {giver} if early and giver is not None else set()
            last = {giver: given.get(part.component, 0.0)} if giver and part.last else {}
            # a part of a split component: leave out what earlier parts made
            # impossible, and start from the part of the greedy plan that still fits
            comp = comp[np.array([calendar.fits(o) for o in comp.tolist()], dtype=bool)]
            comp_hint = fitting_hint(problem, comp, hint_set[comp], calendar)
            done = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
            prior = Prior.from_calendar(problem, calendar, done)
            if not len(comp):
                widen(part, comp, 0.0, prior)  # nothing fits beside the parts before
                remaining_size -= size
                continue
            clock.sync()
            left = max(clock.left(), 0.0)
            seconds = max(left * size / max(remaining_size, 1), min(tuning.MIN_PART_SECONDS, left))
            if s.hint and seconds < tuning.BUILD_SECONDS_PER_OPTION * len(comp):
                # no time to build a model: the part of the greedy plan is kept
                res = greedy_part(problem, comp, comp_hint, tiers, prior)
            else:
                res = solve_part(
                    problem,
                    comp,
                    seconds,
                    comp_hint,
                    s,
                    prior=prior,
                    calendar=calendar,
                    tiers=tiers,
                    withheld=withheld,
                    earlier=last,
                )
            remaining_size -= size
            record(part, comp, res)
            widen(part, comp, res.bound, prior)
            if early and giver is not None:
                given[part.component] = given.get(part.component, 0.0) + res.tiers[giver]
        pieces += [
            (
                np.concatenate([q.options for q in split.parts if q.component == c]),
                region_bound.get(c),
                None,
            )
            for c in split_components
        ]
        options = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
        options, filled = self._fill(problem, options, tier_values)
        # the supply relaxation where the plan is not proven optimal, counting each
        # volunteer once per component (also across the regions of a split one)
        pieces, supply_stats = tighten(
            problem,
            pieces,
            options,
            tuning.SUPPLY_SHARE * s.time_limit,
            deterministic=s.deterministic,
            safety_factor=s.safety_factor,
        )
        covered_weight = tier_values.get("coverage", 0.0)
        proven = whole_bound(problem, pieces, covered_weight)
        bound = proven.value
        status = "optimal" if all_optimal else ("feasible" if found_any else "no_solution")
        stats = {
            "components": len(split.parts),
            "regions": split.regions,
            "week_parts": split.week_parts,
            "parallel_parts": len(free),
            "options": total,
            "tiers": tier_values,
            "component_statuses": statuses,
            # seconds of model building and the coverage tier, summed over parts
            "coverage_seconds": coverage_seconds,
            "coverage_optimal": math.isclose(bound, covered_weight),
            # options of the plan changed by covering open tasks after the parts
            "filled": filled,
            # LPs of the supply relaxation solved, rounds of volunteers' exact weeks
            # priced (weeks bound), and their seconds (wall clock)
            **supply_stats,
            # deterministic mode: solves stopped by the wall-clock safety net (then
            # the plan depends on the machine's load; 0: reproducible)
            "safety_net_fired": clock.safety_net,
            "bound_kind": proven.kind,
            "bound_kinds": proven.kinds,
            "settings": s.model_dump(mode="json"),
        }
        return Solution(options, status, bound, time.perf_counter() - clock.start, self.name, stats)

    def _fill(
        self, problem: Problem, options: IntArray, tier_values: dict[str, float]
    ) -> tuple[IntArray, int]:
        """The plan ``options`` with open tasks covered by moving one task aside.

        Runs when coverage is the first tier and holds no tolerance (a tolerance
        lets a later tier give coverage up on purpose), within
        :data:`~matchkracht.solver.cpsat.budget.FILL_SHARE` of the time limit.
        ``tier_values`` change (in place) by what the moves change, each tier
        valued on the whole plan. Returns the plan and how many options changed.
        """
        s = self.settings
        if not s.tiers or s.tiers[0] != "coverage" or s.tolerance.get("coverage", 0.0) > 0:
            return options, 0
        checks = int(tuning.FILL_SHARE * s.time_limit * tuning.FILL_CHECKS_PER_SECOND)
        new = cover_open(problem, options, checks)
        changed = len(np.setxor1d(options, new))
        if changed:
            seen = np.union1d(options, new)
            for t in tier_values:
                value = REGISTRY[t].value
                tier_values[t] += value(problem, new, seen, None) - value(
                    problem, options, seen, None
                )
        return new, changed


@dataclass(frozen=True)
class FreePart:
    """A part that shares nothing with the others, as sent to wherever it is solved."""

    options: IntArray
    seconds: float
    hint: BoolArray
    settings: SolverSettings


def solve_free_part(problem: Problem, part: FreePart, threads: int) -> PartResult:
    """Solve a part that shares nothing, with ``threads`` CP-SAT workers (see ``map_parts``)."""
    s = part.settings
    if threads != s.workers:
        s = s.model_copy(update={"workers": threads})
    if s.hint and part.seconds < tuning.BUILD_SECONDS_PER_OPTION * len(part.options):
        # no time to build a model: the part of the greedy plan is kept
        return greedy_part(problem, part.options, part.hint, s.tiers)
    # it shares no volunteer with another part: an empty calendar is its own
    return solve_part(problem, part.options, part.seconds, part.hint, s, calendar=Calendar(problem))
