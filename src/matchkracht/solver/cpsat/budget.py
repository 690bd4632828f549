"""Time: every budget and tuning number of the CP-SAT engine, and the :class:`Budget`.

Each number says why it has its value. A solve's time limit is shared out in
three levels: among the independent parts (by their share of the options),
within a part among its steps (:func:`tier_share`), and within a step among the
side solves and the step itself (:data:`RECOVER_SHARE`, :data:`PROBE_SHARE`).
:class:`Budget` counts what is spent: wall-clock seconds normally, CP-SAT's
deterministic time in deterministic mode (so the same input and seed give the
same plan on any machine load).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from matchkracht.settings import SolverSettings

__all__ = [
    "BUILD_SECONDS_PER_OPTION",
    "CHAIN_CANDIDATES",
    "DEADLINE_SHARE",
    "FILL_CHECKS_PER_SECOND",
    "FILL_SHARE",
    "FULL_WORKER",
    "FULL_WORKER_MAX_OPTIONS",
    "LARGE_COMPONENT",
    "LNS_ONLY_SECONDS_PER_OPTION",
    "MAX_COMPONENT",
    "MIN_PART_SECONDS",
    "MIN_TIER_SECONDS_PER_OPTION",
    "PORTFOLIO_WORKERS",
    "REGION_OPTIONS",
    "SUPPLY_SHARE",
    "WEEK_SPLIT",
    "Budget",
    "configure",
    "safety_net_fired",
    "tier_share",
    "worker_count",
]

# -- the whole solve ---------------------------------------------------------

#: Wall-clock mode: the parts may use this share of the time limit; the rest is
#: kept for what follows the last solve (reading values, building the plan and
#: its metrics), so the call returns within its limit.
DEADLINE_SHARE = 0.92

# -- splitting (see :mod:`~matchkracht.solver.cpsat.decompose`) ---------------

#: Components with more options than this are split into regions, each of
#: about ``REGION_OPTIONS`` options: beyond it one model no longer gets through
#: presolve within a usual time limit.
MAX_COMPONENT = 300_000
REGION_OPTIONS = 150_000
#: Multi-week components with at least this many options are solved one ISO
#: week at a time: weekly caps never link two weeks, and smaller models prove
#: better in the same time.
WEEK_SPLIT = 40_000

# -- one part ------------------------------------------------------------------

#: Below this many seconds per option of budget, no model is built for a part
#: (its greedy plan is kept), and below the second a step is skipped (the plan
#: so far is kept): loading the model alone would overrun the limit.
BUILD_SECONDS_PER_OPTION = 1e-5
MIN_TIER_SECONDS_PER_OPTION = 1e-5
#: Every part gets at least this many seconds (or what is left): a part gets
#: a share of the time by its options, and on the village seed 1 (a shared
#: machine, 10 s) a component of a few options got 0.04 s, ended ``UNKNOWN`` and
#: kept its greedy plan, 0.52 points below its optimum. A part hands back what
#: it does not use.
MIN_PART_SECONDS = 0.25
#: On parts with this many options, the first tier gets more of the budget
#: (:data:`FIRST_SHARE_LARGE`), presolve is lighter (:func:`configure`) and the
#: later tiers search among the relevant options only.
LARGE_COMPONENT = 20_000
#: Share of a part's budget for the first tier (coverage by default), on small
#: and on large parts: coverage matters most and is the hardest to prove.
FIRST_SHARE = 0.5
FIRST_SHARE_LARGE = 0.7
#: On large parts the coverage tier runs without CP-SAT presolve: presolve
#: took seconds there, and without it the LP proves better bounds.
PRESOLVE_OFF_FIRST_TIER = True
#: Below this many seconds per option of budget, the coverage tier of a large
#: part runs large-neighbourhood search only, without the LP worker (whose
#: bound it then does not prove). On the municipality (92,000 options), with
#: 5.4 / 14.4 / 18.2 s for coverage, LNS only reached 1,651 / 1,659 / 1,659
#: covered weight against 1,626 (the hint) / 1,651 / 1,657 with the ``max_lp``
#: worker, which at 18.2 s proves 1,679 (the optimum is 1,677).
LNS_ONLY_SECONDS_PER_OPTION = 1.5e-4
#: The full worker of every solve on fewer than :data:`PORTFOLIO_WORKERS`
#: workers: CP-SAT's ``max_lp`` (its LP at linearisation level 2, which holds
#: the model's "or" terms — a familiar face, a team, a cap reached — that level 1
#: leaves out); the other workers run large-neighbourhood search. CP-SAT's own
#: portfolio on 2 workers has ``default_lp`` as its one full worker, and only
#: from 6 workers a ``max_lp`` one. Measured on 2 cores (a loaded machine), each
#: step's model as exported from a default solve, ``max_lp`` against CP-SAT's
#: default: village (603 options) spread 0.13 s ``OPTIMAL`` against 9.5 s, travel
#: 0.10 s ``OPTIMAL`` against ``FEASIBLE`` at 10 s (bound -3,766 for -4,536);
#: scarce municipality (33,490 options) coverage ``OPTIMAL`` (1,303) in 18 s
#: against ``FEASIBLE`` 1,267 with the former ``lb_tree_search`` worker and
#: 1,283 with the default; its continuity ``OPTIMAL`` in 0.4 s against
#: ``FEASIBLE`` at 3 s (bound -85,773 for -166,203).
FULL_WORKER = "max_lp"
PORTFOLIO_WORKERS = 6
#: Models with more options than this run large-neighbourhood search only, without
#: the LP worker: its LP holds about 10 KB per option. On the province the second
#: chance (528,944 variables, 184 s) raised the client's peak from 3.97 to 9.27 GiB
#: with it (target 8 GiB). The regions of a split component stay below it.
FULL_WORKER_MAX_OPTIONS = MAX_COMPONENT

#: After every part: the share of the time limit for covering open tasks of the
#: whole plan by moving one task aside (:func:`~matchkracht.solver.cpsat.fill.cover_open`),
#: counted in fit checks at :data:`FILL_CHECKS_PER_SECOND` (so the plan depends on the
#: time limit, not on the clock). Taken from what :data:`DEADLINE_SHARE` leaves. On the
#: province (540 s) the fill used 229,000 checks (1.4 s) and covered 2.0 points more.
FILL_SHARE = 0.02
FILL_CHECKS_PER_SECOND = 100_000
#: After the fill: at most this share of the time limit (wall clock) for the bound of
#: the components whose plan is not proven optimal: the supply relaxation's LP, then
#: rounds of volunteers' exact weeks (:func:`~matchkracht.solver.cpsat.exact_weeks.tighten`). Taken from what
#: :data:`DEADLINE_SHARE` leaves. Measured on an idle 2-core machine: the base
#: municipality's LP (40,540 pairs) in 0.7 s, the base region's (533,181 pairs)
#: in 13.5 s.
SUPPLY_SHARE = 0.04

# -- the steps after the first (weights: see the tiers' registry) -------------

#: Time weight of each step: a step gets its weight's share among the steps
#: still to run (the last step all that is left). Continuity and coverage
#: weigh most (they hold the most value); fairness is three steps (0.5, 0.15,
#: 0.2: the count at a cap moves tasks, the other two are mostly proven fast);
#: travel is a tie-breaker; stability only acts when re-planning. ``fairness``
#: as one tier is only used when a caller gives the tiers unexpanded.
TIER_WEIGHT = {
    "coverage": 0.7,
    "stability": 0.4,
    "continuity": 0.7,
    "fairness": 0.5,
    "fairness:at_cap": 0.5,
    "fairness:peak": 0.15,
    "fairness:spread": 0.2,
    "travel": 0.3,
}
#: Weight of ``fairness:at_cap`` when somebody is at a cap every week at its
#: start (several weeks; in a week part of a split horizon, at a cap in every
#: week so far): the step has real work. On one-week horizons "at a cap every
#: week" is "at a cap this week", common and rarely movable: less time.
AT_CAP_BUSY_WEIGHT = 1.5
AT_CAP_ONE_WEEK_WEIGHT = 0.15
#: Share of the time left to win back what the next tier did not need of a
#: tier's tolerance (the win-back strategy): a short re-solve from a good start.
RECOVER_SHARE = 0.1
#: Share of the time left for the plan continuity would choose, as the start
#: of ``fairness:at_cap`` placed before continuity (the probe strategy).
PROBE_SHARE = 0.15
#: Candidates per task that relief tries to free by a chain of two moves (and
#: four times as many for the hand-on): enough to find room on the
#: municipality, few enough that relief stays a fraction of a second.
CHAIN_CANDIDATES = 8


def tier_share(tiers: tuple[str, ...], k: int, large: bool, weight: float | None = None) -> float:
    """Share of the remaining time budget for tier ``tiers[k]``.

    The first tier gets a fixed share (more on large components), the last
    tier all that is left, and each tier in between its weight's share among
    the tiers still to run (``weight``, when given, replaces tier *k*'s).
    Without fairness, continuity gets 70 % of what coverage left and travel
    the rest; with the default tiers (fairness in its three steps), continuity
    gets 38 % and the three fairness steps together 74 % of what continuity
    left. The first fairness step weighs most: where nobody is at a cap every
    week it is proven at once and its time passes on; where somebody is (in a
    week part of a split horizon: at a cap in every week so far), it is the
    step that moves tasks off them.

    Examples
    --------
    >>> tier_share(("coverage", "continuity", "travel"), 1, large=True)
    0.7
    >>> steps = ("coverage", "continuity", "fairness:at_cap", "fairness:peak",
    ...          "fairness:spread", "travel")
    >>> [tier_share(steps, k, large=True) for k in range(len(steps))]
    [0.7, 0.378378, 0.434783, 0.230769, 0.4, 1.0]
    """
    if k == len(tiers) - 1:
        return 1.0
    if k == 0:
        return FIRST_SHARE_LARGE if large else FIRST_SHARE
    weights = [TIER_WEIGHT[t] for t in tiers[k:]]
    if weight is not None:
        weights[0] = weight
    return round(weights[0] / sum(weights), 6)


@dataclass
class Budget:
    """Seconds to spend and what is spent, in wall-clock or deterministic time.

    In wall-clock mode all time since the start counts (building models,
    hints, warm starts): :meth:`sync` reads the clock. In deterministic mode
    only CP-SAT's deterministic time counts (:meth:`charge`), so the same
    input gives the same shares on any machine. ``share`` is the share of
    ``seconds`` that wall-clock mode may use (:data:`DEADLINE_SHARE` for the
    whole solve).

    Examples
    --------
    >>> b = Budget(10.0, deterministic=True)
    >>> b.charge(2.5)
    >>> b.left()
    7.5
    """

    seconds: float
    deterministic: bool
    share: float = 1.0
    start: float = field(default_factory=time.perf_counter)
    spent: float = 0.0
    #: Deterministic mode: CP-SAT solves stopped by the wall-clock safety net
    #: (see :func:`safety_net_fired`); then the plan depends on the machine.
    safety_net: int = 0

    def sync(self) -> None:
        """Wall-clock mode: count all time since the start as spent."""
        if not self.deterministic:
            self.spent = time.perf_counter() - self.start

    def charge(self, deterministic_time: float) -> None:
        """Deterministic mode: count a CP-SAT solve's deterministic time as spent."""
        if self.deterministic:
            self.spent += deterministic_time

    def account(self, solver: cp_model.CpSolver) -> None:
        """Count a finished CP-SAT solve: its deterministic time, and whether the net stopped it."""
        self.charge(solver.deterministic_time)
        if self.deterministic and safety_net_fired(solver):
            self.safety_net += 1

    def within(self, seconds: float) -> Budget:
        """A budget of ``seconds`` for a side solve, counted in this one's kind of time."""
        return Budget(seconds, self.deterministic)

    def left(self) -> float:
        """Seconds left (negative when overrun)."""
        return self.seconds * (1.0 if self.deterministic else self.share) - self.spent

    def unsynced(self) -> float:
        """Wall-clock mode: seconds passed since the last :meth:`sync` (else 0)."""
        if self.deterministic:
            return 0.0
        return time.perf_counter() - self.start - self.spent


def safety_net_fired(solver: cp_model.CpSolver) -> bool:
    """Whether a deterministic-mode solve was stopped by its wall-clock safety net.

    In deterministic mode :func:`configure` caps wall-clock time at
    ``safety_factor`` times the deterministic limit. A solve that used up that
    wall-clock time before its deterministic time was stopped by the net, so
    its plan depends on the machine's load (it is not reproducible).
    """
    prm = solver.parameters
    if not prm.max_deterministic_time or prm.max_deterministic_time >= 1e300:
        return False
    return bool(
        solver.wall_time >= prm.max_time_in_seconds * 0.99
        and solver.deterministic_time < prm.max_deterministic_time
    )


def worker_count(settings: SolverSettings) -> int:
    """CP-SAT's workers for ``settings``: ``workers``, or one per core when 0."""
    return settings.workers or os.cpu_count() or 1


def configure(
    solver: cp_model.CpSolver,
    settings: SolverSettings,
    budget: float,
    size: int,
    first: bool = False,
) -> None:
    """Set ``solver``'s parameters for one solve of ``budget`` seconds over ``size`` options.

    ``first``: the solve of the first tier. In deterministic mode ``budget`` is
    deterministic time, and wall-clock time is capped at ``safety_factor``
    times it as a safety net.
    """
    s = settings
    prm = solver.parameters
    if size >= LARGE_COMPONENT:
        # presolve's symmetry detection and probing cost many seconds on large
        # components and barely help this model; the search needs the time
        prm.symmetry_level = 0
        prm.cp_model_probing_level = 0
        if first and PRESOLVE_OFF_FIRST_TIER:
            prm.cp_model_presolve = False
        if first and budget < LNS_ONLY_SECONDS_PER_OPTION * size:
            # too short for the LP worker to pay off: both workers improve the plan
            prm.use_lns_only = True
    if size > FULL_WORKER_MAX_OPTIONS:
        # the LP would not fit in memory beside the problem: search only
        prm.use_lns_only = True
    if not prm.use_lns_only and worker_count(s) < PORTFOLIO_WORKERS:
        # one full worker on the strong LP, large-neighbourhood search on the others
        prm.subsolvers.append(FULL_WORKER)
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
