# PIPNet-ResNet-101 on 300w (reference recipe; ImageNet weights from torchvision when
# online or cached, else random init with a warning: see _base_/pipnet_runtime.py).
_base_ = ['./_base_/datasets/300w.py']

model = dict(
    backbone=dict(type='ResNet', depth=101,
                  init_cfg=dict(type='Pretrained',
                                checkpoint='pipnet-imagenet://resnet101')),
    head=dict(in_channels=2048))
