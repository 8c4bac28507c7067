#!/usr/bin/env bash
# Trains (or, run again, resumes) the code model: byte tokenizer, E=256, 4 heads, 4 layers, FFN 1024, tied
# embeddings, dilated attention w = 1024 / 8192 / 131072 with r = 1 / 8 / 64, on the JDK's own source
# (Debian's openjdk-17-source: apt-get install openjdk-17-source), java.util.concurrent and java.time held out.
# The run directory models/longnet-code/run holds the newest checkpoint and train.jsonl; the same command
# continues it from there (same --batch and --threads give the same losses as a run never stopped).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="${JDK_SRC_ZIP:-/usr/lib/jvm/java-17-openjdk-amd64/lib/src.zip}"
exec "$root/longnet" train --data "$src" --out "$root/models/longnet-code/run" \
  --config "$root/models/longnet-code/config.json" --seed 1 --steps 2000 --batch 2 --chunk 8192 --accumulate 1 \
  --lr 1e-3 --min-lr 1e-4 --warmup 50 --weight-decay 0.1 --clip 1.0 \
  --checkpoint-every 10 --eval-every 50 --eval-tokens 8192 --eval-packages 4 \
  --held-out java.util.concurrent,java.time --threads 2 --log-seconds 30
