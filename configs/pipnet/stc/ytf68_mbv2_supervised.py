# The supervised arm of the ytf68 semi-supervised experiment (docs/stc.md): the 413 labelled
# faces of 15% of the person-disjoint training people (data/ytf68_coco/ytf68_stc_labelled.json,
# made by tools/prepare_ytf68.sh), validated on the 70 held-out people.
#   python tools/train.py configs/pipnet/stc/ytf68_mbv2_supervised.py
# Trained to convergence: 120 epochs (26 iterations each), LR x0.1 at 60 and 100, twice the
# reference's 60-epoch schedule. The held-out NME is flat from epoch 65 on (4.78-4.89%);
# 60 epochs (x0.1 at 30 and 50) gave 5.16%. Its weights, checkpoints/stc/ytf68_mbv2_supervised.pth,
# are round 0 of stc/ytf68_mbv2_stc.py and stc/ytf68_mbv2_stc_no_curriculum.py.
_base_ = ['../ytf68_recipe/stage1_person.py']

max_epochs = 120
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[60, 100],
         gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=3))
train_dataloader = dict(dataset=dict(ann_file='ytf68_coco/ytf68_stc_labelled.json'))
