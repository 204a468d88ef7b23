# The supervised-only arm of the ytf68 STC experiment (docs/stc.md): the same
# 413 labelled faces, model, pipeline and held-out people as stc/ytf68_mbv2_stc.py, no
# unlabelled data, and the iterations of ONE STC round (5 epochs of labelled +
# pseudo-labelled faces = 5 x 89 iterations; here 17 epochs x 26 = 442), LR x0.1 at the
# same fractions of the schedule (3/5, 4/5).
#   python tools/train.py configs/pipnet/stc/ytf68_mbv2_supervised.py
_base_ = ['../ytf68_recipe/stage1_person.py']

max_epochs = 17
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[10, 14],
         gamma=0.1)
]
train_dataloader = dict(dataset=dict(ann_file='ytf68_coco/ytf68_stc_labelled.json'))
