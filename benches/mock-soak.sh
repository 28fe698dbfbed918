#!/usr/bin/env bash
# Soak test of `cpc mock` as a server that runs for days: a million requests or more at full
# speed with wrk (token issues, status callbacks with bodies, requests no stub matches), RSS
# sampled every second, then the admin API and the listener checked; then the same under a
# low file-descriptor limit with more connections than descriptors (accept() fails with
# EMFILE), and the listener checked again.
#
#   bash benches/mock-soak.sh [SECONDS]        # default 60 s of load (about a million requests)
#
# Needs wrk and curl (apt-get install wrk curl). Prints the figures BENCHMARKS.md quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
cpc="$PWD/target/release/cpc"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

cat > "$work/mix.lua" <<'LUA'
-- Three kinds of request, in turn: a token issue, a status callback with a JSON body, and a
-- request no stub matches.
local n = 0
request = function()
  n = n + 1
  local kind = n % 3
  if kind == 0 then
    return wrk.format("GET", "/ws/auth/validate?ConsumerSecret=csg-agency-secret&AgentID=CSG",
      {["Consumer-Key"] = "csg-agency-key"})
  elseif kind == 1 then
    return wrk.format("POST", "/api/v1/applications/CSG-2569-" .. n .. "/status",
      {["Consumer-Key"] = "csg-agency-key", ["Content-Type"] = "application/json"},
      '{"status":"received","remark_th":"รับคำขอแล้ว","padding":"' .. string.rep("x", 512) .. '"}')
  else
    return wrk.format("GET", "/nowhere/" .. n)
  end
end
LUA

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

sample() {  # PID FILE: RSS in KiB, once a second, while the process lives
  while kill -0 "$1" 2>/dev/null; do rss_kb "$1" >> "$2" 2>/dev/null || true; sleep 1; done
}

start_mock() {  # PORT EXTRA-SHELL-PREFIX
  bash -c "$2 exec \"$cpc\" mock --addr 127.0.0.1:$1 --quiet --suite suites/csg" \
    >"$work/mock.out" 2>"$work/mock.err" &
  echo $!
}

alive() {  # PORT: the listener and the admin API answer
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$1/__admin/requests?limit=1"
}

echo "== ${seconds}s of load at full speed =="
port=18191
pid=$(start_mock $port "")
sleep 0.5
echo "RSS at start: $(rss_kb "$pid") KiB"
sample "$pid" "$work/rss" &
wrk -t2 -c64 -d"${seconds}s" -s "$work/mix.lua" "http://127.0.0.1:$port" | tee "$work/wrk"
sleep 2
echo "admin API after the load: HTTP $(alive $port)"
awk '{rss[NR]=$1} END {printf "RSS every 10 s (KiB):"; for (i = 1; i <= NR; i += 10) printf " %d", rss[i]; printf "\n"}' "$work/rss"
sort -n "$work/rss" | awk 'NR==1 {min=$1} {max=$1} END {printf "RSS while loaded: min %d KiB, max %d KiB\n", min, max}'
echo "RSS at the end: $(rss_kb "$pid") KiB"
grep -c panicked "$work/mock.err" | sed 's/^/panics: /' || true
kill "$pid"; wait "$pid" 2>/dev/null || true

echo
echo "== 512 connections against a limit of 128 file descriptors =="
port=18192
pid=$(start_mock $port "ulimit -n 128;")
sleep 0.5
wrk -t2 -c512 -d10s -s "$work/mix.lua" "http://127.0.0.1:$port" | grep -E "requests in|Requests/sec|Socket errors" || true
sleep 2
echo "after the load: HTTP $(alive $port) (listener and admin API)"
echo "accept errors said on stderr: $(grep -c 'cannot accept' "$work/mock.err" || true) line(s), e.g.:"
grep -m1 'cannot accept' "$work/mock.err" || true
grep -c panicked "$work/mock.err" | sed 's/^/panics: /' || true
kill "$pid"; wait "$pid" 2>/dev/null || true
