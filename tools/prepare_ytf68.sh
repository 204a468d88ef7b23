#!/usr/bin/env bash
# Lay out ytf68 for the ytf68 configs (configs/pipnet/ytf68_*.py): data/ytf68 -> the folder
# holding train.csv, val.csv and images/ (a symlink to YTF68_DIR), and the
# csv files converted to COCO-style json in data/ytf68_coco/, plus a split BY PERSON of train.csv +
# val.csv (data/ytf68_person/{train,held_out}.csv -> ytf68_person_{train,held_out}.json:
# 2809 faces of 278 people / 750 faces of 70 others), data/ytf68_person/pool (links to the
# unlabelled frames of people not held out) and, for the STC experiment, 15% of the training
# part's people as the labelled set (data/ytf68_stc/labelled.csv -> ytf68_stc_labelled.json),
# and all labelled faces, train.csv + val.csv (data/ytf68_all/all.csv -> ytf68_all.json) for
# the shipped default model, the STC pool (below), and the real turned faces of the
# training part and of all faces (ytf68_{person_train,all}_yaw25.json). With SFM_DIR (the
# Surrey Face Model files of the eos project; needs eos-py, in requirements/tests.txt),
# also the synthetic turned faces (tools/dataset_converters/synthesize_turned_faces.py,
# deterministic):
# data/ytf68_turned_held_out (the held-out people at |yaw| 30, 45, 60: evaluation only),
# data/ytf68_turned_person_train and data/ytf68_turned_all (one view of each training face,
# |yaw| 25-65, pitch +-10; every3.json: a third of them, for the default recipe's stages
# 3 and 4, which need SFM_DIR).
# Idempotent.
#   bash tools/prepare_ytf68.sh YTF68_DIR [SFM_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || [ $# -eq 2 ] || { echo "usage: bash tools/prepare_ytf68.sh YTF68_DIR [SFM_DIR] (the folder with train.csv, val.csv, images/; the Surrey Face Model's)" >&2; exit 2; }
SRC=$(realpath "$1")
for f in train.csv val.csv images; do
  [ -e "$SRC/$f" ] || { echo "prepare_ytf68: $SRC/$f not found (expected the ytf68 folder)" >&2; exit 1; }
done
mkdir -p data
ln -sfn "$SRC" data/ytf68
PY=.venv/bin/python
if [ ! -s data/ytf68_person/held_out.csv ] || [ data/ytf68_person/held_out.csv -ot "$SRC/val.csv" ] \
    || [ data/ytf68_person/held_out.csv -ot "$SRC/train.csv" ] || [ ! -d data/ytf68_person/pool ]; then
  $PY tools/dataset_converters/split_by_person.py data/ytf68/train.csv data/ytf68/val.csv \
    --out-train data/ytf68_person/train.csv --out-held-out data/ytf68_person/held_out.csv \
    --pool data/ytf68/unlabeled --out-pool data/ytf68_person/pool
fi
if [ ! -s data/ytf68_stc/labelled.csv ] || [ data/ytf68_stc/labelled.csv -ot data/ytf68_person/train.csv ]; then
  $PY tools/dataset_converters/split_by_person.py data/ytf68_person/train.csv \
    --held-out-fraction 0.85 --out-train data/ytf68_stc/labelled.csv \
    --out-held-out data/ytf68_stc/not_labelled.csv
fi
if [ ! -s data/ytf68_all/all.csv ] || [ data/ytf68_all/all.csv -ot "$SRC/train.csv" ] \
    || [ data/ytf68_all/all.csv -ot "$SRC/val.csv" ]; then
  cmp -s <(head -1 data/ytf68/train.csv) <(head -1 data/ytf68/val.csv) \
    || { echo "prepare_ytf68: train.csv and val.csv headers differ" >&2; exit 1; }
  mkdir -p data/ytf68_all
  { cat data/ytf68/train.csv; tail -n +2 data/ytf68/val.csv; } > data/ytf68_all/all.csv
