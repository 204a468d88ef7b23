# The LITE model (aliases pipnet-ytf68-lite and lite: `--model lite`; weights
# checkpoints/pipnet_lite_ytf68.pth, shipped in the wheel): PIPNet on MobileNetV2's first
# five stages at 96 px (_base_/ytf68_lite.py), 68 points in 300W order, trained on the
# person-disjoint split of ytf68 (the 70 held-out people never seen), so its figures are
# on new people (docs/model_card.md, "The lite model"). Stage 2 of its recipe, as the
# default's stage 2 (ytf68_recipe/stage2_person_noflip.py: 8 epochs, fresh Adam 1e-4, x0.1
# after 4 and 6, no flip) from lite stage 1's epoch-60 weights:
#   python tools/train.py configs/pipnet/ytf68_recipe/lite_stage1_person.py
#   python tools/train.py configs/pipnet/ytf68_lite.py \
#       --cfg-options load_from=work_dirs/lite_stage1_person/epoch_60.pth
#   python tools/test.py configs/pipnet/ytf68_lite.py checkpoints/pipnet_lite_ytf68.pth
# Unlike the default it has no third stage on all labelled faces (not run for lack of time).
_base_ = ['./_base_/ytf68_lite.py']

max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_interval=2)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[4, 6],
         gamma=0.1)
]
