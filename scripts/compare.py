#!/usr/bin/env python3
"""compare.py: gox next to Go, same machine, same run (driven by scripts/compare.sh).

Reads every bench/twins/*.txt (lines: GOX_BINARY GOX_BENCHMARK GO_BENCHMARK; {cores}
stands for the core count), runs each gox suite and the Go twins alternating for
ROUNDS rounds, then the HTTP rows (wrk against the homework, bare POCO and the Go
twin; SIGTERM-to-exit idle and with 32 in-flight 500 ms requests). Prints one table
and writes bench/results/latest.md, latest-gox.txt / latest-go.txt (Go benchmark
format, for benchstat) and latest.svg (the ratios).
Env: ROUNDS (3), QUICK=1 (1 round, short benchtimes: a smoke test, figures not for use).
"""
import glob
import http.client
import json
import math
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "release")
CBUILD = os.path.join(ROOT, "build", "compare")
RESULTS = os.path.join(ROOT, "bench", "results")
QUICK = os.environ.get("QUICK", "0") == "1"
ROUNDS = int(os.environ.get("ROUNDS", "1" if QUICK else "3"))
CORES = os.cpu_count() or 1
GB_MIN_TIME = "0.05" if QUICK else "0.3"   # seconds per Google Benchmark
GO_BENCHTIME = "0.05s" if QUICK else "0.3s"
WRK_SECONDS = 1 if QUICK else 5
WRK_CONNS, WRK_THREADS = 64, 2
IDLE_EXITS = 1 if QUICK else 3         # per side per round
INFLIGHT, INFLIGHT_MS = 32, 500
SINGLE_SHOT = ("MutexStarvationWait",)  # Go benchmarks run once (-benchtime 1x)


