#!/bin/bash
# Wall time of `align --fast` (cold cache) and of stable-ts align() (../shared/bench/peer_stable_ts.py, same
# tiny.en), whole processes, interleaved A B A B on one episode.
# usage: bash bench/against_stable_ts.sh EPISODE_DIR STABLE_TS_PYTHON [ROUNDS]   (e.g. /work/episodes/seed-full /work/sts/bin/python)
#        MODE=default bash bench/against_stable_ts.sh ...   times the default mode instead of --fast
set -e
episode=$1; sts=$2; rounds=${3:-2}
if [ "${MODE:-fast}" = default ]; then args=(); label=align; else args=(--fast); label="align --fast"; fi
here=$(cd "$(dirname "$0")/.." && pwd)
audio=$(ls "$episode"/episode.* | head -1); transcript=$episode/transcript.txt
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for i in $(seq "$rounds"); do
  rm -rf "$work/cache" "$work/align.json"
  start=$(date +%s.%N)
  ALIGN_CACHE_DIR=$work/cache python -m align.cli "$audio" "$transcript" "${args[@]}" -o "$work/align.json" -q
  end=$(date +%s.%N); a=$(echo "$end - $start" | bc)
  start=$(date +%s.%N)
  "$sts" "$here/../shared/bench/peer_stable_ts.py" "$audio" "$transcript" "$work/sts" > /dev/null 2>&1
  end=$(date +%s.%N); b=$(echo "$end - $start" | bc)
  echo "round $i: $label $a s, stable-ts $b s, ratio $(echo "scale=2; $a / $b" | bc)"
done
