# The DEFAULT model (alias pipnet-ytf68; weights checkpoints/pipnet_mbv2_ytf68.pth, shipped
# in the wheel): PIPNet-MobileNetV2, 192 px, 68 points in 300W order, trained on ytf68.
# Stage 3 of its recipe (ytf68_recipe/README.md): stage 2's weights continued 6 epochs on
# ALL labelled ytf68 faces (train.csv + val.csv, data/ytf68_coco/ytf68_all.json) without
# the flip, at LR 1e-5, x0.1 after 4 (22 min on 2 CPU cores):
#   python tools/train.py configs/pipnet/ytf68_mbv2.py \
#       --cfg-options load_from=work_dirs/stage2_person_noflip/epoch_8.pth
# val.csv is in its training data here; its figures on new people are stage 2's.
_base_ = ['./_base_/ytf68_mbv2.py']

max_epochs = 6
train_cfg = dict(max_epochs=max_epochs, val_interval=2)
optim_wrapper = dict(optimizer=dict(lr=1e-5))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[4],
         gamma=0.1)
]
train_dataloader = dict(dataset=dict(ann_file='ytf68_coco/ytf68_all.json'))
val_dataloader = dict(dataset=dict(ann_file='ytf68_coco/ytf68_val.json'))
test_dataloader = val_dataloader
