#!/usr/bin/env python3
"""Run the commands of a benchmark spec in alternation and report.

    measure.py --spec FILE --work DIR --results DIR [--corpora FILE]
               [--custody PATH] [--params JSON]

The spec, written by bench/run, has one tab-separated record a line:

    task    TASK  ROUNDS  BYTES  FILES  DESCRIPTION
    cmd     TASK  ID  DISPLAY  COMMAND  [BYTES  FILES]
    missing TASK  ID  DISPLAY  REASON
    target  TASK  ROW  NUM  DEN  METRIC  OP  VALUE

Each COMMAND runs under `bash -c` with `set -o pipefail`, in the work
directory's corpus/ folder, stdout discarded, stderr kept in log/ID.err.
Within a task, every round runs every command once, the order rotated by
one each round; wall time is time.perf_counter() around subprocess.run.
Peak RSS comes from `/usr/bin/time -f %M` around each run (the largest
single process of the command: for a pipeline, its biggest member), or,
without /usr/bin/time, from one extra run per command, read from the
RUSAGE_CHILDREN of the bash that ran it (see RSS_TAIL).  After each run the files
in out/ are measured, deleted, and the file system synced (outside the
timing); nothing is dropped from the page cache.

METRIC is "speed" (NUM's throughput / DEN's throughput = DEN's median time
/ NUM's median time), "rss" (NUM's peak RSS / DEN's), "rss_mib" (NUM's
peak RSS in MiB; DEN is "-") or "seconds" (NUM's median time; DEN is "-").  OP is ">=" or "<=".

Output: a Markdown table on stdout, also written with the raw timings as
RESULTS/results-<UTC time>.md and .json.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time

TIME = "/usr/bin/time"


# Without /usr/bin/time: bash runs the command, then execs python3, which
# prints bash's RUSAGE_CHILDREN ru_maxrss (it survives the exec) and exits
# with the command's status.  Measuring from this process instead would
# count the size of python itself: a forked child's peak RSS includes the
# image it was forked from.
RSS_TAIL = ('\nst=$?; exec "$0" -c "import resource, sys; '
            'print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); '
            'sys.exit(int(sys.argv[1]))" "$st"')


def cpu_busy_s():
    """Seconds of CPU time the whole machine has spent busy since boot."""
    try:
        f = open("/proc/stat").readline().split()
        ticks = sum(int(x) for x in f[1:4] + f[6:9])  # user nice system irq softirq steal
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def own_cpu_s():
    """CPU seconds used by this process and the commands it ran."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def read_spec(path):
    tasks, order = {}, []
    for ln, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        f = line.split("\t")
        kind = f[0]
        if kind == "task":
            _, name, rounds, nbytes, files, desc = f
            tasks[name] = {"task": name, "rounds": int(rounds), "bytes": int(nbytes),
                           "files": int(files), "description": desc, "commands": [], "targets": []}
            order.append(name)
        elif kind in ("cmd", "missing"):
            _, task, cid, display, rest = f[:5]
            c = {"id": cid, "display": display, "runs": []}
            if len(f) == 7:  # this command's own corpus size
                c["bytes"], c["files"] = int(f[5]), int(f[6])
            if kind == "cmd":
                c["command"] = rest
            else:
                c["missing"] = rest
            tasks[task]["commands"].append(c)
        elif kind == "target":
            _, task, row, num, den, metric, op, value = f
            tasks[task]["targets"].append({"task": task, "row": row, "num": num, "den": den, "metric": metric,
                                           "op": op, "value": float(value)})
        else:
            sys.exit("measure.py: %s:%d: unknown record %r" % (path, ln, kind))
    return [tasks[n] for n in order]


def tree_bytes(d):
    n = 0
    for root, _, files in os.walk(d):
        for f in files:
            try:
                n += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return n


def clear_dir(d):
    for e in os.listdir(d):
        p = os.path.join(d, e)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        else:
            os.unlink(p)


