"""The data layer: validated tables at the boundary.

Pydantic models of one row (:mod:`~matchkracht.data.models`), cell parsing
(:mod:`~matchkracht.data.parsing`), the planning horizon
(:mod:`~matchkracht.data.horizon`), places and travel
(:mod:`~matchkracht.data.geo`) and the pandas-backed
:class:`~matchkracht.data.registry.Registry` with its lazy validation.
"""
