#!/usr/bin/env bash
# Trains (or, run again, resumes) the dense-window baseline of the code model, the paper's Table 2 comparison at
# our scale: the same model (byte tokenizer, E=256, 4 heads, 4 layers, FFN 1024, tied embeddings, xPos) with one
# dense branch, w = 2048, r = 1, on the same tokens (same data, seed, held-out packages, steps and schedule as
# ../train.sh). The run directory dense-baseline/run holds the newest checkpoint, train.jsonl and, at the end, the
# BF16 model in run/model that `longnet eval` compares with the code model. The finished run is committed without
# its checkpoint (as the code model's): run again here, it starts over.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
src="${JDK_SRC_ZIP:-/usr/lib/jvm/java-17-openjdk-amd64/lib/src.zip}"
"$root/longnet" train --data "$src" --out "$here/run" --config "$here/config.json" --dtype bf16 \
  --seed 1 --steps 800 --batch 2 --chunk 8192 --accumulate 1 \
  --lr 1e-3 --min-lr 1e-4 --warmup 50 --weight-decay 0.1 --clip 1.0 \
  --checkpoint-every 10 --eval-every 50 --eval-tokens 8192 --eval-packages 4 \
  --held-out java.util.concurrent,java.time --threads 2 --log-seconds 30 "$@"
