"""Trips: rides chained and shared in one car (the dial-a-ride problem).

For the weekly plan, :func:`solve_trip_days` groups each day's rides into
outings per driver (:mod:`.outings`: CP-SAT over outing patterns, the default;
:mod:`.routing`: OR-Tools routing). For the Cordeau (2006) benchmark,
:func:`solve_darp` is the engine (OR-Tools routing, or ruin and recreate);
:func:`earliest_schedule` times a route exactly; :func:`insertion_routes`
builds a first solution.
"""

from matchkracht.solver.trips.darp import DarpSolution, solve_darp
from matchkracht.solver.trips.schedule import earliest_schedule
from matchkracht.solver.trips.search import insertion_routes
from matchkracht.solver.trips.weekly import solve_trip_day, solve_trip_days

__all__ = [
    "DarpSolution",
    "earliest_schedule",
    "insertion_routes",
    "solve_darp",
    "solve_trip_day",
    "solve_trip_days",
]
