"""Start-of-service times for a route in a fixed visiting order.

For a route in a fixed order every rule of the dial-a-ride problem is a
difference constraint between two start-of-service times: travel
(``B_j >= B_i + d_i + t_ij``), windows (``e_i <= B_i <= l_i``), maximum ride time
(``B_pickup >= B_delivery - d_pickup - L``) and route duration
(``B_start >= B_end - T``). All but the upper window bounds are lower bounds,
so the earliest schedule (the least fixpoint of the lower bounds) exists
exactly when the route is feasible, and it is the schedule returned here:
every start of service as early as the rules allow. :func:`earliest_schedule`
computes it by repeated forward passes, each one lifting pickups that would
otherwise ride too long.
"""

from __future__ import annotations

from matchkracht.problem.core import FloatArray
from matchkracht.problem.darp import DarpInstance

__all__ = ["earliest_schedule"]

#: Slack on float comparisons (minutes).
EPS = 1e-9


def earliest_schedule(
    inst: DarpInstance, route: list[int], travel: FloatArray | None = None
) -> list[float] | None:
    """Earliest feasible start-of-service times along ``route``, or ``None``.

    Parameters
    ----------
    inst
        The instance.
    route
        Nodes in visiting order, depots left out.
    travel
        Travel times to use instead of ``inst.distance`` (e.g. rounded up).

    Returns
    -------
    list of float or None
        ``[depot departure, B(route[0]), ..., B(route[-1]), depot arrival]``;
        ``None`` when no schedule keeps every window, ride time and the
        route duration (capacity and pairing are not checked here).
    """
    n = inst.num_requests
    dist = inst.distance if travel is None else travel
    nodes = [0, *route, inst.end_depot]
    m = len(nodes)
    late = inst.late[nodes].tolist()
    step = (inst.service[nodes[:-1]] + dist[nodes[:-1], nodes[1:]]).tolist()
    pos = {v: k for k, v in enumerate(nodes)}
    svc = inst.service
    ride_time = inst.max_ride_time
    # (pickup position, delivery position, d + L) for requests with both ends here
    rides = [
        (pos[v], pos[v + n], float(svc[v]) + ride_time)
        for v in route
        if 1 <= v <= n and v + n in pos
    ]
    low = inst.early[nodes].tolist()
    duration = inst.max_route_duration
    for _ in range(4 * m + 8):
        t = low[0]
        times = [t]
        for k in range(1, m):
            t += step[k - 1]
            if t < low[k]:
                t = low[k]
            if t > late[k] + EPS:
                return None
            times.append(t)
        changed = False
        for p, d, limit in rides:
            need = times[d] - limit
            if need > times[p] + EPS:
                low[p] = need
                changed = True
        if times[-1] - times[0] > duration + EPS:
            low[0] = max(low[0], times[-1] - duration)
            changed = True
        if not changed:
            return times
        # a lifted node is lifted for good: keep what the pass proved
        low = [a if a > b else b for a, b in zip(low, times, strict=True)]
    return None