def die(msg):
    print(f"compare: {msg}", file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------- progress
class Progress:
    """One line: which op, which round, time left (estimated from round 1)."""

    def __init__(self, steps):
        self.steps = steps          # list of (key, initial estimate s)
        self.est = dict(steps)
        self.done = 0
        self.tty = sys.stderr.isatty()
        self.t0 = time.monotonic()

    def left(self, round_no):
        per_round = sum(self.est.values())
        rest = sum(v for k, v in self.steps[self.done % len(self.steps):])
        return rest + per_round * (ROUNDS - round_no)

    def step(self, key, label, round_no, fn):
        left = self.left(round_no)
        msg = f"[round {round_no}/{ROUNDS}] {label:<44} ~{int(left) // 60}m{int(left) % 60:02d}s left"
        if self.tty:
            print("\r\033[K" + msg, end="", file=sys.stderr, flush=True)
        else:
            print(msg, file=sys.stderr, flush=True)
        t = time.monotonic()
        out = fn()
        self.est[key] = time.monotonic() - t
        self.steps = [(k, self.est[k]) for k, _ in self.steps]
        self.done += 1
        return out

    def finish(self):
        if self.tty:
            print("\r\033[K", end="", file=sys.stderr)
        print(f"compare: measured in {time.monotonic() - self.t0:.0f} s", file=sys.stderr)


# ---------------------------------------------------------------- twins
def read_twins():
    pairs = []  # (suite, gox_name, go_name)
    d = os.path.join(ROOT, "bench", "twins")
    for f in sorted(os.listdir(d)):
        if not f.endswith(".txt"):
            continue
        for ln, line in enumerate(open(os.path.join(d, f)), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.replace("{cores}", str(CORES)).split()
            if len(parts) != 3:
                die(f"bench/twins/{f}:{ln}: want GOX_BINARY GOX_BENCHMARK GO_BENCHMARK")
            pairs.append(tuple(parts))
    return pairs


def to_ns(v, unit):
    return v * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]


def spin_probe():
    """ns per round trip of two threads spinning on one atomic: how fast this machine moves a
    cache line between its CPUs right now (the floor under every cross-thread hand-off)."""
    r = run_gox("chan_bench", ["BM_RoundTrip_Spin/real_time"])
    return r["BM_RoundTrip_Spin/real_time"]


def run_gox(binary, names):
    exe = os.path.join(BUILD, "bench", binary)
    filt = "^(" + "|".join(sorted(set(names))) + ")$"
    p = subprocess.run([exe, f"--benchmark_filter={filt}", f"--benchmark_min_time={GB_MIN_TIME}",
                        "--benchmark_format=json"], capture_output=True, text=True)
    if p.returncode != 0:
        die(f"{binary} failed:\n{p.stderr}")
    out = {}
    for b in json.loads(p.stdout)["benchmarks"]:
        if b.get("run_type", "iteration") == "iteration":
            out[b["name"]] = to_ns(b["real_time"], b["time_unit"])
    return out


GO_LINE = re.compile(r"^(Benchmark\S+)\s+\d+\s+([0-9.e+]+) ns/op")


def run_go(names):
    exe = os.path.join(CBUILD, "goxbench.test")
    tops = sorted({n.split("/")[0] for n in names})
    groups = [([t for t in tops if t.startswith(tuple("Benchmark" + s for s in SINGLE_SHOT))], "1x"),
              ([t for t in tops if not t.startswith(tuple("Benchmark" + s for s in SINGLE_SHOT))],
               GO_BENCHTIME)]
    out = {}
    env = dict(os.environ, GOMAXPROCS=str(CORES))
    suffix = f"-{CORES}"
    for group, bt in groups:
        if not group:
            continue
        p = subprocess.run([exe, "-test.run", "^$", "-test.bench", "^(" + "|".join(group) + ")$",
                            "-test.benchtime", bt], capture_output=True, text=True, env=env,
                           cwd=os.path.join(ROOT, "bench", "go"))
        if p.returncode != 0:
            die(f"Go benchmarks failed:\n{p.stdout}\n{p.stderr}")
        for line in p.stdout.splitlines():
            m = GO_LINE.match(line)
            if m:
                name = m.group(1)
                if CORES > 1 and name.endswith(suffix):
                    name = name[: -len(suffix)]
                out[name] = float(m.group(2))
    return out


# ---------------------------------------------------------------- HTTP
class Server:
    """A server process on 127.0.0.1:0; ports read from its 'listening on' lines."""

    def __init__(self, argv, want_debug):
        self.log = os.path.join(CBUILD, "server.log")
        self.f = open(self.log, "w")
        self.p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=self.f)
        self.app = self.debug = None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            text = open(self.log).read()
            app = re.search(r"(?:app )?listening on \S+:(\d+)", text)
            dbg = re.search(r"debug listening on \S+:(\d+)", text)
            if app and (dbg or not want_debug):
                self.app = int(app.group(1))
                self.debug = int(dbg.group(1)) if dbg else None
                return
            if self.p.poll() is not None:
                break
            time.sleep(0.005)
        self.kill()
        die(f"{argv[0]} did not start:\n{open(self.log).read()}")

    def term_to_exit_ms(self, timeout=10):
        # A blocking wait (Popen.wait with a timeout polls, adding up to ms); a
        # watchdog kills a process that does not exit in time.
        dog = threading.Timer(timeout, self.p.kill)
        dog.start()
        t0 = time.monotonic()
        self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait()
        ms = (time.monotonic() - t0) * 1e3
        dog.cancel()
        if rc == -signal.SIGKILL:
            self.f.close()
            return None, None
        self.f.close()
        return ms, rc

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        self.f.close()


def hw_argv():
    return [os.path.join(BUILD, "homework", "homework"), "--app=127.0.0.1:0", "--debug=127.0.0.1:0"]


def go_hw_argv():
    return [os.path.join(CBUILD, "homework-go"), "--app=127.0.0.1:0", "--debug=127.0.0.1:0"]


def poco_argv():
    return [os.path.join(BUILD, "bench", "poco_hello"), "0", "128"]


SERVERS = {"homework": (hw_argv, True), "poco": (poco_argv, False), "go": (go_hw_argv, True)}


