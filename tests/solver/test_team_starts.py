"""Warm starts never split a team over two starts (found on the scarce region)."""

from __future__ import annotations

import builders as b
import numpy as np

import matchkracht as mk
from matchkracht.problem.occupancy import Calendar
from matchkracht.solver.cpsat import warmstart


def _team_problem() -> mk.Problem:
    # a two-person job at 10:00 or 10:30; v3 helped the client before but can only
    # start at 10:30, so handing v1's place to v3 would split the team
    vols = [
        b.volunteer("v1", availability="mon 09:00-12:00"),
        b.volunteer("v2", availability="mon 09:00-12:00"),
        b.volunteer("v3", availability="mon 10:30-12:00"),
    ]
    needs = [b.need("n1", window="10:00-10:30", volunteers_needed=2, continuity="prefer")]
    reg = b.registry(vols, needs=needs, history=[b.history("v3")])
    return mk.build_problem(reg, b.WEEK, prune=False)


def test_familiar_swaps_keep_a_team_at_one_start() -> None:
    p = _team_problem()
    options = np.arange(p.num_options)
    vol = [p.volunteer_ids[v] for v in p.opt_vol]
    start = p.opt_start
    first = int(start.min())
    values = np.array([v in ("v1", "v2") and s == first for v, s in zip(vol, start, strict=True)])
    assert values.sum() == 2
    # v3 is a familiar face at the other start only
    assert {int(s) for v, s in zip(vol, start, strict=True) if v == "v3"} == {first + 30}
    out = warmstart.familiar_swaps(p, options, values, Calendar(p))
    assert len(set(start[out].tolist())) == 1
    assert out.sum() == 2
