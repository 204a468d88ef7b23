# Stride ablation of PIPNet-ResNet-18 on WFLW: a 128-pixel grid cell (2x2 score map),
# with the reference's extra layers after the backbone and its loss weight for stride 128.
_base_ = ['./wflw_res18.py']

model = dict(head=dict(stride=128))
