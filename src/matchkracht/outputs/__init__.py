"""What people get out of a plan: calendars, rosters, messages, the funder's report.

These sit above the plan, app and advice layers: they read plans (and the
registry, for names and places a volunteer needs), never the other way round.
That is why they are functions (``matchkracht.to_ics(plan, folder,
registry=...)``) rather than :class:`~matchkracht.plan.Plan` methods: the plan
layer may not import them (tests/test_architecture.py).
"""

from __future__ import annotations

from matchkracht.outputs.funder import FunderReport, funder_report
from matchkracht.outputs.ics import event_uid, to_ics
from matchkracht.outputs.map import week_map_svg
from matchkracht.outputs.messages import resident_messages, volunteer_messages, write_messages
from matchkracht.outputs.roster import write_roster

__all__ = [
    "FunderReport",
    "event_uid",
    "funder_report",
    "resident_messages",
    "to_ics",
    "volunteer_messages",
    "week_map_svg",
    "write_messages",
    "write_roster",
]
