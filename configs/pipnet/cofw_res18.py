# PIPNet-ResNet-18 on cofw (reference recipe; ImageNet weights from torchvision when
# online or cached, else random init with a warning: mmpose_pipnet/models/
# imagenet_weights.py; then add weight_decay=5e-4 as the reference does from scratch).
_base_ = ['./_base_/datasets/cofw.py']

model = dict(
    backbone=dict(type='ResNet', depth=18,
                  init_cfg=dict(type='Pretrained',
                                checkpoint='pipnet-imagenet://resnet18')),
    head=dict(in_channels=512))
