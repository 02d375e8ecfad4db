#!/usr/bin/env python3
"""mlci against the tools users would otherwise run, side by side in one run.

Run it with `bench/run.sh`, which makes the venv (dvc from PyPI) and builds mlci in release
mode. Each workload is a real git repository built in a temporary directory; each command
runs alternately with its counterpart, at least 5 times, and the table reports the median
wall time and the median peak RSS (from `/usr/bin/time -v`), and the ratios.

Parts (`--only`): `compare` (every race, no hostile inputs), `scale` (hostile inputs only),
`git` (what reads git objects: the metrics and params diffs, and the chart race from git),
`post` (what drawing every chart once saves a post: the report of DVC's example project
with its charts drawn, against the same report with none, the drawing a post used to do
twice), `discovery` (the zero-configuration walk for training runs on a repository of
100,000 files: the report with discovery on, against `discover = false`).

The chart race from git: a repository with a two-column TSV of 1,000,000 points committed
twice (about 16 MB each); mlci runs `plots diff HEAD~1 HEAD --chart-size 800x500` (a whole
process, from git objects to PNG), matplotlib is given the same arrays already saved as .npy
and timed from `np.load` through `plot` (twice) and `savefig` (an 8x5 inch figure), without
starting Python or importing matplotlib. Both draw 800x500 at twice the size, 1600x1000
pixels (matplotlib at dpi 200); matplotlib at dpi 100 (800x500 pixels, a quarter of the
pixels) is reported beside. mlci's time is broken down from its `-vv` timing lines: opening the
revisions (git), reading the files (inflating git objects), parsing them, reducing and
describing the chart, drawing it, encoding the PNG, and the rest (start, writing files).
"""

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    "DVC_NO_ANALYTICS": "1",
}


def sh(cmd, cwd, env):
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)


def make_repo(path, revisions, env, dvc):
    """A git + DVC repository with one commit per file tree in `revisions`."""
    path.mkdir(parents=True)
    sh(["git", "init", "-q", "-b", "main"], path, env)
    sh([dvc, "init", "-q"], path, env)
    sh([dvc, "config", "core.analytics", "false"], path, env)
    for i, files in enumerate(revisions):
        for name, content in files.items():
            target = path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content if isinstance(content, bytes) else content.encode())
        sh(["git", "add", "-A"], path, env)
        sh(["git", "commit", "-q", "-m", f"rev {i}"], path, env)


