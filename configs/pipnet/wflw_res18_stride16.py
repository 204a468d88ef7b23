# Stride ablation of PIPNet-ResNet-18 on WFLW: a 16-pixel grid cell (16x16 score map),
# with the reference's extra layers after the backbone and its loss weight for stride 16.
_base_ = ['./wflw_res18.py']

model = dict(head=dict(stride=16))
