"""Search parameters for :func:`routing.solve`."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SolveParams"]


@dataclass(frozen=True)
class SolveParams:
    """How long and how to search.

    Parameters
    ----------
    time_limit
        Wall-clock budget in seconds.
    threads
        Worker processes for the strategy portfolio (1 runs everything in-process).
    seed
        Seed of the node-order permutation and of the strategy choice.
    balance_weight
        0 minimises the total cost only, like VROOM. Above 0, a balancing phase follows
        the cost search (``routing/_balance.py``): it shortens the longest working day, then
        the largest working time, accepting ``balance_weight`` seconds of extra travel per
        second taken off.
    solution_limit
        Stop after this many improving solutions; with a generous ``time_limit`` this
        makes the result reproducible.
    first_solution_time
        Share of the budget OR-Tools' first-solution heuristic may take; its solution races
        the greedy start and the search continues from the cheaper one (a heuristic that
        finishes early leaves the rest of the budget to the search).
    seed_share
        Share of the budget PyVRP's hybrid genetic search may take to find starting routes
        (0 turns it off); OR-Tools searches on from them under every constraint.
    stall_per_task
        Stop OR-Tools' search once it has gone this many seconds per task (at least
        ``STALL_MIN_S``) without improving; 0 (the default) searches to the time limit. A
        small problem is then done in a fraction of its budget; a large one's window is
        longer than the budget and changes nothing.
    log_search
        Let OR-Tools log its search.
    """

    time_limit: float = 5.0
    threads: int = 1
    seed: int = 0
    balance_weight: float = 0.0
    solution_limit: int | None = None
    first_solution_time: float = 0.5
    seed_share: float = 0.7
    stall_per_task: float = 0.0
    log_search: bool = False

    def __post_init__(self) -> None:
        if self.time_limit <= 0:
            raise ValueError(f"time_limit: {self.time_limit} is not positive")
        if self.threads < 1:
            raise ValueError(f"threads: {self.threads} is below 1")
        if self.balance_weight < 0:
            raise ValueError(f"balance_weight: {self.balance_weight} is negative")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise ValueError(f"solution_limit: {self.solution_limit} is below 1")
        if not 0 <= self.first_solution_time < 1:
            raise ValueError(f"first_solution_time: {self.first_solution_time} not in [0, 1)")
        if self.stall_per_task < 0:
            raise ValueError(f"stall_per_task: {self.stall_per_task} is negative")
        if not 0 <= self.seed_share < 1:
            raise ValueError(f"seed_share: {self.seed_share} not in [0, 1)")
