# The oracle row of the ytf68 semi-supervised experiment (docs/stc.md): the labelled 15% of
# the person-disjoint training people plus the other 85% WITH their labels (2809 faces,
# data/ytf68_coco/ytf68_person_train.json), the ceiling that self-training on the 85% can
# approach. The schedule matches one STC round (stc/ytf68_mbv2_stc.py: 2856 iterations of 16
# from ImageNet weights, LR x0.1 at half and five sixths): 16 epochs of 176 iterations (2816),
# LR x0.1 at epochs 8 and 13. Validated on the 70 held-out people: 4.45% NME at epoch 16.
#   python tools/train.py configs/pipnet/stc/ytf68_mbv2_oracle.py
_base_ = ['../ytf68_recipe/stage1_person.py']

max_epochs = 16
train_cfg = dict(max_epochs=max_epochs, val_interval=4)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[8, 13],
         gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=4, max_keep_ckpts=2))
