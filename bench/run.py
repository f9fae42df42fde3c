"""Benchmarks: throughput, caseload runs, memory, and a peer rules engine.

    python bench/run.py            # the figures in bench/RESULTS.md (1M-row runs: minutes)
    python bench/run.py --smoke    # a few seconds, for CI: checks the harness, times nothing

Figures:
  1. in-process evaluation of each shipped rulebook, compiled once, without explanations;
  2. the minimal Leicestershire decision in this engine, in GoRules' zen-engine
     (``ZenEngine.evaluate``, its fast path) and as a hand-written Python function,
     with every result checked equal across the three;
  3. the public commands end to end on the same generated Leicestershire caseloads
     (10k, 100k, 1M rows, and 10M with ``--max-rows 10000000``): ``batch`` (CSV in, CSV
     out, on its default engine, auto, and on the row engine with 1 and 2 jobs), ``worklist
     --format json`` and ``impact --format json`` (against ``bench/leics_variant.yaml``), on their
     default engine, auto, and on the row engine, up to 100k rows (they take minutes at 1M), the
     engines' outputs checked to be the same bytes; and beside them, on the same
     file, a zen-engine pipeline that does only the RAG part (CSV in, the JDM graph per row,
     CSV out), its RAG checked equal to ``batch``'s on every row that ``batch`` rates; each
     timed with the peak memory of its whole process tree;
  4. the full rulebook's cold ``policyengine evaluate`` of one case file.
Every command runs this checkout's code (``python -m policyengine.cli`` with
``src/`` first on the path), not whatever copy is installed. Timing never runs in
the test suite; the smoke run only proves the harness works.
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


def measure(args: list[str], stdout: str | None = None) -> tuple[float, float]:
    """Seconds and peak MiB (the whole process tree) of one command; its
    standard output goes to the file ``stdout`` (or nowhere)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryFile() as err, open(stdout or os.devnull, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], stdout=out, stderr=err, env=env)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss_kb(proc.pid))
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        if proc.returncode not in (0, 1):  # 1: some generated rows are incomplete, as real exports are
            err.seek(0)
            raise RuntimeError(f"exit {proc.returncode}: {' '.join(args)}\n{err.read().decode()[-2000:]}")
    return seconds, peak / 1024


def cli(*args: str) -> list[str]:
    return ["-m", "policyengine.cli", *args]


LEICS = ROOT / "rulebooks" / "leicestershire.yaml"
VARIANT = ROOT / "bench" / "leics_variant.yaml"


#: Each command timed end to end: its name, its arguments, what it writes, and the largest caseload it runs
#: on (worklist and impact take minutes at 1M rows on either engine). ``batch``'s default engine is auto
#: (DuckDB for a plain CSV file of 2 MB or more), and so are worklist's and impact's.
COMMANDS = [
    ("batch", ["batch", "-r", "LEICS", "CASELOAD", "-o", "OUT"], ".csv", 10**8),
    ("batch --engine python", ["batch", "-r", "LEICS", "CASELOAD", "-o", "OUT", "--engine", "python"], ".csv",
     1_000_000),
    ("batch --engine python --jobs 2", ["batch", "-r", "LEICS", "CASELOAD", "-o", "OUT", "--engine", "python",
                                        "--jobs", "2"], ".csv", 1_000_000),
    ("worklist", ["worklist", "-r", "LEICS", "CASELOAD", "--format", "json", "-o", "OUT"], ".json", 100_000),
    ("worklist --engine python", ["worklist", "-r", "LEICS", "CASELOAD", "--format", "json", "-o", "OUT",
                                  "--engine", "python"], ".json", 100_000),
    ("impact", ["impact", "--base", "LEICS", "--variant", "VARIANT", "CASELOAD", "--format", "json"], ".json",
     100_000),
    ("impact --engine python", ["impact", "--base", "LEICS", "--variant", "VARIANT", "CASELOAD", "--format", "json",
                                "--engine", "python"], ".json", 100_000),
    # the same rows with every cell quoted (as some systems export), and as a Parquet file of text columns
    ("batch, every cell quoted", ["batch", "-r", "LEICS", "QUOTED", "-o", "OUT"], ".csv", 10**8),
    ("batch, Parquet", ["batch", "-r", "LEICS", "PARQUET", "-o", "OUT"], ".csv", 10**8),
    ("batch --engine python, Parquet", ["batch", "-r", "LEICS", "PARQUET", "-o", "OUT", "--engine", "python"], ".csv",
     100_000),
]
#: Pairs whose outputs must be the same bytes: the default engine and another.
SAME = [("batch", "batch --engine python"), ("batch", "batch --engine python --jobs 2"),
        ("worklist", "worklist --engine python"), ("impact", "impact --engine python"),
        ("batch", "batch, every cell quoted"), ("batch, Parquet", "batch --engine python, Parquet")]
