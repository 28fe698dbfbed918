#!/usr/bin/env bash
# Benchmark: the load step's throughput against wrk (Debian's), on the same minimal loopback
# endpoint (nginx answering 200 "ok"), over HTTP and over HTTPS (a test certificate made here,
# trusted by cpc through --ca-cert), in the same run; then the full CSG suite's wall time
# against the built-in reference. Figures go to BENCHMARKS.md by hand.
# Usage: bash benches/load-vs-wrk.sh [seconds]   (run from the repository root)
set -euo pipefail
seconds=${1:-10}
port=18090
tls_port=18093
users=20

for tool in wrk nginx openssl; do
  if ! command -v "$tool" >/dev/null; then
    as_root=""; [ "$(id -u)" -eq 0 ] || as_root="sudo"
    $as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq wrk nginx-light openssl >/dev/null
  fi
done
cargo build --release --quiet
cpc=target/release/cpc

work=$(mktemp -d)
trap 'nginx -p "$work" -c nginx.conf -s stop 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/logs"
# A test CA and a server certificate for 127.0.0.1 signed by it, as an agency's test system has.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cpc bench CA" \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > "$work/san.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
  -CAcreateserial -days 2 -extfile "$work/san.ext" -out "$work/server.pem" 2>/dev/null
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
error_log $work/logs/error.log;
pid $work/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  server { listen 127.0.0.1:$port; location / { return 200 "ok"; } }
  server {
    listen 127.0.0.1:$tls_port ssl;
    ssl_certificate $work/server.pem; ssl_certificate_key $work/server.key;
    location / { return 200 "ok"; }
  }
}
CONF
nginx -p "$work" -c nginx.conf
sleep 0.5

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "endpoint: nginx (1 worker) on 127.0.0.1:$port (http) and :$tls_port (https); $users connections; ${seconds}s each"

mkdir -p "$work/suites/bench/cases"
cat > "$work/suites/bench/suite.yaml" <<YAML
id: bench
service_code: BENCH
name_th: ทดสอบภาระงาน
agency_th: ทดสอบ
proposal_version: "1"
YAML
printf 'requirements:\n  - id: B-1\n    level: must\n    text_th: ภาระงาน\n' > "$work/suites/bench/requirements.yaml"
cat > "$work/suites/bench/cases/load.yaml" <<YAML
cases:
  - id: B-LOAD
    title_th: ภาระงาน
    requirements: [B-1]
    steps:
      - load:
          request: { method: GET, path: / }
          users: $users
          duration_ms: $((seconds * 1000))
        expect:
          status: 200
YAML

# compare SCHEME PORT [cpc options…]: wrk, then cpc's load step, on one endpoint.
compare() {
  local scheme=$1 at=$2; shift 2
  local wrk_rps cpc_rps
  wrk_rps=$(wrk -t2 -c$users -d${seconds}s "$scheme://127.0.0.1:$at/" | awk '/Requests\/sec/ {print $2}')
  "$cpc" run "$work/suites/bench" --target "$scheme://127.0.0.1:$at" --out "$work/out-$scheme" "$@" >/dev/null
  cpc_rps=$(python3 -c "import json;r=json.load(open('$work/out-$scheme/results.json'));print(r['cases'][0]['steps'][0]['load']['throughput_rps'])")
  echo "$scheme wrk:           $wrk_rps req/s"
  echo "$scheme cpc load step: $cpc_rps req/s"
  python3 -c "r=float($cpc_rps)/float($wrk_rps); print(f'$scheme ratio: {r*100:.0f}% of wrk (target >= 90%: {\"met\" if r >= 0.9 else \"NOT MET\"})')"
}
compare http "$port"
compare https "$tls_port" --ca-cert "$work/ca.pem"

start=$(date +%s.%N)
"$cpc" run suites/csg --target reference --out "$work/csg" >/dev/null
end=$(date +%s.%N)
python3 -c "print(f'full CSG suite against the reference: {$end-$start:.2f} s wall')"
