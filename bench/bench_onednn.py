"""What switching TensorFlow's oneDNN kernels off costs the course's training runs.

``initlab.quiet_keras.import_keras`` sets ``TF_ENABLE_ONEDNN_OPTS=0`` unless it is already set, so
that every x86-64 CPU runs the same kernels. The option only counts before TensorFlow loads, so
each setting runs in its own worker process. The two workers alternate, run by run, and each run
is one ``training.train`` call of a chapter's size: digits, 10 ReLU layers of 64, He normal, Adam,
5 epochs. The table gives the median seconds per run and the ratio off/on (> 1: off is slower).

Usage: ``python bench/bench_onednn.py [--repeats N]``; ``make bench`` runs it after the
propagation bench.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

WORKER = r"""
import json, sys, time
from initlab import data, training
digits = data.load("digits")
run = lambda seed: training.train(digits, init="he_normal", activation="relu", depth=10, width=64,
                                  epochs=5, seed=seed)
run(0)                                          # warm-up: TensorFlow's import and tracing
for line in sys.stdin:
    start = time.perf_counter()
    run(int(line))
    print(json.dumps(time.perf_counter() - start), flush=True)
"""


def start_worker(onednn: str) -> subprocess.Popen:
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS=onednn)
    return subprocess.Popen([sys.executable, "-c", WORKER], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)


def measure(repeats: int) -> dict[str, list[float]]:
    workers = {"on": start_worker("1"), "off": start_worker("0")}
    times = {name: [] for name in workers}
    try:
        for seed in range(1, repeats + 1):
            for name, worker in workers.items():
                worker.stdin.write(f"{seed}\n")
                worker.stdin.flush()
                times[name].append(json.loads(worker.stdout.readline()))
    finally:
        for worker in workers.values():
            worker.stdin.close()
            worker.wait(timeout=60)
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="runs per setting (default 7)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    times = measure(args.repeats)
    on, off = statistics.median(times["on"]), statistics.median(times["off"])
    spread = {k: f"{min(v):.2f}-{max(v):.2f} s" for k, v in times.items()}  # ASCII: any locale prints it
    print(f"\noneDNN: training.train (digits, 10 ReLU layers × 64, 5 epochs), "
          f"{args.repeats} runs per setting, alternating")
    print("| TF_ENABLE_ONEDNN_OPTS=1 | TF_ENABLE_ONEDNN_OPTS=0 (the course's default) | off / on |")
    print("|---|---|---|")
    print(f"| {on:.2f} s ({spread['on']}) | {off:.2f} s ({spread['off']}) | {off / on:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