def run_once(c, cwd, out, logdir, use_time):
    rssf = os.path.join(logdir, c["id"] + ".rss")
    errf = os.path.join(logdir, c["id"] + ".err")
    argv = ["bash", "-c", "set -o pipefail; " + c["command"]]
    if use_time:
        argv = [TIME, "-f", "%M", "-o", rssf] + argv
    with open(errf, "wb") as err:
        t0 = time.perf_counter()
        r = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=err)
        dt = time.perf_counter() - t0
    run = {"seconds": dt, "exit": r.returncode, "out_bytes": tree_bytes(out)}
    if use_time:
        try:
            # GNU time writes "Command exited with non-zero status N" first
            run["rss_kib"] = int(open(rssf).read().split()[-1])
        except (OSError, ValueError, IndexError):
            pass
    clear_dir(out)
    os.sync()
    return run


def err_tail(logdir, cid, n=5):
    try:
        lines = open(os.path.join(logdir, cid + ".err"), errors="replace").read().splitlines()
    except OSError:
        return ""
    return "\n".join("    " + x for x in lines[-n:])


def measure_task(t, cwd, out, logdir, use_time):
    cmds = [c for c in t["commands"] if "command" in c]
    k = len(cmds)
    for rnd in range(t["rounds"]):
        order = cmds[rnd % k:] + cmds[:rnd % k] if k else []
        for c in order:
            if c.get("failed"):
                continue
            run = run_once(c, cwd, out, logdir, use_time)
            run["round"] = rnd + 1
            c["runs"].append(run)
            note = ""
            if run["exit"] != 0:
                c["failed"] = run["exit"]
                note = "  FAILED, exit %d; stderr ends:\n%s" % (run["exit"], err_tail(logdir, c["id"]))
            print("  %-7s round %d/%d  %-18s %8.3f s%s" % (t["task"], rnd + 1, t["rounds"], c["id"],
                                                           run["seconds"], note),
                  file=sys.stderr, flush=True)
    if not use_time:
        for c in cmds:
            if c.get("failed"):
                continue
            argv = ["bash", "-c", "set -o pipefail; " + c["command"] + RSS_TAIL, sys.executable]
            r = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
            try:
                c["rss_kib_separate"] = int(r.stderr.split()[-1])
            except (ValueError, IndexError):
                pass
            clear_dir(out)
            os.sync()
    for c in cmds:
        times = [r["seconds"] for r in c["runs"] if r["exit"] == 0]
        if c.get("failed") or not times:
            continue
        med = statistics.median(times)
        c["median_s"] = med
        c["min_s"], c["max_s"] = min(times), max(times)
        c["spread"] = (max(times) - min(times)) / med if med > 0 else 0.0
        nbytes, nfiles = c.get("bytes", t["bytes"]), c.get("files", t["files"])
        c["mb_s"] = nbytes / 1e6 / med if med > 0 else None
        c["files_s"] = nfiles / med if med > 0 else None
        rss = [r["rss_kib"] for r in c["runs"] if "rss_kib" in r]
        if "rss_kib_separate" in c:
            rss = [c["rss_kib_separate"]]
        if rss:
            c["rss_mib"] = max(rss) / 1024.0
        outs = [r["out_bytes"] for r in c["runs"] if r["exit"] == 0]
        if outs:
            c["out_bytes"] = outs[-1]


def evaluate(t):
    by = {c["id"]: c for c in t["commands"]}
    for g in t["targets"]:
        num, den = by.get(g["num"]), by.get(g["den"])
        g["ratio"] = None
        if g["metric"] == "speed":
            if num and den and num.get("median_s") and den.get("median_s"):
                g["ratio"] = den["median_s"] / num["median_s"]
        elif g["metric"] == "rss":
            if num and den and num.get("rss_mib") and den.get("rss_mib"):
                g["ratio"] = num["rss_mib"] / den["rss_mib"]
        elif g["metric"] == "rss_mib":
            if num and num.get("rss_mib"):
                g["ratio"] = num["rss_mib"]
        elif g["metric"] == "seconds":
            if num and num.get("median_s"):
                g["ratio"] = num["median_s"]
        if g["ratio"] is None:
            g["met"] = None
        elif g["op"] == ">=":
            g["met"] = g["ratio"] >= g["value"]
        else:
            g["met"] = g["ratio"] <= g["value"]


def md(s):
    return s.replace("|", "\\|")


def fmt(x, nd):
    return "—" if x is None else ("%.*f" % (nd, x))