ZEN = "zen-engine RAG only"


def commands(source: str, tmp: str, size: int = 0) -> dict[str, tuple[list[str], str]]:
    """Each command timed on a caseload of ``size`` rows, and the file it writes."""
    day = AS_OF.isoformat()
    found = {}
    for name, args, ext, most in COMMANDS:
        if size > most:
            continue
        out = os.path.join(tmp, name.replace(",", "").replace(" ", "_").replace("-", "") + ext)
        swap = {"LEICS": str(LEICS), "VARIANT": str(VARIANT), "CASELOAD": source, "OUT": out,
                "QUOTED": quoted_path(source), "PARQUET": parquet_path(source)}
        found[name] = (cli(*[swap.get(a, a) for a in args], "--as-of", day), out)
    out = os.path.join(tmp, "zen.csv")
    found[ZEN] = ([str(Path(__file__).resolve()), "--zen-pipeline", source, out], out)
    return found


def quoted_path(source: str) -> str:
    return source[:-len(".csv")] + "-quoted.csv" if source.endswith(".csv") else "QUOTED"


def parquet_path(source: str) -> str:
    return source[:-len(".csv")] + ".parquet" if source.endswith(".csv") else "PARQUET"


def write_variants(source: str) -> None:
    """The generated CSV file with every cell quoted, and as a Parquet file of text columns."""
    with open(source, newline="", encoding="utf-8") as fh, \
            open(quoted_path(source), "w", newline="", encoding="utf-8") as out:
        rows = csv.reader(fh)
        out.write(",".join(next(rows)) + "\r\n")  # the header as generated (the lane's pre-scan: no quote)
        csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    import duckdb

    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{source}', all_varchar = true, header = true)) "
                f"TO '{parquet_path(source)}' (FORMAT parquet)")
    con.close()


# -- the zen-engine pipeline: CSV in, the JDM graph per row, CSV out ---------------------
def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if "-" in text else dt.datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None


def zen_pipeline(source: str, output: str) -> None:
    """The RAG part of Leicestershire's decision through zen-engine, end to end:
    each row's support, risk and days on the tray (from ``date_added``) through
    the JDM graph, one CSV row out per row in."""
    import zen

    engine = zen.ZenEngine({"loader": {"type": "static", "content": {"leics": json.loads(JDM.read_text())}}})
    with open(source, newline="", encoding="utf-8") as fin, open(output, "w", newline="", encoding="utf-8") as fout:
        rows, writer = csv.reader(fin), csv.writer(fout)
        header = next(rows)
        at = {name: header.index(name) for name in ("case_id", "support", "risk", "date_added")}
        writer.writerow(["case_id", "rag", "interval", "escalate", "error"])
        for row in rows:
            added = _day(row[at["date_added"]])
            if not row[at["support"]] or not row[at["risk"]] or added is None:
                writer.writerow([row[at["case_id"]], "", "", "", "incomplete row"])
                continue
            case = {"support": row[at["support"]], "risk": row[at["risk"]], "days_on_tray": (AS_OF - added).days}
            result = engine.evaluate("leics", case)["result"]
            writer.writerow([row[at["case_id"]], result["rag"], result["interval"], result["escalate"], ""])


def rag_agreement(batch_csv: str, zen_csv: str) -> tuple[int, int]:
    """(rows compared, rows that agree): every row ``batch`` gives a RAG rating
    (a case on the PWT route) against zen-engine's rating of the same row."""
    compared = agreed = 0
    with open(batch_csv, newline="", encoding="utf-8-sig") as a, open(zen_csv, newline="", encoding="utf-8") as b:
        for ours, theirs in zip(csv.DictReader(a), csv.DictReader(b), strict=True):
            assert ours["case_id"] == theirs["case_id"], (ours["case_id"], theirs["case_id"])
            if ours["rag"]:
                compared += 1
                agreed += ours["rag"] == theirs["rag"].lower()
    return compared, agreed