def tree(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def small_workload(data):
    """DVC's example project (example-get-started, two real commits), or the bundled example."""
    egs = Path(data) / "example-get-started" if data else None
    if egs and egs.is_dir():
        return "example-get-started (2 commits)", [tree(egs / "940e993"), tree(egs / "5717e24")]
    snapshots = ROOT / "examples" / "classifier" / "snapshots"
    return "bundled classifier example (2 commits)", [tree(snapshots / "base"), tree(snapshots / "head")]


def large_workload():
    """10,000 metrics across 50 files and 1,000 params, two commits."""
    rng = random.Random(42)
    revisions = []
    for revision in range(2):
        files = {}
        declared = []
        for f in range(50):
            metrics = {
                f"group{g}": {f"metric_{m}": round(rng.random(), 6) for m in range(20)} for g in range(10)
            }
            name = f"eval/part{f:02}/metrics.json"
            declared.append(name)
            files[name] = json.dumps(metrics, indent=2)
        params = {f"section{s}": {f"param_{p}": rng.choice([0.1, 0.01, 1, 2, "adam", "sgd"]) for p in range(100)} for s in range(10)}
        files["params.yaml"] = "\n".join(
            f"{s}:\n" + "\n".join(f"  {k}: {v}" for k, v in section.items()) for s, section in params.items()
        ) + "\n"
        files["dvc.yaml"] = "metrics:\n" + "".join(f"- {d}\n" for d in declared)
        revisions.append(files)
    return "10,000 metrics in 50 files, 1,000 params (2 commits)", revisions


def line_workload(root, points=1_000_000):
    """Two directories, base and head, each with a TSV of `points` noisy loss values."""
    rng = random.Random(7)
    for name, scale, decay in (("base", 1.0, 200_000), ("head", 0.9, 150_000)):
        folder = root / name
        folder.mkdir(parents=True)
        (folder / "dvc.yaml").write_text("plots:\n  - curve.tsv:\n      x: step\n      y: loss\n")
        with open(folder / "curve.tsv", "w") as out:
            out.write("step\tloss\n")
            for i in range(points):
                out.write(f"{i}\t{scale * pow(2.718281828, -i / decay) + rng.gauss(0, 0.05):.6f}\n")


def data_workload(root, megabytes):
    """Two directories with a CSV of about `megabytes` each (6 columns: integers, numbers,
    text), and a `[[data]]` check in the head's .mlci.toml."""
    rng = random.Random(11)
    cities = ["Lyon", "Paris", "Nice", "Lille", "Nantes"]
    for name in ("base", "head"):
        folder = root / name
        folder.mkdir(parents=True)
        chunk = "".join(
            f"{i},{rng.randint(18, 90)},{rng.uniform(1e4, 2e5):.2f},{rng.random():.6f},{rng.choice(cities)},{rng.randint(0, 1)}\n"
            for i in range(100_000)
        ).encode()
        repeats = max(1, megabytes * 1024 * 1024 // len(chunk))
        with open(folder / "train.csv", "wb") as out:
            out.write(b"id,age,income,score,city,label\n")
            for _ in range(repeats):
                out.write(chunk)
    (root / "head" / ".mlci.toml").write_text(
        '[[data]]\npath = "train.csv"\nno_missing = true\nrange = { age = [0, 120] }\ntypes_unchanged = true\n'
    )
    return (root / "base" / "train.csv").stat().st_size


def git_line_workload(root, env, points=1_000_000):
    """A git repository whose `curve.tsv` (step, loss; `points` rows, about 16 MB) is
    committed twice, and the same two series as .npy files beside it (for matplotlib)."""
    import numpy as np

    repo = root / "repo"
    repo.mkdir(parents=True)
    sh(["git", "init", "-q", "-b", "main"], repo, env)
    (repo / "dvc.yaml").write_text("plots:\n  - curve.tsv:\n      x: step\n      y: loss\n")
    rng = random.Random(7)
    arrays = []
    for name, scale, decay in (("base", 1.0, 200_000), ("head", 0.9, 150_000)):
        losses = [round(scale * pow(2.718281828, -i / decay) + rng.gauss(0, 0.05), 6) for i in range(points)]
        with open(repo / "curve.tsv", "w") as out:
            out.write("step\tloss\n")
            out.writelines(f"{i}\t{loss:.6f}\n" for i, loss in enumerate(losses))
        sh(["git", "add", "-A"], repo, env)
        sh(["git", "commit", "-q", "-m", name], repo, env)
        array = np.column_stack([np.arange(points, dtype=np.float64), np.array(losses)])
        np.save(root / f"{name}.npy", array)
        arrays.append(root / f"{name}.npy")
    return repo, arrays, (repo / "curve.tsv").stat().st_size


TIMING_LINES = {
    "open": re.compile(r"opened both revisions in (\S+)"),
    "read": re.compile(r"read \d+ plot files from .* in (\S+)"),
    "parsed": re.compile(r"parsed plot files of .* in (\S+)"),
    "compared": re.compile(r"read both revisions in (\S+)"),
    "draw": re.compile(r"chart `.*` \(\S+\) painted in (\S+), encoded"),
    "encode": re.compile(r"encoded the PNG .* in (\S+)$"),
    "charts": re.compile(r"drew the charts in (\S+)"),
}


def seconds(duration):
    """A Rust `Duration` as `{:?}` prints it (`1.5ms`, `812.3µs`, `1.02s`)."""
    for unit, factor in (("ns", 1e-9), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        if duration.endswith(unit):
            return float(duration[: -len(unit)]) * factor
    raise ValueError(duration)


def breakdown(cmd, cwd, env, runs):
    """mlci's time in phases, from its `-vv` timing lines (medians, ms). The two revisions are
    read and parsed at once, each phase is the slower side's."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([cmd[0], "-vv", *cmd[1:]], cwd=cwd, env=env, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - start
        found = {key: [] for key in TIMING_LINES}
        for line in proc.stderr.splitlines():
            for key, pattern in TIMING_LINES.items():
                match = pattern.search(line)
                if match:
                    found[key].append(seconds(match.group(1)))
        read, parsed = max(found["read"]), max(found["parsed"])
        opened, compared, charts = found["open"][0], found["compared"][0], found["charts"][0]
        draw, encode = sum(found["draw"]), sum(found["encode"])
        phases = {
            "open revisions (git)": opened,
            "read files": read,
            "parse": parsed - read,
            "reduce and describe": charts - compared - draw - encode,
            "draw": draw,
            "encode PNG": encode,
        }
        phases["rest (start, compare, write)"] = wall - sum(phases.values())
        samples.append(phases)
    return {key: statistics.median(s[key] for s in samples) * 1000 for key in samples[0]}


def chart_race(tmp, mlci, python, env, runs):
    """mlci's `plots diff HEAD~1 HEAD` against matplotlib's np.load + plot + savefig."""
    root = Path(tmp) / "git-lines"
    repo, (base, head), size = git_line_workload(root, env)
    mine = [mlci, "plots", "diff", "HEAD~1", "HEAD", "--chart-size", "800x500", "-o", str(root / "mlci_plots")]
    theirs = [python, str(ROOT / "bench" / "matplotlib_npy.py"), str(base), str(head), str(root / "matplotlib.png")]
    small = [*theirs, "100"]
    walls, rsses, inside, theirs_walls, theirs_rsses = [], [], [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        _, rss = measure(mine, repo, env)
        walls.append(time.perf_counter() - start)
        rsses.append(rss)
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%e %M", *theirs], cwd=root, env=env, capture_output=True, text=True, check=True)
        theirs_walls.append(time.perf_counter() - start)
        theirs_rsses.append(int(proc.stderr.strip().splitlines()[-1].split()[1]))
        inside.append(json.loads(proc.stdout)["load_plot_save"])
    at_100_dpi = [json.loads(subprocess.run(small, cwd=root, env=env, capture_output=True, text=True, check=True).stdout)["load_plot_save"] for _ in range(3)]
    mlci_ms = statistics.median(walls) * 1000
    other_ms = statistics.median(inside) * 1000
    return {
        "workload": f"chart from git: 1,000,000 points x 2 commits ({size / 1e6:.0f} MB TSV each), `plots diff HEAD~1 HEAD`",
        "other": "matplotlib given the arrays as .npy (np.load, plot x2, savefig 800x500; in-process time)",
        "mlci_ms": mlci_ms,
        "other_ms": other_ms,
        "speedup": other_ms / mlci_ms,
        "mlci_rss_mib": statistics.median(rsses) / 1024,
        "other_rss_mib": statistics.median(theirs_rsses) / 1024,
        "other_process_ms": statistics.median(theirs_walls) * 1000,
        "other_100_dpi_ms": statistics.median(at_100_dpi) * 1000,
        "breakdown_ms": breakdown(mine, repo, env, runs),
    }


def scale_workloads(root, env):
    """Hostile sizes, each a git repository with the head in the working tree:
    a metrics JSON with 1,000,000 keys at both revisions, 100,000 small metrics files, and
    a 2 GiB sparse metrics file at head (skipped by max_file_size, never read)."""
    rng = random.Random(3)
    cases = []

    def repo(name):
        path = root / name
        path.mkdir(parents=True)
        sh(["git", "init", "-q", "-b", "main"], path, env)
        return path

    def commit(path):
        sh(["git", "add", "-A"], path, env)
        sh(["git", "commit", "-q", "-m", "base"], path, env)

    big = repo("million-keys")
    for revision in range(2):
        with open(big / "m.json", "w") as out:
            out.write("{")
            out.write(",".join(f'"m{i:07d}": {rng.random():.4f}' for i in range(1_000_000)))
            out.write("}")
        if revision == 0:
            (big / ".mlci.toml").write_text('metrics = ["m.json"]\n')
            commit(big)
    cases.append((f"a metrics JSON of 1,000,000 keys ({(big / 'm.json').stat().st_size / 2**20:.0f} MiB) at both revisions", big))

    many = repo("files-100k")
    for d in range(1000):
        folder = many / "runs" / f"r{d:04}"
        folder.mkdir(parents=True)
        for f in range(100):
            (folder / f"m{f:03}.json").write_text(f'{{"acc": {d / 1000}, "loss": {f / 100}}}')
    (many / ".mlci.toml").write_text('metrics = ["runs"]\n')
    commit(many)
    for d in range(0, 1000, 10):
        (many / "runs" / f"r{d:04}" / "m000.json").write_text('{"acc": 0.5, "loss": 0.5}')
    cases.append(("100,000 metrics files (200,000 metrics) at both revisions", many))

    sparse = repo("sparse-2g")
    (sparse / "m.json").write_text('{"acc": 0.8}')
    (sparse / ".mlci.toml").write_text('metrics = ["m.json"]\n')
    commit(sparse)
    with open(sparse / "m.json", "r+b") as out:
        out.truncate(2 << 30)
    cases.append(("a 2 GiB (sparse) metrics file at head, over max_file_size", sparse))
    return cases


def measure(cmd, cwd, env):
    """Wall seconds and peak RSS (KiB) of one run."""
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", *cmd], cwd=cwd, env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    wall, rss = proc.stderr.strip().splitlines()[-1].split()
    return float(wall), int(rss)


def precise_wall(cmd, cwd, env, runs):
    """Wall time measured in Python (finer than /usr/bin/time's 10 ms), median of `runs`."""
    import time

    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def compare(label, ours, theirs, cwd, env, runs):
    """Runs the two commands alternately; returns medians."""
    import time

    results = {"ours": ([], []), "theirs": ([], [])}
    for _ in range(runs):
        for key, cmd in (("ours", ours), ("theirs", theirs)):
            start = time.perf_counter()
            _, rss = measure(cmd, cwd, env)
            results[key][0].append(time.perf_counter() - start)
            results[key][1].append(rss)
    ours_wall = statistics.median(results["ours"][0])
    theirs_wall = statistics.median(results["theirs"][0])
    ours_rss = statistics.median(results["ours"][1])
    theirs_rss = statistics.median(results["theirs"][1])
    return {
        "workload": label,
        "mlci_ms": ours_wall * 1000,
        "other_ms": theirs_wall * 1000,
        "speedup": theirs_wall / ours_wall,
        "mlci_rss_mib": ours_rss / 1024,
        "other_rss_mib": theirs_rss / 1024,
    }


def post_saving(tmp, mlci, env, args, runs):
    """A post draws its charts once: the time that saves, per post, is one drawing of them."""
    repo = tmp / "small"
    label, revisions = small_workload(args.data if Path(args.data).is_dir() else None)
    make_repo(repo, revisions, env, args.dvc)
    drawn = [mlci, "report", "--dry-run", "--quiet", "--base", "HEAD~1", "--out", str(tmp / "drawn")]
    none = [*drawn[:-1], str(tmp / "none"), "--images", "none"]
    with_charts = precise_wall(drawn, repo, env, runs)
    without = precise_wall(none, repo, env, runs)
    print(f"\n| `mlci report --dry-run`, {label} (median of {runs}) | time |")
    print("|---|--:|")
    print(f"| charts drawn (PNG), as a post draws them: once | {with_charts * 1000:.1f} ms |")
    print(f"| no charts (`--images none`) | {without * 1000:.1f} ms |")
    print(f"| **saved per post** (one drawing; a post drew them twice before) | **{(with_charts - without) * 1000:.1f} ms** |")


def discovery_walk(tmp, mlci, env, runs):
    """100,000 files (a checkout with a virtual environment and data), a Trainer's run in
    `out/`: the report with discovery on against the same with `discover = false` and the
    run named in `[[runs]]` (only `out/` is listed: what reading it cost before discovery)."""
    repo = tmp / "walk"
    repo.mkdir()
    count = 0
    for top, folders, files in (("src", 50, 200), ("data", 100, 600), (".venv/lib/site", 100, 300)):
        for i in range(folders):
            folder = repo / top / f"d{i:03}"
            folder.mkdir(parents=True)
            for j in range(files):
                (folder / f"f{j:03}.txt").write_text("x")
                count += 1
    stacks = ROOT / "fixtures" / "stacks" / "transformers"
    shutil.copytree(stacks / "head" / "out", repo / "out")
    base = tmp / "base"
    shutil.copytree(stacks / "base", base)
    walked = [mlci, "report", "--dry-run", "--quiet", "--base-dir", str(base), "--out", str(tmp / "o1")]
    named = [*walked[:-1], str(tmp / "o2"), "--config", ".mlci-named.toml"]
    (repo / ".mlci-named.toml").write_text('discover = false\n[[runs]]\npath = "out"\nformat = "transformers"\n')
    # `--config` is read at the head: a plain directory head needs `--head-dir`.
    walked += ["--head-dir", str(repo)]
    named += ["--head-dir", str(repo)]
    on = precise_wall(walked, tmp, env, runs)
    off = precise_wall(named, tmp, env, runs)
    print(f"\n| a head of {count:,} files and a Transformers run (median of {runs}) | time |")
    print("|---|--:|")
    print(f"| discovery walks the tree (skipping `.venv`) | {on * 1000:.1f} ms |")
    print(f"| the run named in `[[runs]]`, `discover = false` | {off * 1000:.1f} ms |")
    print(f"| **the walk costs** | **{(on - off) * 1000:.1f} ms** |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mlci", default=str(ROOT / "target" / "release" / "mlci"))
    parser.add_argument("--dvc", default=shutil.which("dvc") or "dvc")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--data-mb", type=int, default=1024, help="size of each data file in the data-profile workload")
    parser.add_argument("--only", choices=["compare", "scale", "git", "post", "discovery"], help="run one part of the benchmark (see above)")
    args = parser.parse_args()
    runs = max(args.runs, 5)
    mlci = str(Path(args.mlci).resolve())
    env = {**os.environ, **GIT_ENV}

    rows = []
    scale = []
    with tempfile.TemporaryDirectory() as tmp:
        env["HOME"] = tmp
        if args.only == "post":
            post_saving(Path(tmp), mlci, env, args, runs)
            return
        if args.only == "discovery":
            discovery_walk(Path(tmp), mlci, env, runs)
            return
        if args.only not in ("compare", "git"):
            for label, repo in scale_workloads(Path(tmp) / "scale", env):
                walls, rsses = [], []
                for _ in range(3):
                    proc = subprocess.run(
                        ["/usr/bin/time", "-f", "%e %M", mlci, "report", "--dry-run", "--quiet", "--base", "HEAD", "--out", "../out-" + repo.name],
                        cwd=repo, env=env, capture_output=True, text=True,
                    )
                    wall, rss = proc.stderr.strip().splitlines()[-1].split()
                    walls.append(float(wall))
                    rsses.append(int(rss))
                scale.append({"workload": label, "seconds": statistics.median(walls), "rss_mib": statistics.median(rsses) / 1024})
                print(f"measured {label}", file=sys.stderr)
        if args.only == "scale":
            print("\n| hostile input (`mlci report --dry-run`, median of 3) | time | peak RSS |")
            print("|---|--:|--:|")
            for r in scale:
                print(f"| {r['workload']} | {r['seconds']:.2f} s | {r['rss_mib']:.0f} MiB |")
            return
        python = str(Path(args.dvc).resolve().parent / "python")
        for name, (label, revisions) in {
            "small": small_workload(args.data if Path(args.data).is_dir() else None),
            "large": large_workload(),
        }.items():
            repo = Path(tmp) / name
            make_repo(repo, revisions, env, args.dvc)
            for kind in ("metrics", "params"):
                mine = [mlci, kind, "diff", "HEAD~1", "HEAD", "--md"]
                theirs = [args.dvc, kind, "diff", "HEAD~1", "HEAD", "--md"]
                out_mine = subprocess.run(mine, cwd=repo, env=env, capture_output=True, text=True).stdout
                out_theirs = subprocess.run(theirs, cwd=repo, env=env, capture_output=True, text=True).stdout
                same = sorted(out_mine.splitlines()) == sorted(out_theirs.splitlines())
                row = compare(f"{kind} diff: {label}", mine, theirs, repo, env, runs)
                row["same_output"] = same
                rows.append(row)
                print(f"measured {row['workload']}", file=sys.stderr)
        version_ms = precise_wall([mlci, "--version"], tmp, env, 50) * 1000

        # A 1,000,000-point chart per commit, read from git objects.
        row = chart_race(tmp, mlci, python, env, runs)
        rows.append(row)
        print(f"measured {row['workload']}", file=sys.stderr)
        if args.only == "git":
            report(rows, [], version_ms, runs, args.json)
            return

        # Charts, DVC's example project: `plots diff` of the two commits of the small repo.
        small = Path(tmp) / "small"
        mine = [mlci, "plots", "diff", "HEAD~1", "HEAD", "-o", str(Path(tmp) / "mlci_plots")]
        theirs = [args.dvc, "plots", "diff", "HEAD~1", "HEAD", "-o", str(Path(tmp) / "dvc_plots")]
        row = compare("plots diff: DVC's example project (ROC, PR, confusion, image)", mine, theirs, small, env, runs)
        row["other"] = "dvc plots diff (HTML only)"
        rows.append(row)
        print(f"measured {row['workload']}", file=sys.stderr)

        # A 1,000,000-point line chart per revision, from TSV files to PNG.
        lines = Path(tmp) / "lines"
        line_workload(lines)
        script = str(ROOT / "bench" / "matplotlib_line.py")
        mine = [mlci, "report", "--dry-run", "--quiet", "--base-dir", "base", "--head-dir", "head", "--out", "out"]
        theirs = [python, script, "base/curve.tsv", "head/curve.tsv", "matplotlib.png"]
        row = compare("line chart: 1,000,000 points x 2 revisions, TSV to PNG", mine, theirs, lines, env, runs)
        row["other"] = "matplotlib (numpy.loadtxt + plot + savefig)"
        phases = [json.loads(subprocess.run(theirs, cwd=lines, env=env, capture_output=True, text=True, check=True).stdout) for _ in range(3)]
        plot_save_ms = statistics.median(p["plot_save"] for p in phases) * 1000
        row["plot_save_only_ms"] = plot_save_ms
        row["plot_save_only_ratio"] = plot_save_ms / row["mlci_ms"]
        rows.append(row)
        print(f"measured {row['workload']}", file=sys.stderr)

        # Data checks: a CSV of about 1 GB per revision, streamed (pandas reads it whole).
        data = Path(tmp) / "data"
        size = data_workload(data, args.data_mb)
        mine = [mlci, "report", "--dry-run", "--quiet", "--base-dir", "base", "--head-dir", "head", "--out", "out"]
        theirs = [python, str(ROOT / "bench" / "pandas_profile.py"), "base/train.csv", "head/train.csv"]
        row = compare(f"data profile: a {size / 2**30:.2f} GiB CSV x 2 revisions", mine, theirs, data, env, 3)
        row["other"] = "pandas (read_csv, dtypes, isna, min, max)"
        rows.append(row)
        print(f"measured {row['workload']}", file=sys.stderr)

    report(rows, scale, version_ms, runs, args.json)


def report(rows, scale, version_ms, runs, json_path):
    """The markdown tables, and the JSON file when asked."""
    print()
    print(f"| workload (median of {runs}, alternating) | compared with | mlci | other | speed-up | mlci peak RSS | other peak RSS |")
    print("|---|---|--:|--:|--:|--:|--:|")
    for r in rows:
        other = r.get("other", "dvc " + r["workload"].split(":")[0] + (" (same rows)" if r.get("same_output") else " (ROWS DIFFER)"))
        print(
            f"| {r['workload']} | {other} | {r['mlci_ms']:.1f} ms | {r['other_ms']:.0f} ms | **{r['speedup']:.0f}x** "
            f"| {r['mlci_rss_mib']:.1f} MiB | {r['other_rss_mib']:.1f} MiB |"
        )
    for r in rows:
        if "breakdown_ms" in r:
            print(
                f"\n{r['workload']}: matplotlib's whole process takes {r['other_process_ms']:.0f} ms, "
                f"and {r['other_100_dpi_ms']:.0f} ms at dpi 100 (800x500 pixels); "
                f"mlci's {r['mlci_ms']:.0f} ms (`-vv` timings, medians, the slower revision's):"
            )
            print("\n| phase | ms |\n|---|--:|")
            for phase, ms in r["breakdown_ms"].items():
                print(f"| {phase} | {ms:.1f} |")
    for r in rows:
        if "plot_save_only_ms" in r:
            print(
                f"\nmatplotlib's plot + savefig alone (no import, no file reading) takes "
                f"{r['plot_save_only_ms']:.0f} ms: mlci's whole run is **{r['plot_save_only_ratio']:.1f}x** faster than that part."
            )
    print(f"\n`mlci --version`: {version_ms:.2f} ms (median of 50)")
    if scale:
        print("\n| hostile input (`mlci report --dry-run`, median of 3) | time | peak RSS |")
        print("|---|--:|--:|")
        for r in scale:
            print(f"| {r['workload']} | {r['seconds']:.2f} s | {r['rss_mib']:.0f} MiB |")
    if json_path:
        Path(json_path).write_text(json.dumps({"rows": rows, "scale": scale, "version_ms": version_ms}, indent=2) + "\n")


if __name__ == "__main__":
    main()
