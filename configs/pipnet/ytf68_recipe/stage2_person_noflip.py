# Stage 2 of the default model (README.md in this folder): stage 1's epoch-28 weights
# trained 8 more epochs with a restarted schedule (fresh Adam at LR 1e-4, x0.1 after 4 and
# 6) and without the flip, on the same person-disjoint split (23 min on 2 CPU cores);
# 3.98% on the held-out people. Its weights were the shipped person model until stage 3
# (stage3_person_turned.py) replaced them:
#   python tools/train.py configs/pipnet/ytf68_recipe/stage2_person_noflip.py \
#       --cfg-options load_from=work_dirs/stage1_person/epoch_28.pth
_base_ = ['../_base_/ytf68_mbv2.py']

max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_interval=2)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[4, 6],
         gamma=0.1)
]
