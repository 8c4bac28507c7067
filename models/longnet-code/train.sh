#!/usr/bin/env bash
# Trains (or, run again, resumes) the shipped code model: byte tokenizer, E=256, 4 heads, 4 layers, FFN 1024, tied
# embeddings, xPos, dilated attention w = 1024 / 8192 / 131072 with r = 1 / 8 / 64, on the JDK's own source
# (Debian's openjdk-17-source: apt-get install openjdk-17-source), java.util.concurrent and java.time held out.
# The run directory models/longnet-code/run holds the newest checkpoint and train.jsonl; the same command
# continues it from there (same --batch and --threads give the same losses as a run never stopped). At the end the
# BF16 model (config.json, model.safetensors, training.json) is copied next to this script, where demo finds it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
src="${JDK_SRC_ZIP:-/usr/lib/jvm/java-17-openjdk-amd64/lib/src.zip}"
"$root/longnet" train --data "$src" --out "$here/run" --config "$here/config.json" --dtype bf16 \
  --seed 1 --steps 800 --batch 2 --chunk 8192 --accumulate 1 \
  --lr 1e-3 --min-lr 1e-4 --warmup 50 --weight-decay 0.1 --clip 1.0 \
  --checkpoint-every 10 --eval-every 50 --eval-tokens 8192 --eval-packages 4 \
  --held-out java.util.concurrent,java.time --threads 2 --log-seconds 30 "$@"
cp "$here/run/model/config.json" "$here/run/model/model.safetensors" "$here/run/model/training.json" "$here/"
