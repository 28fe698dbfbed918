#!/usr/bin/env bash
# Peak RSS of `cpc run` for one large JSON answer, as a ratio of the answer's size (issue 23):
# memory per answer is bounded by the body cap, not a multiple of it. Two cases of
# tests/suites/mini each get the same answer; the JSON is parsed once per answer, and one
# holding more than 2,000,000 values is refused before it is parsed.
#   benches/big-answer.sh            (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
work=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
port=18777
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
objects = [{"id": i, "name": "สิ่งของ %d" % i, "status": "ok", "tags": ["a", "b", "c"], "n": i * 1.5}
           for i in range(70000)]
shapes = {
    "small": {"status": "ok", "citizen_id": "1101401234566"},
    "objects": {"status": "ok", "citizen_id": "1101401234566", "items": objects},
    "numbers-1.9M": {"status": "ok", "citizen_id": "1101401234566", "items": [12345] * 1_900_000},
    "numbers-4.9M": {"status": "ok", "citizen_id": "1101401234566", "items": [1] * 4_900_000},
}
for name, value in shapes.items():
    open(f"{work}/{name}.json", "w").write(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
PY
cat > "$work/serve.py" <<'PY'
import http.server, sys
path = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = open(open(path + "/current").read().strip(), "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), H).serve_forever()
PY
python3 "$work/serve.py" "$work" "$port" & server=$!
sleep 1
printf '| answer | size | peak RSS | RSS / size |\n|---|---|---|---|\n'
for name in small objects numbers-1.9M numbers-4.9M; do
  echo "$work/$name.json" > "$work/current"
  size=$(stat -c %s "$work/$name.json")
  rss=$( { /usr/bin/time -f %M target/release/cpc run tests/suites/mini \
      --target "http://127.0.0.1:$port" --out "$work/out" >/dev/null 2>"$work/err"; } ; tail -1 "$work/err")
  awk -v n="$name" -v s="$size" -v r="$rss" 'BEGIN {
    printf "| %s | %.1f MB | %.0f MiB | %.1f× |\n", n, s / 1e6, r / 1024, (r * 1024) / s }'
done
