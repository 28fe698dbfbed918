#!/usr/bin/env bash
# Benchmark: cpc against hurl 8.0.1 on the same work, in one go (hyperfine), against one local
# nginx. The work: N cases (hurl: N files of one entry), each one POST with a JSON body and three
# checks (status, a JSONPath, the duration). Prints the wall times and the ratios; also cpc's
# wall time and peak memory at 10x the cases, `cpc validate` of that suite, and the start-up of
# one trivial case; and the CPU a `--jobs 8` run costs (cpc's and nginx's), which bounds its wall
# time from below on these cores. Figures go to BENCHMARKS.md by hand.
#
# Usage: bash benches/vs-hurl.sh [cases]   (run from the repository root; default 1000)
set -euo pipefail
cases=${1:-1000}
port=18091
runs=${RUNS:-10}

need() { command -v "$1" >/dev/null; }
as_root=""; [ "$(id -u)" -eq 0 ] || as_root="sudo"
if ! need nginx || ! need hyperfine || ! [ -x /usr/bin/time ]; then
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq nginx-light hyperfine time >/dev/null
fi
if ! need hurl || [ "$(hurl --version | head -1 | cut -d' ' -f2)" != "8.0.1" ]; then
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq \
    libcurl4-openssl-dev libxml2-dev pkg-config libclang-dev >/dev/null
  cargo install hurl --version 8.0.1 --locked
fi
cargo build --release --quiet
target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
cpc=$target_dir/release/cpc

work=$(mktemp -d)
trap 'nginx -p "$work" -c nginx.conf -s stop 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/logs"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
error_log $work/logs/error.log;
pid $work/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  server {
    listen 127.0.0.1:$port;
    location / { default_type application/json; return 200 '{"status":"ok","id":"A-1"}'; }
  }
}
CONF
nginx -p "$work" -c nginx.conf
sleep 0.3
url="http://127.0.0.1:$port"

# A cpc suite of $1 cases in files of at most 1000 (as a tester splits a big suite).
suite() {
  local dir=$1 n=$2
  mkdir -p "$dir/cases"
  printf 'id: bench\nservice_code: BENCH\nname_th: ทดสอบความเร็ว\nagency_th: ทดสอบ\nproposal_version: "1"\n' > "$dir/suite.yaml"
  printf 'requirements:\n  - id: B-1\n    level: must\n    text_th: ตอบคำขอ\n' > "$dir/requirements.yaml"
  python3 - "$dir" "$n" <<'PY'
import sys
root, n = sys.argv[1], int(sys.argv[2])
for start in range(0, n, 1000):
    with open(f"{root}/cases/c{start // 1000:03}.yaml", "w") as f:
        f.write("cases:\n")
        for i in range(start, min(n, start + 1000)):
            f.write(f"""  - id: B-{i:05}
    title_th: ยื่นคำขอ {i}
    requirements: [B-1]
    steps:
      - request: {{ method: POST, path: /submit, json: {{ case: {i}, amount: 100 }} }}
        expect:
          status: 200
          body: {{ $.status: {{ equals: ok }} }}
          duration_ms: {{ max: 1000 }}
""")
PY
}

# The same work for hurl: one file per case.
hurl_files() {
  local dir=$1 n=$2
  mkdir -p "$dir"
  python3 - "$dir" "$n" "$url" <<'PY'
import sys
root, n, url = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for i in range(n):
    with open(f"{root}/c{i:05}.hurl", "w") as f:
        f.write(f"""POST {url}/submit
{{"case": {i}, "amount": 100}}
HTTP 200
[Asserts]
jsonpath "$.status" == "ok"
duration < 1000
""")
PY
}

suite "$work/suite" "$cases"
suite "$work/suite-10x" $((cases * 10))
suite "$work/one" 1
hurl_files "$work/hurl" "$cases"
hurl_files "$work/hurl-one" 1

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "hurl: $(hurl --version | head -1)"
echo "endpoint: nginx (1 worker) on $url; $cases cases of one POST and three checks"
echo

