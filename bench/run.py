"""Benchmarks: throughput, caseload runs, memory, and a peer rules engine.

    python bench/run.py            # the figures in bench/RESULTS.md (1M-row runs: minutes)
    python bench/run.py --smoke    # a few seconds, for CI: checks the harness, times nothing

Figures:
  1. in-process evaluation of each shipped rulebook, compiled once, without explanations;
  2. the minimal Leicestershire decision in this engine, in GoRules' zen-engine
     (``ZenEngine.evaluate``, its fast path) and as a hand-written Python function,
     with every result checked equal across the three;
  3. ``policyengine batch`` end to end, CSV in and CSV out, with 1 and 2 jobs,
     timed with peak memory of the whole process tree, from 10k to 1M rows.
Timing never runs in the test suite; the smoke run only proves the harness works.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from generate import write_csv  # noqa: E402

from policyengine.engine.unknown import UNKNOWN  # noqa: E402
from policyengine import load_rulebook  # noqa: E402
from policyengine.errors import Location  # noqa: E402

AS_OF = dt.date(2026, 11, 23)
JDM = ROOT.parent / "shared" / "bench" / "leics-planned-work-tray.jdm.json"
MINIMAL = ROOT / "bench" / "leics_minimal.yaml"


# -- 1. in-process throughput ------------------------------------------------------
def typed_cases(book, n: int, seed: int = 7) -> list[dict]:
    """Cases as JSON would give them, read once through the CSV path's coercion."""
    import io

    from generate import rows

    out = []
    it = rows(book, n, seed)
    header = next(it)
    for row in it:
        raw = {h: c for h, c in zip(header, row) if c != ""}
        try:
            out.append(book.reader.read(raw, Location(), text=True))
        except Exception:  # noqa: BLE001 - incomplete rows are not throughput cases
            continue
    # an unanswered question is left out, as JSON would leave it (not known, never a value)
    return [{k: v for k, v in case.items() if k != "as_of" and v is not UNKNOWN} for case in out]


def throughput(book, cases: list[dict], repeat: int = 1) -> float:
    """Cases a second through the public API, ``book.evaluate(case, as_of)``,
    reading each decision's outcomes (the explanation is built only if read)."""
    start = time.perf_counter()
    for _ in range(repeat):
        for case in cases:
            book.evaluate(case, AS_OF).outcomes
    return len(cases) * repeat / (time.perf_counter() - start)


# -- 2. side by side with zen-engine ---------------------------------------------------
def hand_written(case: dict) -> dict:
    """The same decision as plain Python: the floor."""
    rag = {("none", "high"): "Red", ("none", "moderate"): "Red", ("none", "low"): "Amber",
           ("moderate", "high"): "Red", ("moderate", "moderate"): "Amber", ("moderate", "low"): "Green",
           ("full", "high"): "Amber", ("full", "moderate"): "Green", ("full", "low"): "Green"}[
        (case["support"], case["risk"])]
    interval = 7 if rag == "Red" else 14 if rag == "Amber" else 30
    return {"rag": rag, "interval": interval, "escalate": rag == "Red" and case["days_on_tray"] > 30}


def minimal_cases(n: int, seed: int = 11) -> list[dict]:
    rng = random.Random(seed)
    return [{"case_id": f"B{i}", "support": rng.choice(("none", "moderate", "full")),
             "risk": rng.choice(("high", "moderate", "low")), "days_on_tray": rng.randint(0, 90)}
            for i in range(n)]


def side_by_side(n: int) -> dict:
    book = load_rulebook(MINIMAL)
    cases = minimal_cases(n)
    figures = {}

    start = time.perf_counter()
    ours = []
    for case in cases:
        values = book.evaluate(case, AS_OF).values  # the public API, as an embedding system calls it
        ours.append({"rag": values["rag"], "interval": values["interval"], "escalate": values["escalate"]})
    figures["policyengine (minimal rulebook)"] = n / (time.perf_counter() - start)

    start = time.perf_counter()
    floor = [hand_written(c) for c in cases]
    figures["hand-written Python"] = n / (time.perf_counter() - start)
    assert ours == floor, "policyengine and the hand-written decision disagree"

    try:
        import zen
    except ImportError:
        figures["zen-engine"] = None
        return figures
    graph = json.loads(JDM.read_text())
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {"leics": graph}}})
    start = time.perf_counter()
    theirs = [engine.evaluate("leics", c)["result"] for c in cases]
    figures["zen-engine"] = n / (time.perf_counter() - start)
    theirs = [{"rag": r["rag"], "interval": int(r["interval"]), "escalate": r["escalate"]} for r in theirs]
    assert theirs == floor, "zen-engine and the hand-written decision disagree"
    return figures


