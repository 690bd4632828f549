"""Make the regional parts of one very large component independent of each other.

:func:`matchkracht.solver.cpsat.split_region` clusters a component's tasks by
place; its parts share no task but do share volunteers, so they must be solved
one after another. :func:`independent_parts` gives every volunteer one *home*
part and drops the volunteer's options in the other parts: the parts then share
no task, no volunteer and no care team, any plans of them together are one
feasible plan, and they can be solved at the same time (on Dask, see
:func:`matchkracht.scale.map_parts`). What the split costs is measured in
``docs/scaling.md``; the tasks it leaves uncovered get a second chance in one
sequential part afterwards (every option of theirs that still fits).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix

from matchkracht.problem.core import Problem

__all__ = ["home_parts", "independent_parts"]

IntArray = npt.NDArray[np.int64]


def home_parts(problem: Problem, parts: Sequence[IntArray]) -> tuple[IntArray, IntArray, IntArray]:
    """Each volunteer's home part: the part where it can serve the most task weight.

    Parameters
    ----------
    problem
        The problem.
    parts
        Option index sets that share no task (the parts of one component).

    Returns
    -------
    options, label, home
        All options of the parts (concatenated), the part of each, and per
        volunteer the home part (-1 for a volunteer without options there).
        A volunteer with a locked option (a kept assignment) lives where that
        option is; ties go to the part listed first.
    """
    p = problem
    options = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    label = np.repeat(np.arange(len(parts), dtype=np.int64), [len(q) for q in parts])
    home = np.full(p.num_volunteers, -1, dtype=np.int64)
    if not len(options):
        return options, label, home
    pair = p.opt_pair[options]
    # one vote per (pair, part), worth the task's weight; a locked pair outweighs all
    pair_part = np.unique(pair * len(parts) + label)
    votes_pair = pair_part // len(parts)
    votes_part = pair_part % len(parts)
    weight = p.task_weight[p.pair_task[votes_pair]].astype(np.float64)
    locked = np.zeros(p.num_pairs, dtype=bool)
    locked[p.opt_pair[options[p.opt_locked[options]]]] = True
    weight[locked[votes_pair]] += float(p.task_weight.sum()) + 1.0
    vols = p.pair_vol[votes_pair]
    table = coo_matrix((weight, (vols, votes_part)), shape=(p.num_volunteers, len(parts))).toarray()
    has = table.max(axis=1) > 0
    home[has] = np.argmax(table[has], axis=1)
    return options, label, home


def independent_parts(
    problem: Problem, parts: Sequence[IntArray]
) -> tuple[list[IntArray], IntArray] | None:
    """The parts with each volunteer's options outside its home part dropped.

    Parameters
    ----------
    problem
        The problem.
    parts
        Option index sets of one component that share no task and no care
        team (:func:`~matchkracht.solver.cpsat.split_region`).

    Returns
    -------
    tuple or None
        The independent parts (in the order given; a part may become empty)
        and the dropped options; ``None`` when locked options of one volunteer
        lie in two parts (they cannot be separated; solve the parts in turn).
    """
    p = problem
    options, label, home = home_parts(problem, parts)
    if not len(options):
        return [np.zeros(0, dtype=np.int64) for _ in parts], options
    keep = home[p.opt_vol[options]] == label
    if bool((p.opt_locked[options] & ~keep).any()):
        return None
    kept = [options[keep & (label == i)] for i in range(len(parts))]
    return kept, np.sort(options[~keep])
