#!/bin/bash
# A re-run after a one-word transcript fix, against a cold run (issue: at most 5% of it).
# A cold run fills a cache; then, for each LINE, " the " -> " a " in that line of a copy of the transcript and a
# run from a copy of that cache. Whole processes, .pyc files written as a pip install writes them.
# usage: bash bench/fix_rerun.sh EPISODE_DIR [ROUNDS] [LINE ...]     (e.g. /work/episodes/seed-full 2 50 90 120)
#        MODE=default bash bench/fix_rerun.sh ...    the default mode instead of --fast
set -e
episode=$1; rounds=${2:-2}; shift 2 || true
lines=("${@:-120}")
if [ "${MODE:-fast}" = default ]; then args=(); else args=(--fast); fi
unset PYTHONDONTWRITEBYTECODE
audio=$(ls "$episode"/episode.* | head -1); transcript=$episode/transcript.txt
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
seconds() { local start end; start=$(date +%s.%N); "$@"; end=$(date +%s.%N); echo "$end - $start" | bc; }
total=0
for i in $(seq "$rounds"); do
  rm -rf "$work/cold" "$work/cold.json"
  t=$(ALIGN_CACHE_DIR=$work/cold seconds python -m align.cli "$audio" "$transcript" "${args[@]}" -o "$work/cold.json" -q)
  echo "cold run $i: $t s"; total=$(echo "$total + $t" | bc)
done
cold=$(echo "scale=3; $total / $rounds" | bc)
for line in "${lines[@]}"; do
  cp "$transcript" "$work/fixed.txt"; sed -i "${line}s/ the / a /" "$work/fixed.txt"
  if cmp -s "$transcript" "$work/fixed.txt"; then echo "line $line: no ' the ' to change"; continue; fi
  rm -rf "$work/fix" "$work/fix.json"; cp -r "$work/cold" "$work/fix"
  t=$(ALIGN_CACHE_DIR=$work/fix seconds python -m align.cli "$audio" "$work/fixed.txt" "${args[@]}" -o "$work/fix.json" -q)
  echo "fix in line $line: $t s, $(echo "scale=1; 100 * $t / $cold" | bc)% of the cold runs' mean $cold s"
done
