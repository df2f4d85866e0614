"""The program simulator (ANALYTICS.md, "The program simulator"): a window of real history
replayed under a draft program, with the live program's figures beside the draft's.

`simulation_compute(draft=..., window=...)` reads the window's purchases and refunds member by
member (loyalty.simulation.history) and rescores them with the live path's own rules
(loyalty.simulation.replay); the figures of both sides follow the analytics definitions
(loyalty.selectors.points). It writes nothing. `manage.py program simulate` prints them; the
admin's program import shows them beside the diff (loyalty.services.simulations).
"""

from loyalty.simulation.compute import (
    FIGURE_KEYS,
    Period,
    Simulation,
    simulation_compute,
    simulation_purchase_count,
    simulation_zone,
)

__all__ = [
    "FIGURE_KEYS",
    "Period",
    "Simulation",
    "simulation_compute",
    "simulation_purchase_count",
    "simulation_zone",
]
