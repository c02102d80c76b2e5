"""VROOM alone on the township days, at several (searches, ruin depth) settings.

For each day of ``township_days.py``, VROOM runs to its end at level 5 (32 searches at depth
5) and at every setting given; each prints its CPU time and travel as shares of level 5's.
This is how the seed of ``routing/_vroom.py`` was chosen (``benchmarks/README.md``). CPU time,
not wall time, so that a loaded machine changes the figures less.

    python benchmarks/vroom_configs.py --size medium --seeds 8-18 --configs 16:3,8:8,16:8
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import vroom

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import dodge_break_bug  # noqa: E402
from benchmarks.township_days import make_day, townships, with_matrices  # noqa: E402
from routing import problem_to_vroom  # noqa: E402


def run(path: Path, searches: int, depth: int) -> tuple[float, int]:
    """CPU seconds and VROOM's cost (here its travel time) at one setting."""
    inp = vroom.Input.from_json(path)
    t0 = time.process_time()
    # pyvroom's public solve() takes a level only; the binding takes searches and depth.
    raw = inp._solve(nb_searches=searches, depth=depth, nb_threads=1, timeout=None)
    return time.process_time() - t0, int(raw.summary.cost)


def main() -> None:
    """Print each day's shares, then each setting's means and worst travel share."""
    ap = argparse.ArgumentParser(description="VROOM settings on township days")
    ap.add_argument("--size", default="medium")
    ap.add_argument("--seeds", default="0-12", help="first-last (last excluded)")
    ap.add_argument("--configs", default="16:3,8:8,12:6,16:5,16:8", help="searches:depth,...")
    args = ap.parse_args()
    first, last = map(int, args.seeds.split("-"))
    configs = [tuple(map(int, c.split(":"))) for c in args.configs.split(",")]
    towns = townships()
    shares: dict[tuple[int, ...], list[tuple[float, float]]] = {c: [] for c in configs}
    for seed in range(first, last):
        town = random.Random(f"{args.size}-{seed}").choice(towns)
        data = dodge_break_bug(problem_to_vroom(with_matrices(make_day(town, seed, args.size))))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "day.json"
            path.write_text(json.dumps(data))
            cpu5, cost5 = run(path, 32, 5)
            line = []
            for c in configs:
                cpu, cost = run(path, *c)
                shares[c].append((cpu / cpu5, cost / cost5))
                line.append(f"{c[0]}:{c[1]} cpu {cpu / cpu5:.2f} travel {cost / cost5:.3f}")
        print(f"{args.size}-{seed} level 5 {cpu5:.1f} s, {cost5}: " + "; ".join(line), flush=True)
    print("\n| searches : depth | CPU / level 5 | travel / level 5, mean | worst |")
    print("|---|---|---|---|")
    for c, rows in shares.items():
        cpu = statistics.mean(r[0] for r in rows)
        travel = [r[1] for r in rows]
        mean = statistics.mean(travel)
        print(f"| {c[0]} : {c[1]} | {cpu:.2f} | {mean:.3f} | {max(travel):.3f} |")


if __name__ == "__main__":
    main()
