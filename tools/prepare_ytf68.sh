#!/usr/bin/env bash
# Lay out ytf68 for configs/pipnet/ytf68_mbv2.py: data/ytf68 -> the folder holding
# train.csv, val.csv and images/ (a symlink; default ../shared/data/ytf68), and the csv files
# converted to COCO-style json in data/ytf68_coco/. Idempotent.
#   bash tools/prepare_ytf68.sh [YTF68_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(realpath "${1:-../shared/data/ytf68}")
for f in train.csv val.csv images; do
  [ -e "$SRC/$f" ] || { echo "prepare_ytf68: $SRC/$f not found (expected the ytf68 folder)" >&2; exit 1; }
done
mkdir -p data
ln -sfn "$SRC" data/ytf68
for split in train val; do
  out=data/ytf68_coco/ytf68_$split.json
  if [ ! -s "$out" ] || [ "$out" -ot "$SRC/$split.csv" ]; then
    .venv/bin/python tools/dataset_converters/landmark_csv_to_coco.py "data/ytf68/$split.csv" \
      --image-root data/ytf68/images --out "$out"
  fi
done
echo "[prepare_ytf68] data/ytf68 -> $SRC; annotations in data/ytf68_coco/"
