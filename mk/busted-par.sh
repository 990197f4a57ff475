#!/usr/bin/env bash
# mk/busted-par.sh JOBS 'CMD': run every spec file of spec/ as its own
# `CMD file` (CMD: a busted command line, as one shell string: environment
# assignments included, so that they reach busted and not this script),
# JOBS at a time, the slowest first;
# print each file's output (failures in full), then one summary line in
# busted's format, summed over the files ("N successes / N failures / N
# errors / N pending"), and exit non-zero when any file failed or did not
# report. Used by `make test-asan JOBS=2` (CI): the sanitizer suite is the
# longest step, and its spec files are independent (temporary files only).
set -u
jobs=$1
export BPAR_CMD=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# the slowest under ASan first (measured), then the rest in name order, so
# that the queue ends with short files and the workers finish together
slow="watch binding_matrix readme faults browser parallel reports input_errors
      format_long format index cli recommend recommend_wiring topk recommend_watch"
{
  for s in $slow; do [ -f "spec/${s}_spec.lua" ] && echo "spec/${s}_spec.lua"; done
  for f in spec/*_spec.lua; do
    b=$(basename "$f" _spec.lua)
    case " $(echo $slow) " in *" $b "*) ;; *) echo "$f" ;; esac
  done
} > "$out/queue"

export BPAR_OUT=$out
# shellcheck disable=SC2016
xargs -P "$jobs" -n 1 sh -c '
  log="$BPAR_OUT/$(basename "$1").log"
  sh -c "$BPAR_CMD \"\$0\"" "$1" > "$log" 2>&1
  echo $? > "$log.rc"
' sh < "$out/queue"

s=0 f=0 e=0 p=0 bad=0
while read -r spec; do
  log="$out/$(basename "$spec").log"
  rc=$(cat "$log.rc" 2>/dev/null || echo 1)
  line=$(grep -E '^[0-9]+ success(es)? / [0-9]+ failures? / [0-9]+ errors? / [0-9]+ pending' "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "=== $spec: no busted summary (exit $rc)"
    cat "$log"
    e=$((e + 1)); bad=1
    continue
  fi
  set -- $line
  s=$((s + $1)); f=$((f + $4)); e=$((e + $7)); p=$((p + ${10}))
  if [ "$rc" -ne 0 ] || [ "$4" -ne 0 ] || [ "$7" -ne 0 ]; then
    echo "=== $spec: failed (exit $rc)"
    cat "$log"
    bad=1
  else
    echo "=== $spec: $line"
  fi
done < "$out/queue"
echo "$s successes / $f failures / $e errors / $p pending : $jobs jobs"
[ "$bad" -eq 0 ]
