"""Trips: rides chained and shared in one car (dial-a-ride), with OR-Tools routing."""

from matchkracht.solver.trips.darp import DarpSolution, solve_darp
from matchkracht.solver.trips.schedule import earliest_schedule, insertion_routes

__all__ = ["DarpSolution", "earliest_schedule", "insertion_routes", "solve_darp"]