def wrk(kind):
    argv, dbg = SERVERS[kind]
    s = Server(argv(), dbg)
    try:
        p = subprocess.run(["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNS}", f"-d{WRK_SECONDS}s",
                            f"http://127.0.0.1:{s.app}/"], capture_output=True, text=True)
    finally:
        s.kill()
    m = re.search(r"Requests/sec:\s+([0-9.]+)", p.stdout)
    if not m:
        die(f"wrk failed:\n{p.stdout}{p.stderr}")
    if re.search(r"Non-2xx|Socket errors", p.stdout):
        print(f"\ncompare: warning: wrk against {kind}: " +
              "; ".join(l.strip() for l in p.stdout.splitlines() if re.search("Non-2xx|Socket errors", l)),
              file=sys.stderr)
    return float(m.group(1))


def idle_exit(kind):
    argv, dbg = SERVERS[kind]
    s = Server(argv(), dbg)
    ms, rc = s.term_to_exit_ms()
    if ms is None or (kind != "poco" and rc != 0):
        die(f"{kind}: SIGTERM when idle: exit {rc}, want 0 within 10 s")
    return ms


def inflight_exit(kind):
    """32 requests of /slow?ms=500 in flight, then SIGTERM: ms to exit; all must get 200."""
    argv, dbg = SERVERS[kind]
    s = Server(argv(), dbg)
    codes = []
    lock = threading.Lock()

    def get():
        try:
            c = http.client.HTTPConnection("127.0.0.1", s.app, timeout=10)
            c.request("GET", f"/slow?ms={INFLIGHT_MS}")
            r = c.getresponse()
            r.read()
            code = r.status
        except Exception as e:  # a refused or reset request counts as a failure
            code = repr(e)
        with lock:
            codes.append(code)

    ts = [threading.Thread(target=get) for _ in range(INFLIGHT)]
    for t in ts:
        t.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        c = http.client.HTTPConnection("127.0.0.1", s.debug, timeout=2)
        c.request("GET", "/debug/vars")
        if json.loads(c.getresponse().read()).get("inflight", 0) >= INFLIGHT:
            break
        time.sleep(0.002)
    else:
        s.kill()
        die(f"{kind}: {INFLIGHT} requests never were in flight at once")
    ms, rc = s.term_to_exit_ms()
    for t in ts:
        t.join()
    ok = sum(1 for c in codes if c == 200)
    if ms is None or rc != 0 or ok != INFLIGHT:
        die(f"{kind}: SIGTERM with {INFLIGHT} in flight: exit {rc}, {ok}/{INFLIGHT} got 200 "
            f"({[c for c in codes if c != 200][:3]})")
    return ms


# ---------------------------------------------------------------- output
def fmt_ns(v):
    if v >= 1e6:
        return f"{v / 1e6:.2f} ms"
    if v >= 1e3:
        return f"{v / 1e3:.2f} µs"
    return f"{v:.1f} ns"


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {CORES} cores, Linux {platform.release()}"


def tool_versions():
    gxx = subprocess.run(["c++", "--version"], capture_output=True, text=True).stdout.splitlines()
    gov = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
    return (gxx[0] if gxx else "c++ ?"), gov.replace("go version ", "")


