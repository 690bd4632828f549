"""independent_parts: every volunteer in one part, parts that share nothing, locks kept."""

from __future__ import annotations

import builders as b
import numpy as np

import matchkracht as mk
from matchkracht.solver import cpsat
from matchkracht.solver.cpsat.decompose import home_parts, independent_parts


def _split(seed: int = 3) -> tuple[mk.Problem, list[np.ndarray]]:
    problem = mk.build_problem(b.generated_registry("village", seed=seed), b.WEEK)
    parts = cpsat.split_region(problem, np.arange(problem.num_options), seed=0, part_options=150)
    return problem, parts


def test_independent_parts_share_no_volunteer_and_lose_only_dropped_options() -> None:
    problem, parts = _split()
    assert len(parts) >= 3
    out = independent_parts(problem, parts)
    assert out is not None
    kept, dropped = out
    seen: set[int] = set()
    for part in kept:
        vols = set(problem.opt_vol[part].tolist())
        assert not vols & seen
        seen |= vols
    # nothing is invented and nothing is lost without being reported
    everything = np.concatenate([*kept, dropped])
    assert sorted(everything.tolist()) == sorted(np.concatenate(parts).tolist())
    # each kept part is inside its original part (tasks never move)
    for part, original in zip(kept, parts, strict=True):
        assert set(part.tolist()) <= set(original.tolist())
    # the split binds: volunteers near a border lose options in the other part
    assert len(dropped) > 0


def test_a_volunteer_lives_where_it_can_serve_most_weight() -> None:
    problem, parts = _split()
    options, label, home = home_parts(problem, parts)
    for v in np.unique(problem.opt_vol[options]).tolist():
        mine = problem.opt_vol[options] == v
        pairs = problem.opt_pair[options[mine]]
        weights = [
            problem.task_weight[problem.pair_task[np.unique(pairs[label[mine] == i])]].sum()
            for i in range(len(parts))
        ]
        assert weights[home[v]] == max(weights)


def test_the_independent_parts_together_are_one_feasible_plan() -> None:
    reg = b.generated_registry("village", seed=3)
    problem = mk.build_problem(reg, b.WEEK)
    parts = cpsat.split_region(problem, np.arange(problem.num_options), seed=0, part_options=150)
    out = independent_parts(problem, parts)
    assert out is not None
    chosen = []
    for part in (q for q in out[0] if len(q)):
        settings = mk.SolverSettings(time_limit=2, seed=0, workers=1, tiers=("coverage",))
        # solve each part alone: options outside it do not exist for it
        res = cpsat.solve_part(problem, part, 0.5, np.zeros(len(part), bool), settings)
        chosen.append(part[res.values])
    solution = mk.Solution(np.sort(np.concatenate(chosen)), "feasible", None, 0.0, "parts")
    plan = mk.build_plan(problem, solution, reg)
    assert mk.check(reg, plan).empty
