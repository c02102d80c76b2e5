"""Solver processes shared by the threads of one process.

Solving needs no database and holds the CPU; preparing and storing a plan is database work
that mostly waits. The in-process planner (``runner.plan_city``: ``daiban plan``, and jobs
run in the web server's threads) and a Celery worker's task threads hand their solves to this
pool, so one township's database work overlaps another's solve. The pool starts on first use
and lives as long as the process, so a second city run pays no start-up.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import routing

log = logging.getLogger(__name__)

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def shared_pool(processes: int) -> ProcessPoolExecutor:
    """The process's solver pool, started with ``processes`` workers on first use.

    Workers come from a fork server that has imported ``routing``: forking a process that
    runs threads is unsafe, and each solver then starts without paying the import again.
    """
    global _pool
    with _lock:
        if _pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["routing"])
            _pool = ProcessPoolExecutor(max_workers=processes, mp_context=context)
            log.info("started a pool of %d solver processes", processes)
        return _pool


def warm(processes: int) -> None:
    """Start every solver process now and solve once in each, so the first townships wait
    for neither (a process's first solve pays for lazy set-up).

    The pool starts a process per waiting task, while none is idle; ``processes`` tasks
    that each hold their process a moment make it start them all.
    """
    pool = shared_pool(processes)
    for future in [pool.submit(_warm_up) for _ in range(processes)]:
        future.result()


def _warm_up(hold: float = 0.2) -> None:
    started = time.perf_counter()
    here = (116.37, 23.55)  # Jieyang
    problem = routing.Problem(
        vehicles=(routing.Vehicle(1, start=0, end=0),),
        jobs=(routing.Job(1, 1, service=60), routing.Job(2, 2, service=60)),
        locations=(here, (here[0] + 0.01, here[1]), (here[0], here[1] + 0.01)),
    )
    routing.solve(problem, routing.SolveParams(time_limit=0.1, stall_per_task=0.01))
    time.sleep(max(0.0, hold - (time.perf_counter() - started)))


def solve_shared(
    problem: routing.Problem, params: routing.SolveParams, processes: int
) -> routing.Solution:
    """Solve in the shared pool; a pool whose process died is replaced for the next caller."""
    pool = shared_pool(processes)
    try:
        return pool.submit(routing.solve, problem, params).result()
    except BrokenProcessPool:
        log.error("a solver process died; starting a new pool for the next township")
        shutdown(pool)
        raise


def shutdown(pool: ProcessPoolExecutor | None = None) -> None:
    """Stop the shared pool (only if it is still ``pool``, when one is given)."""
    global _pool
    with _lock:
        if _pool is None or (pool is not None and _pool is not pool):
            return
        old, _pool = _pool, None
    old.shutdown(wait=False, cancel_futures=True)
