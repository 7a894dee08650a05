#!/usr/bin/env bash
# Rebuilds the starter models from scratch: training data from Debian's offline text and gazetteers, silver
# sentiment labels from vader-sentiment (npm), fine-tuning of MiniLM-L6's top layers and new heads, held-out
# evaluation, the float16 weights and model cards in models/starter/, the bundles in models/build/, and the
# demo output on hand-written sentences. See models/README.md ("The starter models").
#
# Usage: models/tools/train_starter_models.sh [--install-deps] [--limit N] [--epochs N]
#   --install-deps  apt-get install what is missing (python3-torch python3-onnx python3-numpy
#                   libopenblas0-pthread fortunes wordnet-base iso-codes nodejs npm)
#   --limit N       train on the first N examples only: a smoke run, which overwrites models/starter/ like a
#                   full run (`git checkout models/starter` restores the committed models)
#   --epochs N      passed to train.py (default there: 3)
#
# Takes about 25 minutes on 2 cores (both models train at once, one thread each). Deterministic (two runs
# gave byte-identical sentiment weights): same data, same seeds, same thread count.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="$repo/models/build"
data="$build/starter-data"
PY=/usr/bin/python3
tasks=(ner sentiment)
install_deps=0
train_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --install-deps) install_deps=1 ;;
        --limit|--epochs) [ $# -ge 2 ] || { echo "error: $1 needs a value" >&2; exit 64; }; train_args+=("$1" "$2"); shift ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "error: unknown argument $1 (see --help)" >&2; exit 64 ;;
    esac
    shift
done
start=$(date +%s)
step() { printf '[%4ds] %s\n' "$(( $(date +%s) - start ))" "$*"; }

packages=(python3-torch python3-onnx python3-numpy libopenblas0-pthread fortunes wordnet-base iso-codes)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$install_deps" = 1 ]; then
        step "installing ${missing[*]}"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
        echo "error: missing Debian packages: ${missing[*]}" >&2
        echo "install them with: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
        echo "or rerun with --install-deps" >&2
        exit 2
    fi
fi

step "fetching the MiniLM-L6 encoder"
"$here/build_minilm_bundles.sh" --source-only "$build"
src="$build/.source"

step "making the training and test data in $data"
"$PY" "$here/starter/make_data.py" --out "$data"

step "training both models (one thread each; logs: $data/train-*.log)"
pids=()
for task in "${tasks[@]}"; do
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$PY" "$here/starter/train.py" --task "$task" --data "$data" \
        --onnx "$src/all-minilm-l6-v2.onnx" --tokenizer "$src/all-minilm-l6-v2-tokenizer.json" \
        --out "$repo/models/starter/$task" ${train_args[@]+"${train_args[@]}"} >"$data/train-$task.log" 2>&1 &
    pids+=($!)
done
# progress: the last line of each log every 30 s
while kill -0 "${pids[@]}" 2>/dev/null; do
    sleep 30
    for task in "${tasks[@]}"; do step "  $task: $(tail -n 1 "$data/train-$task.log")"; done
done
for i in "${!tasks[@]}"; do
    wait "${pids[$i]}" || { echo "error: training failed, see $data/train-${tasks[$i]}.log" >&2; exit 1; }
done
cp "$data/data-stats.json" "$repo/models/starter/data-stats.json"
for task in "${tasks[@]}"; do
    cp "$data/$task-test.jsonl" "$repo/models/starter/$task/test.jsonl"
done

step "assembling the bundles"
"$here/build_minilm_bundles.sh" "$build"

jar="$repo/streams-app/target/enricher.jar"
if [ ! -f "$jar" ]; then
    step "building the service jar for the demo output"
    (cd "$repo" && mvn -B -q -ntp package -DskipTests -Dbundles.skip=true)
fi
step "running the hand-written sentences through the service (predict)"
hand="$repo/models/starter/hand-sentences.jsonl"
java -jar "$jar" predict --model "$build/starter-ner" --aggregation simple --input "$hand" >"$data/hand-ner.jsonl"
java -jar "$jar" predict --model "$build/starter-sentiment" --input "$hand" >"$data/hand-sentiment.jsonl"

step "writing the model cards"
for task in "${tasks[@]}"; do
    "$PY" "$here/starter/write_card.py" --starter "$repo/models/starter/$task" \
        --stats "$repo/models/starter/data-stats.json" --hand "$hand" --predictions "$data/hand-$task.jsonl" \
        --bundle "$build/starter-$task" --seconds "$(( $(date +%s) - start ))"
    cp "$repo/models/starter/$task/MODEL_CARD.md" "$build/starter-$task/README.md"
done
step "done: models/starter/{ner,sentiment} (commit these), models/build/starter-{ner,sentiment} (built)"
