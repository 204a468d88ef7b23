# Stage 1 of the default model (README.md in this folder): 28 epochs from ImageNet weights
# on the person-disjoint training part of ytf68 (2809 faces of 278 people), with the
# horizontal flip, validated on the 70 held-out people (750 faces).
#   python tools/train.py configs/pipnet/ytf68_recipe/stage1_person.py
# DEVIATION from the paper's recipe (60 epochs, x0.1 at 30 and 50, 256 px input): 28 epochs,
# x0.1 at 20 and 25, 192 px, to fit one background run on a 2-core CPU (80 min).
_base_ = ['../_base_/ytf68_mbv2.py']

max_epochs = 28
train_cfg = dict(max_epochs=max_epochs, val_interval=2)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[20, 25],
         gamma=0.1)
]
train_pipeline = {{_base_.train_pipeline_flip}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
