# PIPNet-ResNet-101 on 300w (reference recipe; ImageNet weights from torchvision when
# online or cached, else random init with a warning: mmpose_pipnet/models/
# imagenet_weights.py; then add weight_decay=5e-4 as the reference does from scratch).
_base_ = ['./_base_/datasets/300w.py']

model = dict(
    backbone=dict(type='ResNet', depth=101,
                  init_cfg=dict(type='Pretrained',
                                checkpoint='pipnet-imagenet://resnet101')),
    head=dict(in_channels=2048))
