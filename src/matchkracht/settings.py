"""Solver settings: one frozen, validated object recorded in every plan."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from matchkracht.errors import InvalidSettingsError

__all__ = ["TIERS", "SolverSettings"]

Tier = Literal[
    "coverage",
    "stability",
    "continuity",
    "fairness",
    "fairness:at_cap",
    "fairness:peak",
    "fairness:spread",
    "travel",
]
#: Objective tiers, in the default lexicographic order. ``stability`` only acts
#: when re-planning (it keeps the previous plan's assignments).
TIERS: tuple[Tier, ...] = ("coverage", "stability", "continuity", "fairness", "travel")


class SolverSettings(BaseModel):
    """How a solve runs. Frozen; invalid values raise :class:`InvalidSettingsError`.

    Parameters
    ----------
    time_limit
        Seconds for the whole solve (all components and tiers). In
        deterministic mode, the same number is a *deterministic* time budget
        (CP-SAT's work units, roughly seconds), plus a wall-clock safety net of
        ``safety_factor`` times it.
    seed
        Random seed of the search.
    workers
        CP-SAT search workers; 0 means one per core.
    deterministic
        Same input and seed → the same plan, on the same machine and OR-Tools
        version: uses a deterministic-time limit and interleaved search.
    tiers
        The objective tiers in lexicographic order; ``coverage`` must be first.
        Each later tier is optimised with the earlier ones held at their values
        (less the tier's tolerance). ``fairness`` stands for its three steps in
        order, ``fairness:at_cap``, ``fairness:peak`` and ``fairness:spread``;
        instead of it, the steps may be placed one by one (for example
        ``fairness:at_cap`` before ``continuity``: nobody at a cap every week
        before familiar faces).
    tolerance
        Per tier, the share of its value that the next tier may give up, e.g.
        ``{"coverage": 0.01}``: continuity may cost up to 1 % of covered weight.
        Once the next tier (the next one with anything to optimise) is solved,
        the tier is held at its value in that plan, so the tiers after it cannot
        spend what is left; a fairness tolerance also serves fairness's own later
        steps. A fairness step without its own tolerance takes ``fairness``'s.
    grid
        Start times are whole multiples of this many minutes.
    hint
        Start CP-SAT from the first-fit greedy plan.
    log
        Let CP-SAT print its search log.
    safety_factor
        Deterministic mode only: each CP-SAT solve's wall-clock time is capped
        at this many times its deterministic budget, so a slow machine never
        runs for ever. This safety net is the one escape hatch from "same
        input and seed, same plan": when it fires, the plan depends on the
        machine's load. The plan's ``solver_stats["safety_net_fired"]`` counts
        the solves it stopped (0: reproducible); raise the factor on a heavily
        loaded machine.
    regions
        How the regional parts of a very large component are solved:
        ``"in_turn"`` (each part sees what the parts before it took of a
        volunteer's time) or ``"independent"`` (every volunteer belongs to one
        part, the parts are solved at the same time, on Dask when a cluster is
        given, and the tasks left uncovered get a second chance afterwards);
        see ``docs/scaling.md``.
    trips
        Plan rides as trips after the weekly solve: shared, chained and
        one-way rides, grouped into outings per driver (see ``docs/trips.md``).
        Covered weight never drops below the round-trip plan's.
    trips_time_limit
        Seconds for the trips stage, on top of ``time_limit``; default half
        of ``time_limit`` (on the municipality benchmark, 3 s a day gave 0-36 %
        fewer km a day than 1.5 s, and no day fell back to the round
        trips). In deterministic mode the routing search stops after a fixed
        number of solutions instead (this limit times ten
        stays as a safety net).
    trips_engine
        ``"cpsat"`` (default): CP-SAT chooses among outing patterns;
        ``"routing"``: OR-Tools' routing search, started from the round trips.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_limit: Annotated[float, Field(gt=0, le=86400)] = 10.0
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    workers: Annotated[int, Field(ge=0, le=256)] = 0
    deterministic: bool = False
    tiers: tuple[Tier, ...] = TIERS
    tolerance: dict[Tier, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=dict)
    grid: Annotated[int, Field(ge=1, le=60)] = 5
    hint: bool = True
    log: bool = False
    regions: Literal["in_turn", "independent"] = "in_turn"
    safety_factor: Annotated[float, Field(ge=1)] = 10.0
    trips: bool = False
    trips_time_limit: Annotated[float, Field(gt=0, le=86400)] | None = None
    trips_engine: Literal["cpsat", "routing"] = "cpsat"

    @field_validator("tiers")
    @classmethod
    def _tiers(cls, v: tuple[Tier, ...]) -> tuple[Tier, ...]:
        if not v or v[0] != "coverage" or len(set(v)) != len(v):
            raise ValueError("distinct tiers starting with 'coverage'")
        if "fairness" in v and any(t.startswith("fairness:") for t in v):
            raise ValueError("either 'fairness' or its steps ('fairness:at_cap', ...), not both")
        return v

    @classmethod
    def make(cls, **kwargs: Any) -> SolverSettings:
        """Validate ``kwargs`` into settings, raising :class:`InvalidSettingsError`."""
        try:
            return cls(**kwargs)
        except ValidationError as exc:
            parts = []
            for err in exc.errors():
                name = ".".join(str(x) for x in err.get("loc", ())) or "settings"
                parts.append(
                    f"The {name!r} parameter must be {err.get('msg', '').removeprefix('Value error, ')}; "
                    f"got {err.get('input')!r} instead."
                )
            raise InvalidSettingsError(" ".join(parts)) from None
