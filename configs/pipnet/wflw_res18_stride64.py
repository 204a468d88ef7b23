# Stride ablation of PIPNet-ResNet-18 on WFLW: a 64-pixel grid cell (4x4 score map),
# with the reference's extra layers after the backbone and its loss weight for stride 64.
_base_ = ['./wflw_res18.py']

model = dict(head=dict(stride=64))
