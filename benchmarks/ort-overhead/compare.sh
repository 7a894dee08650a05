#!/usr/bin/env bash
# Issue 12 (docs/ort-overhead.md): the same model and batches through ONNX Runtime from Java (the jar's 1.29
# native library and, if NATIVE130 is set, the 1.30 one) and from Python 1.30, run alternately ROUNDS times,
# each run of a contestant in a fresh process. From the repository root, after `mvn package`:
#
#   PY=/tmp/ortvenv/bin/python NATIVE130=/tmp/ortnative130 benchmarks/ort-overhead/compare.sh \
#       models/build/minilm-ner-random /tmp/ortwork/ner > compare.log
#
# Every contestant's run is serialized through LOCK (a shared machine: nothing else times or builds meanwhile).
# CONTESTANTS picks and orders them (default: all); EXTRA adds options to every run (e.g. "--opt basic").
set -euo pipefail
bundle=${1:?bundle folder}
inputs=${2:?folder written by OrtOverhead dump}
PY=${PY:-python3}
ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-5}
LOCK=${LOCK:-/tmp/enricher-mvn.lock}
EXTRA=${EXTRA:-}
CONTESTANTS=${CONTESTANTS:-"java129 service129 python130${NATIVE130:+ java130}"}
cp="benchmarks/target/benchmarks.jar"
common="--runs $RUNS --warmup $WARMUP $EXTRA"

for round in $(seq 1 "$ROUNDS"); do
    for c in $CONTESTANTS; do
        case "$c" in
            java129) cmd=(java -cp "$cp" dev.enricher.benchmarks.OrtOverhead run "$bundle" "$inputs" --mode direct) ;;
            service129) cmd=(java -cp "$cp" dev.enricher.benchmarks.OrtOverhead run "$bundle" "$inputs" --mode service) ;;
            array129) cmd=(java -cp "$cp" dev.enricher.benchmarks.OrtOverhead run "$bundle" "$inputs" --mode array) ;;
            runonly129) cmd=(java -cp "$cp" dev.enricher.benchmarks.OrtOverhead run "$bundle" "$inputs" --mode runonly) ;;
            java130) cmd=(java "-Donnxruntime.native.path=$NATIVE130" -cp "$cp" dev.enricher.benchmarks.OrtOverhead
                          run "$bundle" "$inputs" --mode direct) ;;
            python130) cmd=("$PY" benchmarks/ort-overhead/ort_overhead.py "$bundle/model.onnx" "$inputs") ;;
            *) echo "unknown contestant $c" >&2; exit 2 ;;
        esac
        # shellcheck disable=SC2086
        flock "$LOCK" "${cmd[@]}" $common 2>/dev/null | grep -E '^(java|python) ' | sed "s/^/round=$round contestant=$c /"
    done
done