def count_rows(path: str) -> int:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def cold_evaluate(repeat: int) -> float:
    """The best of ``repeat`` cold runs of ``policyengine evaluate`` on one case file (full Leicestershire)."""
    case = ROOT / "examples" / "leicestershire" / "amber-on-tray.yaml"
    return min(measure(cli("evaluate", "-r", str(LEICS), str(case), "--as-of", AS_OF.isoformat()))[0]
               for _ in range(repeat))


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


def in_process(say, smoke: bool) -> dict:
    """Figures 1 and 2: the public API in one process, and beside zen-engine."""
    n_eval, n_side = (2_000, 2_000) if smoke else (50_000, 300_000)
    say("## 1. In-process evaluation through the public API (`book.evaluate`), compiled once, the explanation not read")
    say()
    say("| rulebook | cases/s |")
    say("|---|---:|")
    rates = {}
    for path in sorted((ROOT / "rulebooks").glob("*.yaml")):
        book = load_rulebook(path)
        rates[book.meta.id] = throughput(book, typed_cases(book, n_eval))
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
    return figures


def end_to_end(say, sizes: list[int], zen_ok: bool) -> dict:
    """Figure 3: every command on the same generated files, RAG agreement checked."""
    say("## 3. End to end on the same generated Leicestershire caseloads (CSV in; full rulebook)")
    say()
    say("Each command is a fresh process (`python -m policyengine.cli ...`, exact commands below the table); "
        "peak memory is the resident memory of its whole process tree, sampled every 50 ms.")
    say()
    say("| rows | command | seconds | rows/s | peak MiB | checked |")
    say("|---:|---|---:|---:|---:|---|")
    book = load_rulebook(LEICS)
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            source = os.path.join(tmp, f"caseload-{size}.csv")
            write_csv(book, size, source)
            write_variants(source)
            todo = commands(source, tmp, size)
            if not zen_ok or size > 1_000_000:
                todo.pop(ZEN)
            for name, (args, out) in todo.items():
                seconds, peak = measure(args, stdout=out if name.startswith("impact") else None)
                runs[size, name] = (seconds, peak)
                say(f"| {size:,} | {name} | {seconds:.2f} | {size / seconds:,.0f} | {peak:.0f} | "
                    f"{checked(name, out, size, todo)} |")
            for _, out in todo.values():
                os.unlink(out)
            for made in (source, quoted_path(source), parquet_path(source)):
                os.unlink(made)
        say()
        say("Commands (`CASELOAD` is the generated file: `python bench/generate.py rulebooks/leicestershire.yaml N "
            "-o CASELOAD`; `QUOTED` is it with every cell quoted, `PARQUET` it as a Parquet file of text columns):")
        say()
        for name, (args, out) in commands("CASELOAD", "OUT").items():
            shown = " ".join(args).replace(str(ROOT) + "/", "")
            say(f"- {name}: `python {shown}{f' > {out}' if name.startswith('impact') else ''}`")
    say()
    return runs


def checked(name: str, out: str, size: int, todo: dict) -> str:
    """What was checked of a command's output: its rows, the same bytes as its twin's, zen-engine's agreement."""
    if name.startswith("batch") or name == ZEN:
        rows = count_rows(out)
        assert rows == size, f"{name}: {rows} rows out for {size} in"
        said = f"{rows:,} rows out"
    else:
        said = f"{json.loads(Path(out).read_text())['cases']:,} cases"
    for first, twin in SAME:
        if name == twin and first in todo:
            assert Path(out).read_bytes() == Path(todo[first][1]).read_bytes(), f"{name} wrote other bytes"
            said += f", the same bytes as `{first}`"
    if name == ZEN:
        compared, agreed = rag_agreement(todo["batch"][1], out)
        assert compared == agreed, f"zen-engine and batch disagree on {compared - agreed} rows"
        said += f"; RAG equal to batch's on all {compared:,} rows batch rates"
    return said


