# PIPNet-ResNet-18 on 300w (reference recipe; ImageNet weights from torchvision when
# online or cached, else random init with a warning: see _base_/pipnet_runtime.py).
_base_ = ['./_base_/datasets/300w.py']

model = dict(
    backbone=dict(type='ResNet', depth=18,
                  init_cfg=dict(type='Pretrained',
                                checkpoint='pipnet-imagenet://resnet18')),
    head=dict(in_channels=512))
