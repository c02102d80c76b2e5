"""``python -m routing solve problem.json [-o solution.json] [--time-limit S] ...``.

Exit 0 with a solution; exit 2 with one line naming the JSON path on bad input.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace

from routing.errors import InputError
from routing.solve import solve
from routing.vroom_json import params_from_vroom, problem_from_vroom, solution_to_vroom

__all__ = ["main"]

logger = logging.getLogger("routing.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m routing")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("solve", help="solve a problem in VROOM's JSON format")
    run.add_argument("problem", help="problem JSON file ('-' reads stdin)")
    run.add_argument("-o", "--output", help="write the solution here instead of stdout")
    run.add_argument("--time-limit", type=float, help="seconds (default 5, or options)")
    run.add_argument("--threads", type=int)
    run.add_argument("--seed", type=int)
    run.add_argument("--balance-weight", type=float)
    run.add_argument("-v", "--verbose", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv
        Arguments without the program name (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 with a solution written, 2 for bad input.
    """
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(name)s: %(message)s",
    )
    try:
        text = sys.stdin.read() if args.problem == "-" else _read(args.problem)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"$: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
        problem = problem_from_vroom(data)
        params = params_from_vroom(data)
        overrides = {
            k: getattr(args, k)
            for k in ("time_limit", "threads", "seed", "balance_weight")
            if getattr(args, k) is not None
        }
        try:
            params = replace(params, **overrides)
        except ValueError as exc:
            raise InputError(f"--{str(exc).replace('_', '-')}") from None
        solution = solve(problem, params)
    except InputError as exc:
        print(f"error: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    out = json.dumps(solution_to_vroom(solution), ensure_ascii=False)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(out + "\n")
    else:
        sys.stdout.write(out + "\n")
    return 0


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