# Every cpc run writes all its files (results.jsonl, results.json, junit.xml, gate.json, reports).
hyperfine --runs "$runs" --warmup 1 --style basic --export-json "$work/times.json" \
  -n "hurl --jobs 1" "hurl --test --jobs 1 $work/hurl/*.hurl" \
  -n "cpc --jobs 1" "$cpc run $work/suite --target $url --jobs 1 --out $work/out-1" \
  -n "hurl --parallel --jobs 8" "hurl --test --parallel --jobs 8 $work/hurl/*.hurl" \
  -n "cpc --jobs 8" "$cpc run $work/suite --target $url --jobs 8 --out $work/out-8" \
  -n "hurl, one file" "hurl --test $work/hurl-one/c00000.hurl" \
  -n "cpc, one case" "$cpc run $work/one --target $url --out $work/out-one" \
  -n "cpc validate, 10x cases" "$cpc validate $work/suite-10x" \
  -n "cpc validate" "$cpc validate $work/suite" \
  >/dev/null 2>&1 || { echo "a command failed: run it by hand to see why" >&2; exit 1; }

# 10x the cases: wall time and peak memory of one run each (GNU time's maximum resident size).
measure() {
  /usr/bin/time -f "%e %M" -o "$work/rusage" "$@" >/dev/null
  cat "$work/rusage"
}
read -r t1 m1 < <(measure "$cpc" run "$work/suite" --target "$url" --jobs 1 --out "$work/m1")
read -r t10 m10 < <(measure "$cpc" run "$work/suite-10x" --target "$url" --jobs 1 --out "$work/m10")

# The CPU nginx spends on one `cpc --jobs 8` run (its worker's utime + stime, in clock ticks,
# over $runs runs): with cpc's own CPU it bounds how fast the run can be on these cores.
worker=$(pgrep -f "nginx: worker" | head -1)
ticks() { awk '{ print $14 + $15 }' "/proc/$worker/stat"; }
before=$(ticks)
for _ in $(seq "$runs"); do
  "$cpc" run "$work/suite" --target "$url" --jobs 8 --out "$work/out-8" >/dev/null
done
nginx_ms=$(( ($(ticks) - before) * 1000 / $(getconf CLK_TCK) / runs ))

python3 - "$work/times.json" "$cases" "$t1" "$m1" "$t10" "$m10" "$nginx_ms" "$(nproc)" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
n = int(sys.argv[2])
t1, m1, t10, m10 = float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
nginx_ms, cores = int(sys.argv[7]), int(sys.argv[8])
mean = lambda name: results[name]["mean"]
for name, r in results.items():
    print(f"{name:28} {r['mean']:8.3f} s ± {r['stddev']:.3f}  (min {r['min']:.3f}, max {r['max']:.3f})")
print()
def ratio(a, b, target, op):
    value = mean(a) / mean(b)
    ok = value <= target if op == "<=" else value >= target
    print(f"{a} / {b}: {value:.2f}  (target {op} {target}) {'met' if ok else 'NOT MET'}")
ratio("cpc --jobs 1", "hurl --jobs 1", 0.5, "<=")
ratio("cpc --jobs 8", "hurl --parallel --jobs 8", 0.33, "<=")
ratio("cpc, one case", "hurl, one file", 1.0, "<=")
v = mean("cpc validate, 10x cases")
print(f"cpc validate of {10 * n} cases: {v:.3f} s  (target < 0.5 s) {'met' if v < 0.5 else 'NOT MET'}")
print(f"cpc --jobs 1, {n} cases: {t1:.2f} s, peak RSS {m1 / 1024:.1f} MiB")
print(f"cpc --jobs 1, {10 * n} cases: {t10:.2f} s, peak RSS {m10 / 1024:.1f} MiB")
lin = t10 / t1
print(f"{10 * n} / {n} cases wall time: {lin:.1f}x  (target <= 12x) {'met' if lin <= 12 else 'NOT MET'}")
print(f"peak RSS at {10 * n} cases: {m10 / 1024:.1f} MiB  (target < 100 MiB) {'met' if m10 < 100 * 1024 else 'NOT MET'}")
# CPU, not wall time: what `--jobs 8` costs the machine, and the least wall time that allows.
cpu = lambda name: (results[name]["user"] + results[name]["system"]) * 1000
run8, read = cpu("cpc --jobs 8"), cpu("cpc validate")
floor = (run8 + nginx_ms) / cores
print()
print(f"CPU of one cpc --jobs 8 run: {run8:.0f} ms (reading and checking the suite alone, as "
      f"cpc validate: {read:.0f} ms); nginx's for it: {nginx_ms} ms")
print(f"on {cores} cores that run cannot take less than {floor:.0f} ms; "
      f"0.33x hurl --parallel --jobs 8 is {0.33 * mean('hurl --parallel --jobs 8') * 1000:.0f} ms")
PY
