#!/usr/bin/env python3
"""bench/spawntime.py: times traceaudit builds on one input, to the microsecond.

    bench/spawntime.py RUNS FILE NAME=BINARY [NAME=BINARY...]

Runs `BINARY scan -f json --fail-on never --progress never FILE -o /dev/null`
RUNS times for each binary, interleaved (the order alternates every round),
each started with posix_spawn and reaped with wait4: wall time from the
spawn to the reaping, CPU time (user + sys) and peak RSS from wait4's
rusage. /usr/bin/time gives wall time in steps of 10 ms, too coarse for a
scan of ~40 ms. Prints, per binary, the fastest run, the 10th and 25th
percentiles and the median of wall and CPU time, the median and largest
peak RSS and the median of minor page faults. On a shared machine the CPU
time and the fastest runs say more than the median wall time; note the load
(uptime) with the figures.
"""
import os
import statistics
import sys
import time


def main():
    if len(sys.argv) < 4 or any("=" not in a for a in sys.argv[3:]):
        sys.exit(__doc__)
    runs, path = int(sys.argv[1]), sys.argv[2]
    builds = [a.split("=", 1) for a in sys.argv[3:]]
    results = {name: [] for name, _ in builds}
    devnull = os.open(os.devnull, os.O_WRONLY)
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    for i in range(runs):
        order = builds if i % 2 == 0 else builds[::-1]
        for name, binary in order:
            args = [binary, "scan", "-f", "json", "--fail-on", "never", "--progress", "never", path, "-o", os.devnull]
            start = time.perf_counter()
            pid = os.posix_spawn(binary, args, os.environ, file_actions=actions)
            _, status, ru = os.wait4(pid, 0)
            wall = time.perf_counter() - start
            if os.waitstatus_to_exitcode(status) != 0:
                sys.exit(f"{name}: exit status {os.waitstatus_to_exitcode(status)}")
            results[name].append((wall * 1e3, (ru.ru_utime + ru.ru_stime) * 1e3, ru.ru_maxrss / 1024, ru.ru_minflt))

    def pct(v, p):
        return v[min(len(v) - 1, int(len(v) * p))]

    for name, _ in builds:
        r = results[name]
        wall = sorted(x[0] for x in r)
        cpu = sorted(x[1] for x in r)
        rss = sorted(x[2] for x in r)
        faults = sorted(x[3] for x in r)
        print(f"{name}: wall fastest {wall[0]:.1f} p10 {pct(wall, .1):.1f} p25 {pct(wall, .25):.1f} "
              f"median {statistics.median(wall):.1f} ms | cpu fastest {cpu[0]:.1f} p10 {pct(cpu, .1):.1f} "
              f"p25 {pct(cpu, .25):.1f} median {statistics.median(cpu):.1f} ms | peak RSS median "
              f"{statistics.median(rss):.1f} max {rss[-1]:.1f} MiB | page faults {statistics.median(faults):.0f} "
              f"({len(r)} runs)")


if __name__ == "__main__":
    main()