def table(tasks):
    rows = ["| task | command | median s | MB/s | files/s | peak RSS MiB | custody ratio | target | met? |",
            "|---|---|---:|---:|---:|---:|---:|---|---|"]
    for t in tasks:
        ref = next((c for c in t["commands"] if c["id"].startswith("collect") or c["id"] == "verify"),
                   None)
        for c in t["commands"]:
            cmdcell = "`%s`" % md(c["display"])
            if "missing" in c:
                rows.append("| %s | %s | — | — | — | — | — | %s | — |" % (
                    t["task"], cmdcell, md(c["missing"])))
                continue
            if c.get("failed"):
                rows.append("| %s | %s | failed (exit %d) | — | — | — | — | | — |" % (
                    t["task"], cmdcell, c["failed"]))
                continue
            ratios, tgts, mets = [], [], []
            mine = [g for g in t["targets"] if g["row"] == c["id"]]
            for g in mine:
                if g["metric"] == "rss_mib":
                    ratios.append("%s MiB" % fmt(g["ratio"], 1))
                    tgts.append("%s %g MiB" % ("≥" if g["op"] == ">=" else "≤", g["value"]))
                elif g["metric"] == "seconds":
                    ratios.append("%s s" % fmt(g["ratio"], 2))
                    tgts.append("%s %g s" % ("≥" if g["op"] == ">=" else "≤", g["value"]))
                else:
                    r = "%s×" % fmt(g["ratio"], 2)
                    if g["metric"] == "rss":
                        r += " RSS of %s" % g["den"]
                    elif not (ref and g["num"] == ref["id"] and g["den"] == c["id"]):
                        r += " vs %s" % (g["den"] if g["num"] == c["id"] else
                                         "%s÷%s" % (g["num"], g["den"]))
                    ratios.append(r)
                    tgts.append("%s %.2f×" % ("≥" if g["op"] == ">=" else "≤", g["value"]))
                mets.append("—" if g["met"] is None else ("met" if g["met"] else "**not met**"))
            if not mine:
                if ref and c is not ref and not c["id"].startswith(("collect", "verify")) \
                        and ref.get("median_s") and c.get("median_s"):
                    ratios.append("%.2f×" % (c["median_s"] / ref["median_s"]))
                elif c is ref:
                    ratios.append("(reference)")
            rows.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                t["task"], cmdcell, fmt(c.get("median_s"), 3), fmt(c.get("mb_s"), 1),
                fmt(c.get("files_s"), 0), fmt(c.get("rss_mib"), 1), "; ".join(ratios),
                "; ".join(tgts), "; ".join(mets)))
    allt = [g for t in tasks for g in t["targets"]]
    met = [g for g in allt if g["met"]]
    notmet = [g for g in allt if g["met"] is False]
    unknown = [g for g in allt if g["met"] is None]

    def name(g):
        if g["metric"] == "rss_mib":
            return "%s RSS %s %g MiB" % (g["num"], g["op"], g["value"])
        if g["metric"] == "seconds":
            return "%s time %s %g s" % (g["num"], g["op"], g["value"])
        if g["metric"] == "rss":
            return "%s/%s RSS %s %.2f" % (g["num"], g["den"], g["op"], g["value"])
        return "%s vs %s on %s %s %.2f×" % (g["num"], g["den"], g["task"], g["op"], g["value"])

    summary = "Targets met: %d of %d" % (len(met), len(allt))
    if notmet:
        summary += "; not met: " + ", ".join(name(g) for g in notmet)
    if unknown:
        summary += "; not measured: " + ", ".join(name(g) for g in unknown)
    return "\n".join(rows), summary + "."


def version(argv):
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=10)
        lines = [x.strip() for x in r.stdout.splitlines() if x.strip()]
        return lines[0] if lines else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"


