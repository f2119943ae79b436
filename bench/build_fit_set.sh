#!/usr/bin/env bash
# Build the episodes the confidence model is fitted on (bench/fit_confidence.py): the kinds of the public set
# (../shared/bench/build_public_set.sh), made with other seeds and, where the seed interview allows, other turns
# of it, so that the public episodes stay unseen by the fit. Deterministic.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kit="$here/../../shared/bench"
data="$here/../../shared/data"
out=${1:-fit-episodes}
py=${PYTHON:-python3}
mkdir -p "$out"
seed="$data/seed/000_9748770ca981dd1d.txt"
# page text around the later turns, fillers, a cut paragraph, an ad read, music
$py "$kit/make_episode.py" <(sed -n '1,25p;144,288p' "$seed") "$out/fit-page" --seed 11 --music --mp3 \
    --trailer-from "Click to comment" --cut-paras 1 --extra-speech 1
# noise at 10 dB SNR and music, edits
$py "$kit/make_episode.py" <(sed -n '172,288p' "$seed") "$out/fit-noisy" --seed 12 --max-turns 4 --music --snr 10 \
    --mp3 --fillers 0.05 --repeats 0.03 --cut-paras 1 --extra-speech 1
# paragraphs said but cut from the text, echoing the paragraph before; one cut from the audio
$py "$kit/make_episode.py" <(sed -n '144,288p' "$seed") "$out/fit-recut" --seed 13 --max-turns 4 --mp3 \
    --text-cut-paras 2 --echo 3 --cut-paras 1 --extra-speech 0
# the same kind on the first turns, other voices and cuts
$py "$kit/make_episode.py" <(sed -n '/^BENJAMIN NORTON: Hello everyone/,$p' "$seed") "$out/fit-recut-2" --seed 15 \
    --max-turns 4 --mp3 --text-cut-paras 2 --echo 2 --cut-paras 1 --extra-speech 1
# said as written, with fillers
$py "$kit/make_episode.py" <(sed -n '210,288p' "$seed") "$out/fit-plain" --seed 14 --max-turns 4 --repeats 0.02
# real speech, fillers dropped from the text, notes; and as a producer's edit
$py "$kit/make_real_episode.py" "$data/realspeech/spec.json" "$out/fit-real" --drop-fillers --notes --seed 7
$py "$kit/make_real_episode.py" "$data/realspeech/spec.json" "$out/fit-real-edited" --drop-fillers --notes --page \
    --unspoken 1 --unscripted 1 --seed 8
# the same kinds again with further seeds and other turns: not fitted on, they check the model and the rules
# (bench/README.md), as the public episodes do
$py "$kit/make_episode.py" <(sed -n '1,25p;172,288p' "$seed") "$out/fit-page-3" --seed 21 --music --mp3 \
    --trailer-from "Click to comment" --cut-paras 1 --extra-speech 1
$py "$kit/make_episode.py" <(sed -n '144,230p' "$seed") "$out/fit-noisy-3" --seed 22 --max-turns 4 --music --snr 10 \
    --mp3 --fillers 0.05 --repeats 0.03 --cut-paras 1 --extra-speech 1
$py "$kit/make_episode.py" <(sed -n '172,288p' "$seed") "$out/fit-recut-4" --seed 23 --max-turns 4 --mp3 \
    --text-cut-paras 2 --echo 3 --cut-paras 1 --extra-speech 1
$py "$kit/make_episode.py" <(sed -n '144,230p' "$seed") "$out/fit-plain-3" --seed 24 --max-turns 4 --repeats 0.02
$py "$kit/make_real_episode.py" "$data/realspeech/spec.json" "$out/fit-real-3" --drop-fillers --notes --seed 27
$py "$kit/make_real_episode.py" "$data/realspeech/spec.json" "$out/fit-real-edited-3" --drop-fillers --notes --page \
    --unspoken 1 --unscripted 1 --seed 28