# -- 3. batch end to end -----------------------------------------------------------------
def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    family, frontier = {pid}, [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current and child not in family:
                family.add(child)
                frontier.append(child)
    total = 0
    for member in family:
        try:
            with open(f"/proc/{member}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


def run_batch(rulebook: str, source: str, jobs: int) -> tuple[float, float]:
    """Seconds and peak MiB of `policyengine batch` CSV in, CSV out."""
    exe = Path(sys.executable).with_name("policyengine")
    out = tempfile.mktemp(suffix=".csv")
    cmd = [str(exe), "batch", "--rulebook", rulebook, source, "--as-of", AS_OF.isoformat(),
           "-o", out, "--jobs", str(jobs)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"batch failed with exit {proc.returncode}: {' '.join(cmd)}")
    with open(out, newline="") as fh:
        lines = sum(1 for _ in csv.reader(fh)) - 1
    os.unlink(out)
    return seconds, peak / 1024, lines


# -- report ---------------------------------------------------------------------------------
def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        import zen  # noqa: F401
        from importlib.metadata import version

        zen_version = version("zen-engine")
    except Exception:  # noqa: BLE001
        zen_version = "not installed"
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}, zen-engine {zen_version}")


def main() -> None:
    parser = argparse.ArgumentParser(description="policyengine benchmarks")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, no RESULTS.md")
    parser.add_argument("--max-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    smoke = args.smoke
    n_eval = 2_000 if smoke else 50_000
    n_side = 2_000 if smoke else 300_000
    sizes = [1_000] if smoke else [s for s in (10_000, 100_000, 1_000_000) if s <= args.max_rows]

    lines = []
    say = lambda text="": (print(text), lines.append(text))  # noqa: E731

    say("## 1. In-process evaluation through the public API (`book.evaluate`), compiled once, the explanation not read")
    say()
    say("| rulebook | cases/s |")
    say("|---|---:|")
    rates = {}
    for path in sorted((ROOT / "rulebooks").glob("*.yaml")):
        book = load_rulebook(path)
        cases = typed_cases(book, n_eval)
        rates[book.meta.id] = throughput(book, cases)
        say(f"| {book.meta.id} | {rates[book.meta.id]:,.0f} |")
    say()
    say("## 2. The minimal Leicestershire decision, side by side (same cases, results checked equal)")
    say()
    say("| engine | cases/s |")
    say("|---|---:|")
    figures = side_by_side(n_side)
    for name, value in figures.items():
        say(f"| {name} | {'not installed' if value is None else f'{value:,.0f}'} |")
    if figures.get("zen-engine"):
        say()
        say(f"policyengine / zen-engine: {figures['policyengine (minimal rulebook)'] / figures['zen-engine']:.2f}×")
    say()
    say("## 3. `policyengine batch`, CSV in and CSV out (full Leicestershire rulebook)")
    say()
    say("| rows | jobs | seconds | rows/s | peak MiB (process tree) | rows out |")
    say("|---:|---:|---:|---:|---:|---:|")
    leics = str(ROOT / "rulebooks" / "leicestershire.yaml")
    book = load_rulebook(leics)
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            source = os.path.join(tmp, f"caseload-{size}.csv")
            write_csv(book, size, source)
            for jobs in (1, 2):
                seconds, peak, out_rows = run_batch(leics, source, jobs)
                assert out_rows == size, f"{out_rows} rows out for {size} in"
                runs[size, jobs] = (seconds, peak)
                say(f"| {size:,} | {jobs} | {seconds:.2f} | {size / seconds:,.0f} | {peak:.0f} | {out_rows:,} |")
            os.unlink(source)
    if len(sizes) > 1:
        say()
        say("Slope, 1 job (linear time means about 10× the time for 10× the rows; a fixed start-up "
            "of about half a second makes small runs look dearer):")
        say()
        for small, large in zip(sizes, sizes[1:]):
            say(f"- {small:,} → {large:,} rows ({large // small}×): {runs[large, 1][0] / runs[small, 1][0]:.1f}× "
                f"the time, {runs[large, 1][1] / runs[small, 1][1]:.2f}× the peak memory")
    say()
    say("## Targets (issue #5)")
    say()
    say("| target | measured | met |")
    say("|---|---|---|")
    zen_rate = figures.get("zen-engine")
    ours = figures["policyengine (minimal rulebook)"]
    if zen_rate:
        say(f"| minimal rulebook ≥ 2× zen-engine | {ours / zen_rate:.2f}× | {'yes' if ours >= 2 * zen_rate else 'NO'} |")
    leics_rate = rates.get("leicestershire", 0)
    say(f"| full Leicestershire ≥ 20,000 cases/s in one process | {leics_rate:,.0f} | {'yes' if leics_rate >= 20_000 else 'NO'} |")
    if (1_000_000, 2) in runs:
        seconds, peak = runs[1_000_000, 2]
        say(f"| batch of 1,000,000 rows with --jobs 2 under 60 s | {seconds:.1f} s | {'yes' if seconds < 60 else 'NO'} |")
        say(f"| ... under 200 MB peak memory | {peak:.0f} MiB (process tree) | {'yes' if peak * 1.048576 < 200 else 'NO'} |")
    if smoke:
        print("smoke run: ok (nothing written)")
        return
    report = ROOT / "bench" / "RESULTS.md"
    head = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}.",
        "",
        f"Produced on {dt.date.today().isoformat()} by `python bench/run.py` "
        "(with `pip install -e '.[bench]'` for zen-engine).",
        "",
    ]
    report.write_text("\n".join(head + lines) + "\n", encoding="utf-8")
    print(f"wrote {report}")


if __name__ == "__main__":
    main()