def machine(custody):
    cpu, flags = "?", ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name") and cpu == "?":
                cpu = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = line.split(":", 1)[1]
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 1024 / 1024)
    except OSError:
        pass
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "sha_ni": "sha_ni" in flags.split(),
        "memory": mem,
        "kernel": platform.release(),
        "tools": {
            "custody": version([custody, "--version"]) if custody else "?",
            "tar": version(["tar", "--version"]),
            "zstd": version(["zstd", "--version"]),
            "bsdtar": version(["bsdtar", "--version"]),
            "hashdeep": version(["hashdeep", "-V"]),
            "file": version(["file", "--version"]),
            "sha256sum": version(["sha256sum", "--version"]),
            "python3": platform.python_version(),
            "time": TIME if os.access(TIME, os.X_OK) else "absent (RSS via getrusage)",
        },
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--corpora")
    ap.add_argument("--custody")
    ap.add_argument("--params", default="{}")
    a = ap.parse_args()

    tasks = read_spec(a.spec)
    cwd = os.path.join(a.work, "corpus")
    out = os.path.join(a.work, "out")
    logdir = os.path.join(a.work, "log")
    for d in (out, logdir):
        os.makedirs(d, exist_ok=True)
    clear_dir(out)
    use_time = os.access(TIME, os.X_OK)
    m = machine(a.custody)
    corpora = []
    if a.corpora and os.path.exists(a.corpora):
        corpora = [json.loads(x) for x in open(a.corpora) if x.strip()]

    hdr = ["## Machine", "",
           "- nproc %s; CPU %s; sha_ni %s; memory %s; kernel %s" % (
               m["nproc"], m["cpu"], "yes" if m["sha_ni"] else "no", m["memory"], m["kernel"])]
    for k, v in m["tools"].items():
        hdr.append("- %s: %s" % (k, v))
    hdr += ["", "## Corpora", ""]
    for c in corpora:
        hdr.append("- %s: %d files, %.1f MiB, seed %d, fingerprint %s" % (
            c["name"], c["files"], c["bytes"] / 1048576, c["seed"], c["fingerprint"]))
    print("\n".join(hdr) + "\n", flush=True)

    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.perf_counter()
    for t in tasks:
        print("%s: %d round(s) of %d command(s)" % (t["task"], t["rounds"],
                                                     sum(1 for c in t["commands"] if "command" in c)),
              file=sys.stderr, flush=True)
        b0, o0, w0 = cpu_busy_s(), own_cpu_s(), time.perf_counter()
        measure_task(t, cwd, out, logdir, use_time)
        b1, o1, w1 = cpu_busy_s(), own_cpu_s(), time.perf_counter()
        if b0 is not None and b1 is not None and w1 > w0:
            # busy CPU time of the machine not spent by the benchmark
            t["other_load_cores"] = max(0.0, ((b1 - b0) - (o1 - o0)) / (w1 - w0))
        evaluate(t)
    elapsed = time.perf_counter() - t0

    tab, summary = table(tasks)
    notes = []
    for t in tasks:
        for c in t["commands"]:
            if c.get("spread", 0) > 0.10 and len(c["runs"]) > 2:
                notes.append("%s/%s: runs spread %.0f%% of the median (%.3f–%.3f s)" % (
                    t["task"], c["id"], 100 * c["spread"], c["min_s"], c["max_s"]))
    text = "## Results\n\n" + tab + "\n\n" + summary + "\n"
    if notes:
        text += "\nVariance: " + "; ".join(notes) + ".\n"
    loads = [(t["task"], t["other_load_cores"]) for t in tasks if "other_load_cores" in t]
    if loads:
        text += "\nCPU used by other processes while measuring (cores, average): %s." % ", ".join(
            "%s %.2f" % x for x in loads)
        if any(x[1] > 0.1 * m["nproc"] for x in loads):
            text += " The machine was busy with other work: expect noise, and rerun on a quiet one."
        text += "\n"
    text += "\nMeasuring took %.0f s (%s UTC).\n" % (elapsed, started.strftime("%Y-%m-%d %H:%M"))
    print(text, flush=True)

    os.makedirs(a.results, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    base = os.path.join(a.results, "results-%s" % stamp)
    with open(base + ".md", "w") as f:
        f.write("\n".join(hdr) + "\n\n" + text)
    doc = {"started": started.isoformat(), "measure_seconds": elapsed, "machine": m,
           "params": json.loads(a.params), "corpora": corpora, "tasks": tasks,
           "summary": summary}
    with open(base + ".json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("Raw timings: %s.json (table: %s.md)" % (base, base))
    bad = [c for t in tasks for c in t["commands"] if c.get("failed")]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