def svg(rows, caption, path, rounds):
    """Horizontal bars of log2(ratio), a line at 1.0; >1 (right) = gox slower."""
    lo, hi = -7, 7  # 1/128 .. 128
    for r in rows:
        lr = math.log2(r["ratio"])
        lo, hi = min(lo, math.floor(lr)), max(hi, math.ceil(lr))
    lw, w, bh = 330, 520, 16
    H = 40 + len(rows) * (bh + 4) + 50
    x = lambda lr: lw + (lr - lo) / (hi - lo) * w
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{lw + w + 70}" height="{H}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="18" font-size="13" font-weight="bold">gox time / Go time '
           f'(median of {rounds}; left of 1.0: gox faster, right: Go faster; log scale)</text>']
    y0 = 32
    for k in range(lo, hi + 1):
        if k % 2 == 0 or hi - lo <= 8:
            xx = x(k)
            lab = f"{2 ** k:g}" if k >= 0 else f"1/{2 ** -k:g}"
            out.append(f'<line x1="{xx:.1f}" y1="{y0}" x2="{xx:.1f}" y2="{H - 42}" stroke="#ddd"/>')
            out.append(f'<text x="{xx:.1f}" y="{H - 30}" text-anchor="middle">{lab}</text>')
    for i, r in enumerate(rows):
        y = y0 + 4 + i * (bh + 4)
        lr = math.log2(r["ratio"])
        a, b = sorted((x(0), x(lr)))
        color = "#2a7ab9" if lr <= 0 else "#d9534f"
        label = r["op"].replace("&", "&amp;").replace("<", "&lt;")
        out.append(f'<text x="{lw - 6}" y="{y + bh - 4}" text-anchor="end">{label}</text>')
        out.append(f'<rect x="{a:.1f}" y="{y}" width="{max(b - a, 1):.1f}" height="{bh}" fill="{color}"/>')
        tx = b + 4 if lr > 0 else a - 4
        anchor = "start" if lr > 0 else "end"
        out.append(f'<text x="{tx:.1f}" y="{y + bh - 4}" text-anchor="{anchor}">{r["ratio"]:.2f}</text>')
    out.append(f'<line x1="{x(0):.1f}" y1="{y0}" x2="{x(0):.1f}" y2="{H - 42}" stroke="black" stroke-width="1.5"/>')
    cap = caption.replace("&", "&amp;").replace("<", "&lt;")
    out.append(f'<text x="10" y="{H - 10}" font-size="10">{cap}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def load_why():
    """Reasons from bench/twins/why*.md: one `- `OP`: reason` line per op, across files."""
    why = {}
    for p in sorted(glob.glob(os.path.join(ROOT, "bench", "twins", "why*.md"))):
        for line in open(p):
            m = re.match(r"^- `([^`]+)`: (.*)$", line.strip())
            if m:
                if m.group(1) in why:
                    sys.exit(f"compare: {m.group(1)} has two reasons ({os.path.basename(p)})")
                why[m.group(1)] = m.group(2)
    return why


def main():
    os.makedirs(CBUILD, exist_ok=True)
    os.makedirs(RESULTS, exist_ok=True)
    pairs = read_twins()
    suites = {}
    for suite, gname, goname in pairs:
        suites.setdefault(suite, []).append((gname, goname))
    steps = []
    for suite, ps in suites.items():
        n = len(ps)
        steps += [(f"gox:{suite}", 1.0 * n), (f"go:{suite}", 1.0 * n)]
    kinds = ["homework", "poco", "go"]
    steps += [(f"wrk:{k}", WRK_SECONDS + 0.5) for k in kinds]
    steps += [(f"idle:{k}", 0.3 * IDLE_EXITS) for k in kinds]
    steps += [(f"inflight:{k}", 1.0) for k in ("homework", "go")]
    prog = Progress(steps)
    load_before = os.getloadavg()[0]
    spins = [spin_probe()]

    gox_vals, go_vals = {}, {}   # name -> [per round]
    http_vals = {}               # (metric, kind) -> [values]
    for rnd in range(1, ROUNDS + 1):
        flip = rnd % 2 == 0  # alternate who goes first
        if rnd > 1:
            spins.append(spin_probe())
        for suite, ps in suites.items():
            order = [("go", suite), ("gox", suite)] if flip else [("gox", suite), ("go", suite)]
            for side, s in order:
                if side == "gox":
                    r = prog.step(f"gox:{s}", f"{s} (gox)", rnd, lambda: run_gox(s, [g for g, _ in ps]))
                    for k, v in r.items():
                        gox_vals.setdefault(k, []).append(v)
                else:
                    r = prog.step(f"go:{s}", f"{s} twins (Go)", rnd, lambda: run_go([g for _, g in ps]))
                    for k, v in r.items():
                        go_vals.setdefault(k, []).append(v)
        ks = kinds[::-1] if flip else kinds
        for k in ks:
            v = prog.step(f"wrk:{k}", f"wrk GET / against {k}", rnd, lambda: wrk(k))
            http_vals.setdefault(("rps", k), []).append(v)
        for k in ks:
            vs = prog.step(f"idle:{k}", f"SIGTERM->exit idle: {k}", rnd,
                           lambda: [idle_exit(k) for _ in range(IDLE_EXITS)])
            http_vals.setdefault(("idle", k), []).extend(vs)
        for k in [k for k in ks if k != "poco"]:
            v = prog.step(f"inflight:{k}", f"SIGTERM->exit, {INFLIGHT} in flight: {k}", rnd,
                          lambda: inflight_exit(k))
            http_vals.setdefault(("inflight", k), []).append(v)
    prog.finish()
    load_after = os.getloadavg()[0]
    spins.append(spin_probe())

    # ---- rows
    rows = []
    for suite, gname, goname in pairs:
        a, b = gox_vals.get(gname), go_vals.get(goname)
        if not a or not b:
            die(f"no figure for {gname if not a else goname} (suite {suite}): check bench/twins")
        rows.append(dict(op=goname.removeprefix("Benchmark"), gox=a, go=b, unit="time",
                         gox_name=gname, go_name=goname))
    rps = lambda k: http_vals[("rps", k)]
    wrk_desc = f"wrk -t{WRK_THREADS} -c{WRK_CONNS} {WRK_SECONDS}s"
    rows.append(dict(op="HTTP GET / req/s, homework", gox=rps("homework"), go=rps("go"),
                     unit="rps", gox_name="HTTPGet/homework", go_name="HTTPGet/homework"))
    rows.append(dict(op="HTTP GET / req/s, bare POCO", gox=rps("poco"), go=rps("go"),
                     unit="rps", gox_name="HTTPGet/barePOCO", go_name="HTTPGet/homework"))
    rows.append(dict(op="SIGTERM→exit idle ms, homework", gox=http_vals[("idle", "homework")],
                     go=http_vals[("idle", "go")], unit="ms", gox_name="ExitIdle", go_name="ExitIdle"))
    rows.append(dict(op="SIGTERM→exit idle ms, bare POCO", gox=http_vals[("idle", "poco")],
                     go=http_vals[("idle", "go")], unit="ms", gox_name="ExitIdle/barePOCO",
                     go_name="ExitIdle"))
    rows.append(dict(op=f"SIGTERM→exit ms, {INFLIGHT}×{INFLIGHT_MS}ms in flight",
                     gox=http_vals[("inflight", "homework")], go=http_vals[("inflight", "go")], unit="ms",
                     gox_name="ExitInflight32", go_name="ExitInflight32"))
    meta = dict(date=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), machine=machine(),
                tools=tool_versions(), load=[load_before, load_after], spin=spins, rounds=ROUNDS, quick=QUICK,
                gb_min_time=GB_MIN_TIME, go_benchtime=GO_BENCHTIME, cores=CORES,
                wrk=wrk_desc, idle_exits=IDLE_EXITS)
    with open(os.path.join(RESULTS, "latest.json"), "w") as f:
        json.dump(dict(meta=meta, rows=rows), f, indent=1, ensure_ascii=False)
    render(meta, rows)