fi
# The semi-supervised pool: the 85% of the training part's people whose labels STC does not
# see (their images, as train/ and test/ links) plus the unlabelled frames of people not held
# out (unlabeled/); ytf68_stc_not_labelled.json holds the hidden labels, with file names
# relative to the pool, for STCTrainLoop's pool_ann_file (how right the pseudo-labels are).
if [ ! -d data/ytf68_stc/pool ] || [ data/ytf68_stc/pool -ot data/ytf68_stc/not_labelled.csv ]; then
  rm -rf data/ytf68_stc/pool
  mkdir -p data/ytf68_stc/pool/unlabeled
  tail -n +2 data/ytf68_stc/not_labelled.csv | cut -d, -f1 | while read -r name; do
    mkdir -p "data/ytf68_stc/pool/$(dirname "$name")"
    ln -s "$SRC/images/$name" "data/ytf68_stc/pool/$name"
  done
  for frame in data/ytf68_person/pool/*; do
    ln -s "$(realpath "$frame")" data/ytf68_stc/pool/unlabeled/
  done
fi
for csv in data/ytf68/train.csv data/ytf68/val.csv data/ytf68_person/train.csv \
    data/ytf68_person/held_out.csv data/ytf68_stc/labelled.csv data/ytf68_stc/not_labelled.csv \
    data/ytf68_all/all.csv; do
  name=$(basename "$csv" .csv)
  [[ $csv == data/ytf68_person/* ]] && name=person_$name
  [[ $csv == data/ytf68_stc/* ]] && name=stc_$name
  [[ $csv == data/ytf68_all/* ]] && name=all
  out=data/ytf68_coco/ytf68_$name.json
  if [ ! -s "$out" ] || [ "$out" -ot "$csv" ]; then
    $PY tools/dataset_converters/landmark_csv_to_coco.py "$csv" \
      --image-root data/ytf68/images --out "$out"
  fi
done
# The real turned faces (|yaw| of the labels > 25 degrees) of the person-disjoint training
# part and of all labelled faces, seen 4x in the default recipe's stages 3 and 4.
for name in person_train all; do
  src=data/ytf68_coco/ytf68_$name.json out=data/ytf68_coco/ytf68_${name}_yaw25.json
  if [ ! -s "$out" ] || [ "$out" -ot "$src" ]; then
    $PY tools/dataset_converters/select_turned_faces.py "$src" "$out" --min-yaw 25
  fi
done
if [ $# -eq 2 ]; then
  SYN="$PY tools/dataset_converters/synthesize_turned_faces.py"
  SFM=$(realpath "$2")
  turned() {  # turned SOURCE_JSON OUT_DIR TOOL_ARGS...: remade when the source is newer
    local src=$1 out=$2; shift 2
    if [ ! -s "$out/$(basename "$src")" ] || [ "$out/$(basename "$src")" -ot "$src" ]; then
      rm -rf "$out"
      $SYN "$src" data/ytf68/images "$SFM" "$out" "$@"
    fi
  }
  turned data/ytf68_coco/ytf68_person_held_out.json data/ytf68_turned_held_out --yaws 30 45 60
  turned data/ytf68_coco/ytf68_person_train.json data/ytf68_turned_person_train \
    --views 1 --yaw-range 25 65 --pitch-range -10 10
  turned data/ytf68_coco/ytf68_all.json data/ytf68_turned_all \
    --views 1 --yaw-range 25 65 --pitch-range -10 10
  # A third of the training views (every third face's), the share the recipe's stages 3
  # and 4 mix in (configs/pipnet/ytf68_recipe/README.md).
  for name in person_train all; do
    src=data/ytf68_turned_$name/ytf68_$name.json out=data/ytf68_turned_$name/every3.json
    if [ ! -s "$out" ] || [ "$out" -ot "$src" ]; then
      $PY tools/dataset_converters/select_turned_faces.py "$src" "$out" --min-yaw 0 --every 3
    fi
  done
fi
echo "[prepare_ytf68] data/ytf68 -> $SRC; annotations in data/ytf68_coco/"
