"""``python -m bench``: run the benchmark, print the table and write the JSON results."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.cases import CASES, RATIOS
from bench.report import compare, document, machine_info, markdown, render, write_json
from bench.runner import REPO, Settings, run_all

DEFAULT_SIZES = [1_000, 10_000, 50_000]
TINY_SIZES = [40]
TINY_ENTITIES = 3


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be whole numbers separated by commas, not '{text}'") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("give at least one size of 1 or more")
    return sizes


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in {c.name for c in CASES}]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown case(s) {', '.join(unknown)}; "
                                         f"choose from {', '.join(c.name for c in CASES)}")
    return names


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--sizes", type=_sizes, default=None,
                   help="activity counts to measure, comma separated (default 1000,10000,50000)")
    p.add_argument("--repeat", type=int, default=5, help="timed runs per case and size (default 5)")
    p.add_argument("--entities", type=int, default=50, help="group entities in every register (default 50)")
    p.add_argument("--seed", type=int, default=7, help="seed of the synthetic register (default 7)")
    p.add_argument("--budget", type=float, default=30.0,
                   help="stop repeating a case once its runs reach this many seconds (default 30)")
    p.add_argument("--cases", type=_names, default=None, help="only these cases, comma separated")
    p.add_argument("--profile", type=_names, default=[],
                   help="also profile these cases with pyinstrument (text report next to the JSON)")
    p.add_argument("--tracemalloc", action="store_true",
                   help="also measure the peak of Python allocations (one more run per case; slow)")
    p.add_argument("--full", action="store_true",
                   help="also run the cases capped at 10,000 activities (export_floor, export_write)")
    p.add_argument("--out", type=Path, default=None,
                   help="where to write the JSON (default bench/results/<UTC timestamp>.json)")
    p.add_argument("--tiny", action="store_true",
                   help=f"a smoke run: {TINY_SIZES[0]} activities, {TINY_ENTITIES} entities, one run each")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("A.json", "B.json"),
                   help="print B's median over A's for every case and size, then stop")
    p.add_argument("--markdown", type=Path, metavar="RESULT.json",
                   help="print a results file as the Markdown summary used in docs/benchmarks.md, then stop")
    return p


def settings_from(args: argparse.Namespace, out: Path) -> Settings:
    if args.repeat < 1:
        raise SystemExit("--repeat must be 1 or more")
    if args.tiny:
        return Settings(sizes=args.sizes or TINY_SIZES, repeat=1, n_entities=TINY_ENTITIES, seed=args.seed,
                        budget_s=args.budget, cases=args.cases, profile=args.profile, profile_dir=out.parent,
                        tracemalloc=args.tracemalloc, full=args.full, browser=False)
    return Settings(sizes=args.sizes or DEFAULT_SIZES, repeat=args.repeat, n_entities=args.entities,
                    seed=args.seed, budget_s=args.budget, cases=args.cases, profile=args.profile,
                    profile_dir=out.parent, tracemalloc=args.tracemalloc, full=args.full)


def run(argv: list[str] | None = None, *, quiet: bool = False) -> dict[str, Any] | None:
    """Run the benchmark (or a comparison); returns the result document written to JSON."""
    args = parser().parse_args(argv)
    if args.compare:
        first, second = (json.loads(p.read_text(encoding="utf-8")) for p in args.compare)
        print(compare(first, second))
        return None
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text(encoding="utf-8"))))
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out: Path = args.out or REPO / "bench" / "results" / f"{stamp}.json"
    settings = settings_from(args, out)
    machine = machine_info()

    def progress(line: str) -> None:
        if not quiet:
            print(line, flush=True)

    progress(f"Benchmark at sizes {', '.join(f'{s:,}' for s in settings.sizes)} activities, "
             f"{settings.n_entities} entities, up to {settings.repeat} timed runs per case")
    started = time.perf_counter()
    results = run_all(CASES, settings, progress)
    doc = document(
        {"sizes": settings.sizes, "repeat": settings.repeat, "entities": settings.n_entities,
         "seed": settings.seed, "budget_s": settings.budget_s, "cases": settings.cases,
         "tracemalloc": settings.tracemalloc, "full": settings.full,
         "argv": argv if argv is not None else sys.argv[1:]},
        machine, results, CASES, RATIOS, time.perf_counter() - started,
    )
    write_json(doc, out)
    if not quiet:
        print()
        print(render(doc))
        print(f"\nResults written to {out}")
    return doc


def main() -> int:
    run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