def render(meta, rows):
    """Writes latest.md, latest-gox.txt, latest-go.txt and latest.svg; prints the table."""
    for r in rows:
        mg, mo = statistics.median(r["gox"]), statistics.median(r["go"])
        r["ratio"] = (mo / mg) if r["unit"] == "rps" else (mg / mo)
    now, mach, (cxx, gov) = meta["date"], meta["machine"], meta["tools"]
    load_before, load_after = meta["load"]
    rounds, cores = meta["rounds"], meta["cores"]
    why = load_why()

    def cell(vals, unit):
        lo, med, hi = min(vals), statistics.median(vals), max(vals)
        if unit == "rps":
            return f"{med:,.0f} ({lo:,.0f}–{hi:,.0f})"
        if unit == "ms":
            return f"{med:.1f} ({lo:.1f}–{hi:.1f})"
        return f"{fmt_ns(med)} ({fmt_ns(lo)}–{fmt_ns(hi)})"

    lines = [f"| op | gox median (min–max) | Go median (min–max) | gox/Go | note |",
             "|---|---|---|---|---|"]
    for r in rows:
        note = why.get(r["op"], "not yet explained" if r["ratio"] > 1.10 else "")
        lines.append(f"| {r['op']} | {cell(r['gox'], r['unit'])} | {cell(r['go'], r['unit'])} | "
                     f"{r['ratio']:.2f} | {note} |")
    table = "\n".join(lines)
    spin = meta.get("spin")
    spin_txt = (f" Two threads spinning on one atomic (BM_RoundTrip_Spin, the cross-CPU floor under "
                f"every hand-off between threads), before each round and after the last: "
                f"{', '.join(f'{v:.0f}' for v in spin)} ns per round trip; this VM measured both "
                f"~90–170 ns and ~380–530 ns on 2026-11-30, so compare runs only with similar figures."
                if spin else "")
    cond = (f"Machine: {mach}. Date: {now}. Load average {load_before:.2f} before, {load_after:.2f} after.{spin_txt}\n"
            f"gox: release preset ({cxx}); Go: {gov}, GOMAXPROCS={cores}. {rounds} round(s), "
            f"alternating; Google Benchmark min_time {meta['gb_min_time']}s, Go benchtime {meta['go_benchtime']} "
            f"(starvation: one 250 ms run per round). Time rows: wall time per op "
            f"(threads:N = all threads together); gox/Go > 1 means gox is slower "
            f"(req/s rows: Go req/s / gox req/s). HTTP (Go column: the Go twin, "
            f"bench/go/homework): `{meta['wrk']}` per server per round; SIGTERM→exit of an idle "
            f"server, {meta['idle_exits']} per server per round; SIGTERM→exit with {INFLIGHT} requests "
            f"`GET /slow?ms={INFLIGHT_MS}` in flight (all must get 200, exit 0), one per round.")
    if meta['quick']:
        cond = "QUICK=1 smoke run: short benchtimes, figures not for use.\n" + cond
    md = ["# gox vs Go: `make compare`", "", cond, "", table, ""]
    with open(os.path.join(RESULTS, "latest.md"), "w") as f:
        f.write("\n".join(md))
    print("\n" + cond + "\n")
    w = max(len(r["op"]) for r in rows)
    print(f"{'op':<{w}}  {'gox median (min–max)':>34}  {'Go median (min–max)':>34}  gox/Go")
    for r in rows:
        print(f"{r['op']:<{w}}  {cell(r['gox'], r['unit']):>34}  {cell(r['go'], r['unit']):>34}  {r['ratio']:6.2f}")

    # ---- benchstat files: the same (Go) names on both sides, one line per round
    hdr = f"goos: linux\ngoarch: amd64\npkg: goxbench\ncpu: {mach.split(',')[0]}\n"
    for side, key in (("gox", "gox"), ("go", "go")):
        with open(os.path.join(RESULTS, f"latest-{side}.txt"), "w") as f:
            f.write(f"# {side} side of `make compare`, {now}, {mach}; "
                    f"compare: benchstat latest-go.txt latest-gox.txt\n" + hdr)
            for r in rows:
                name = "Benchmark" + re.sub(r"[^A-Za-z0-9_/=:.-]+", "_", r["op"]) + f"-{cores}"
                for v in r[key]:
                    if r["unit"] == "rps":
                        f.write(f"{name}\t1\t{1e9 / v:.1f} ns/op\t{v:.0f} req/s\n")
                    elif r["unit"] == "ms":
                        f.write(f"{name}\t1\t{v * 1e6:.0f} ns/op\n")
                    else:
                        f.write(f"{name}\t1\t{v:.3f} ns/op\n")
    svg(rows, f"{mach}; {now}; gox release build vs {gov}, GOMAXPROCS={cores}",
        os.path.join(RESULTS, "latest.svg"), rounds)
    print(f"\nwrote bench/results/latest.md, latest.svg, latest-gox.txt, latest-go.txt", file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1:] == ["--render"]:  # again from bench/results/latest.json (e.g. after editing why.md)
        with open(os.path.join(RESULTS, "latest.json")) as f:
            saved = json.load(f)
        render(saved["meta"], saved["rows"])
    else:
        main()
