"""Two cpc binaries, run by run in turn, on the same suites and target: medians and the ratio.

Alternating the binaries keeps a noisy machine's drift out of the comparison (hyperfine runs
one command's runs, then the next's).

Usage: python3 benches/ab.py BEFORE AFTER TARGET_URL SUITE_DIR ONE_CASE_SUITE_DIR [RUNS]
The suites are made as benches/vs-hurl.sh makes them (its `suite` function): 1000 cases, and 1.
"""
import statistics
import subprocess
import sys
import tempfile
import time

before, after, target, suite, one = sys.argv[1:6]
runs = int(sys.argv[6]) if len(sys.argv) > 6 else 40
binaries = {"before": before, "after": after}
shapes = [("--jobs 8", suite, ["--jobs", "8"]), ("--jobs 1", suite, ["--jobs", "1"]),
          ("one case", one, [])]
with tempfile.TemporaryDirectory() as out:
    for label, dir, extra in shapes:
        times = {name: [] for name in binaries}
        for i in range(runs + 2):  # the first two rounds warm up
            order = list(binaries.items())
            for name, binary in order if i % 2 == 0 else reversed(order):
                command = [binary, "run", dir, "--target", target, *extra,
                           "--out", f"{out}/{name}", "--history", "off"]
                start = time.perf_counter()
                subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if i >= 2:
                    times[name].append((time.perf_counter() - start) * 1000)
        b, a = (statistics.median(times[name]) for name in binaries)
        print(f"{label:10} before {b:7.1f} ms  after {a:7.1f} ms  after/before {a / b:.2f}"
              f"  (medians of {runs}, alternating)")