def slopes(say, sizes: list[int], runs: dict) -> None:
    say("Scaling (10× the rows each step; linear time is about 10×, flat memory about 1×):")
    say()
    for name in [c[0] for c in COMMANDS] + [ZEN]:
        steps = [f"{small:,} → {large:,}: {runs[large, name][0] / runs[small, name][0]:.1f}× the time, "
                 f"{runs[large, name][1] / runs[small, name][1]:.2f}× the memory"
                 for small, large in zip(sizes, sizes[1:]) if (large, name) in runs]
        if steps:
            say(f"- {name}: " + "; ".join(steps))
    say()


def targets(say, runs: dict, figures: dict, cold: float) -> None:
    say("## Targets (issue #19), through the public path only")
    say()
    say("| target | measured | met |")
    say("|---|---|---|")
    met = lambda ok: "yes" if ok else "NO"  # noqa: E731
    top = max(size for size, name in runs if name == ZEN) if any(n == ZEN for _, n in runs) else \
        max(size for size, _ in runs if size <= 1_000_000)
    batch = runs[top, "batch"]
    if (top, ZEN) in runs:
        ratio = runs[top, ZEN][0] / batch[0]
        say(f"| full Leicestershire end to end ≥ 3× the zen-engine RAG-only pipeline ({top:,} rows) | "
            f"{ratio:.2f}× | {met(ratio >= 3)} |")
    if top == 1_000_000:
        say(f"| 1,000,000 rows end to end in under 5 s | {batch[0]:.1f} s | {met(batch[0] < 5)} |")
        say(f"| ... peak memory under 300 MB | {batch[1] * 1.048576:.0f} MB | {met(batch[1] * 1.048576 < 300)} |")
    for name in ("worklist", "impact"):
        ran = [size for size, n in runs if n == name]
        if ran:
            at = max(ran)
            ratio = runs[at, name][0] / runs[at, "batch"][0]
            say(f"| `{name}` within 1.5× of `batch` ({at:,} rows) | {ratio:.2f}× | {met(ratio <= 1.5)} |")
    if figures.get("zen-engine"):
        ratio = figures["policyengine (minimal rulebook)"] / figures["zen-engine"]
        say(f"| public `evaluate()` on the minimal rulebook ≥ 2× zen-engine in process | {ratio:.2f}× | {met(ratio >= 2)} |")
    say(f"| full rulebook's cold CLI `evaluate` (was 0.31 s) | {cold:.2f} s (best of 3) | - |")
    say()


def main() -> None:
    parser = argparse.ArgumentParser(description="policyengine benchmarks")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, no RESULTS.md")
    parser.add_argument("--max-rows", type=int, default=1_000_000)
    parser.add_argument("--zen-pipeline", nargs=2, metavar=("CASELOAD", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.zen_pipeline:
        zen_pipeline(*args.zen_pipeline)
        return
    smoke = args.smoke
    load_before = os.getloadavg()
    sizes = [1_000] if smoke else [s for s in (10_000, 100_000, 1_000_000, 10_000_000) if s <= args.max_rows]
    lines = []
    say = lambda text="": (print(text, flush=True), lines.append(text))  # noqa: E731

    figures = in_process(say, smoke)
    runs = end_to_end(say, sizes, zen_ok=figures.get("zen-engine") is not None)
    if len(sizes) > 1:
        slopes(say, sizes, runs)
    say("## 4. Cold start")
    say()
    cold = cold_evaluate(1 if smoke else 3)
    say(f"`python -m policyengine.cli evaluate -r rulebooks/leicestershire.yaml "
        f"examples/leicestershire/amber-on-tray.yaml --as-of {AS_OF.isoformat()}`: {cold:.2f} s (best of 3, "
        "process start to exit)")
    say()
    targets(say, runs, figures, cold)
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
        f"Load average (1, 5, 15 min) when the run started: {', '.join(f'{x:.1f}' for x in load_before)}; "
        f"when it ended: {', '.join(f'{x:.1f}' for x in os.getloadavg())}. Other work shared these cores, "
        "so every time here is an upper bound on what the code does on an idle machine.",
        "",
    ]
    report.write_text("\n".join(head + lines) + "\n", encoding="utf-8")
    print(f"wrote {report}")


if __name__ == "__main__":
    main()