# more episodes to fit on, the same kinds with further seeds (a fit on the first seven alone saw 74 words over 250 ms)
$py "$kit/make_episode.py" <(sed -n '1,25p;200,288p' "$seed") "$out/fit-page-5" --seed 31 --music --mp3 \
    --trailer-from "Click to comment" --cut-paras 1 --extra-speech 1
$py "$kit/make_episode.py" <(sed -n '210,288p' "$seed") "$out/fit-noisy-5" --seed 32 --max-turns 4 --music --snr 10 \
    --mp3 --fillers 0.05 --repeats 0.03 --cut-paras 1 --extra-speech 1
$py "$kit/make_episode.py" <(sed -n '144,230p' "$seed") "$out/fit-recut-5" --seed 33 --max-turns 4 --mp3 \
    --text-cut-paras 2 --echo 3 --cut-paras 1 --extra-speech 0
$py "$kit/make_episode.py" <(sed -n '/^BENJAMIN NORTON: Hello everyone/,$p' "$seed") "$out/fit-recut-6" --seed 35 \
    --max-turns 4 --mp3 --text-cut-paras 2 --echo 2 --cut-paras 1 --extra-speech 1
$py "$kit/make_episode.py" <(sed -n '172,288p' "$seed") "$out/fit-plain-5" --seed 34 --max-turns 4 --repeats 0.02
$py "$kit/make_episode.py" "$seed" "$out/fit-full-5" --seed 36 --music --mp3 --trailer-from "Click to comment" \
    --cut-paras 1 --extra-speech 1
$py "$kit/make_real_episode.py" "$data/realspeech/spec.json" "$out/fit-real-5" --drop-fillers --notes --seed 37
$py "$kit/make_real_episode.py" "$data/realspeech/spec.json" "$out/fit-real-edited-5" --drop-fillers --notes --page \
    --unspoken 1 --unscripted 1 --seed 38
# a third set of the same kinds, seeds 41-49, never fitted on (fitted on with the fifteen, the model checked on the
# twelve lost: 0.413 -> 0.378 average precision): more unseen episodes for the list and the rules (bench/README.md)
$py "$kit/make_episode.py" <(sed -n '1,25p;144,200p;250,288p' "$seed") "$out/fit-page-7" --seed 41 --music --mp3 \
    --trailer-from "Click to comment" --cut-paras 1 --extra-speech 1
$py "$kit/make_episode.py" <(sed -n '144,288p' "$seed") "$out/fit-noisy-7" --seed 42 --max-turns 4 --music --snr 10 \
    --mp3 --fillers 0.05 --repeats 0.03 --cut-paras 1 --extra-speech 1
$py "$kit/make_episode.py" <(sed -n '/^BENJAMIN NORTON: Hello everyone/,$p' "$seed") "$out/fit-noisy-8" --seed 49 \
    --max-turns 4 --music --snr 10 --mp3 --fillers 0.05 --repeats 0.03 --cut-paras 1 --extra-speech 1
$py "$kit/make_episode.py" <(sed -n '172,288p' "$seed") "$out/fit-recut-7" --seed 43 --max-turns 4 --mp3 \
    --text-cut-paras 2 --echo 3 --cut-paras 1 --extra-speech 0
$py "$kit/make_episode.py" <(sed -n '144,288p' "$seed") "$out/fit-recut-8" --seed 45 --max-turns 4 --mp3 \
    --text-cut-paras 2 --echo 2 --cut-paras 1 --extra-speech 1
$py "$kit/make_episode.py" <(sed -n '144,230p' "$seed") "$out/fit-plain-7" --seed 44 --max-turns 4 --repeats 0.02
$py "$kit/make_real_episode.py" "$data/realspeech/spec.json" "$out/fit-real-7" --drop-fillers --notes --seed 47
$py "$kit/make_real_episode.py" "$data/realspeech/spec.json" "$out/fit-real-edited-7" --drop-fillers --notes --page \
    --unspoken 1 --unscripted 1 --seed 48
echo "episodes in $out: $(ls "$out" | tr '\n' ' ')"
