#!/usr/bin/env bash
# Profiling aid (not a scenario): runs COMMAND with the slow query log of a bench server at
# long_query_time=0 and prints the server time of each statement, largest first.
#   bench/profile/statement-times.sh PORT 'command'     e.g. 3308 'node --conditions=rowback-source bench/lib/s4-diff.ts'
set -uo pipefail
port=${1:?port}; cmd=${2:?command}
M="mysql --no-defaults -uroot -h127.0.0.1 -P$port"
log=$(mktemp /tmp/rowback-statements.XXXXXX)
$M -e "SET GLOBAL slow_query_log_file='$log', long_query_time=0, slow_query_log=1"
bash -c "$cmd"
$M -e "SET GLOBAL slow_query_log=0, long_query_time=10"
python3 - "$log" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
rows = []
for entry in re.split(r"\n(?=# Time:|# User@Host)", text):
    m = re.search(r"# Query_time: ([\d.]+)\s+Lock_time: [\d.]+\s+Rows_sent: (\d+)\s+Rows_examined: (\d+)", entry)
    if not m:
        continue
    body = [l for l in entry[m.end():].split("\n") if not l.startswith(("#", "SET timestamp", "use "))]
    rows.append((float(m.group(1)), m.group(2), m.group(3), " ".join(" ".join(body).split())[:220]))
print(f"{len(rows)} statements, {sum(r[0] for r in rows):.2f} s server time")
for secs, sent, examined, sql in sorted(rows, key=lambda r: -r[0])[:int(__import__("os").environ.get("TOP","15"))]:
    print(f"{secs:8.3f} s  sent={sent} examined={examined}  {sql}")
PY
rm -f "$log"
