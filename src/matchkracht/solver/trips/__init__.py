"""Trips: rides chained and shared in one car (the dial-a-ride problem).

:func:`solve_darp` is the engine (OR-Tools routing, or ruin and recreate);
:func:`earliest_schedule` times a route exactly; :func:`insertion_routes`
builds a first solution.
"""

from matchkracht.solver.trips.darp import DarpSolution, solve_darp
from matchkracht.solver.trips.schedule import earliest_schedule
from matchkracht.solver.trips.search import insertion_routes

__all__ = ["DarpSolution", "earliest_schedule", "insertion_routes", "solve_darp"]
