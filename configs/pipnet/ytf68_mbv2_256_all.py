# Candidate default: the 256 px person-disjoint recipe (ytf68_mbv2_person_256.py) finished on
# ALL labelled faces (train.csv + val.csv, 3559; data/ytf68_coco/ytf68_all.json made by
# tools/prepare_ytf68.sh): its epoch-16 weights, 4 epochs at LR 1e-5 then 1e-6, the same
# finish as ytf68_mbv2_person_256_ft.py (whose held-out figure stands for this recipe).
# val.csv is inside the training data here: its figure is for seen faces only.
_base_ = ['./ytf68_mbv2_person_256_ft.py']
train_dataloader = dict(dataset=dict(ann_file='ytf68_coco/ytf68_all.json'))
val_dataloader = dict(dataset=dict(ann_file='ytf68_coco/ytf68_val.json'))
test_dataloader = val_dataloader
train_cfg = dict(val_interval=4)
