# The DEFAULT model (alias pipnet-ytf68; weights checkpoints/pipnet_mbv2_ytf68.pth, shipped
# in the wheel): PIPNet-MobileNetV2, 192 px, 68 points in 300W order, trained on ytf68.
# Stage 4 of its recipe (ytf68_recipe/README.md): stage 3's weights continued 6 epochs on
# ALL labelled ytf68 faces (train.csv + val.csv, data/ytf68_coco/ytf68_all.json) with
# stage 3's turned-face mix (their 773 real faces with |yaw| > 25 degrees seen 4x, a third
# of their synthetic turned views) without the flip, at LR 1e-5, x0.1 after 4 (38 min
# on 2 CPU cores). Data: bash tools/prepare_ytf68.sh YTF68 SFM.
#   python tools/train.py configs/pipnet/ytf68_mbv2.py \
#       --cfg-options load_from=work_dirs/stage3_person_turned/epoch_6.pth
# val.csv is in its training data here; its figures on new people are stage 3's.
_base_ = ['./_base_/ytf68_mbv2.py']

max_epochs = 6
train_cfg = dict(max_epochs=max_epochs, val_interval=2)
optim_wrapper = dict(optimizer=dict(lr=1e-5))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[4],
         gamma=0.1)
]
faces = dict(type={{_base_.dataset_type}}, data_root={{_base_.data_root}},
             data_prefix=dict(img='ytf68/images/'), pipeline={{_base_.train_pipeline}})
renders = dict(type={{_base_.dataset_type}}, data_root={{_base_.data_root}},
               ann_file='ytf68_turned_all/every3.json',
               data_prefix=dict(img='ytf68_turned_all/images/'),
               pipeline={{_base_.train_pipeline}})
train_dataloader = dict(dataset=dict(_delete_=True, type='ConcatDataset', datasets=[
    dict(faces, ann_file='ytf68_coco/ytf68_all.json'),
    dict(type='RepeatDataset', times=3,
         dataset=dict(faces, ann_file='ytf68_coco/ytf68_all_yaw25.json')),
    renders]))
val_dataloader = dict(dataset=dict(ann_file='ytf68_coco/ytf68_val.json'))
test_dataloader = val_dataloader
