#!/usr/bin/env bash
# Peak RSS of `cpc mock` while 24 clients read its full journal at once (issue 23): the
# journal holds about 60 MiB (60 bodies of 1 MB); each `GET /__admin/requests` answers a page of
# about 2 MiB, so readers at once cost pages, not journals.
#   bash benches/journal-readers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
work=$(mktemp -d)
port=18193
target/release/cpc mock --addr 127.0.0.1:$port --quiet --max-body-bytes 2000000 \
  --journal-bytes 67108864 >"$work/out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
sleep 0.5
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
hwm() { awk '/VmHWM/ {print $2}' "/proc/$pid/status"; }
python3 - "$port" <<'PY'
import sys, urllib.request, concurrent.futures
port = sys.argv[1]
body = b"y" * 1_000_000
for i in range(60):
    try:
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/fill/{i}", data=body), timeout=10)
    except Exception:
        pass  # 404: no stub; journalled all the same
PY
echo "RSS with the journal full: $(( $(rss) / 1024 )) MiB"
python3 - "$port" <<'PY'
import sys, urllib.request, concurrent.futures, json
port = sys.argv[1]
def read_all(_):
    since, total = 0, 0
    while True:
        page = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/__admin/requests?since={since}", timeout=60))
        total += len(page["requests"])
        if not page["cpc"]["more"]:
            return total
        since = page["cpc"]["nextSince"]
with concurrent.futures.ThreadPoolExecutor(24) as pool:
    counts = list(pool.map(read_all, range(24)))
print(f"24 readers, each read {counts[0]} entries page by page")
PY
echo "RSS after: $(( $(rss) / 1024 )) MiB, peak: $(( $(hwm) / 1024 )) MiB"
