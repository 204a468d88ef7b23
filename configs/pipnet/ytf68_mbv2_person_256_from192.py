# LEVER (input size, progressive): the finished 192 px person-disjoint model
# (tools/train.py configs/pipnet/ytf68_mbv2_person.py, 28 epochs) trained on at 256 px
# (ytf68_mbv2_person_256.py's pipeline, 8x8 grid). Every weight of PIPNet is independent
# of the grid size (1x1 convolutions at stride 32), so the 192 px weights load unchanged;
# this costs 8 epochs at 256 px (51 min on 2 CPU cores) instead of a 28-epoch 256 px run
# (2.6 h). Fresh Adam state at LR 1e-4, x0.1 after 4 and 6 epochs. Held-out people per 2
# epochs: 4.38, 4.25, 4.13, 4.08% NME, the same as this restart at 192 px
# (ytf68_mbv2_person_restart.py: 4.07%) at 1.8x the inference cost, so not adopted.
# (The run loaded the float16 copy of the epoch-28 checkpoint published at commit e3e7e00
# as checkpoints/pipnet_mbv2_ytf68_person.pth.)
_base_ = ['./ytf68_mbv2_person_256.py']
load_from = 'work_dirs/ytf68_mbv2_person/epoch_28.pth'
max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_interval=2)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[4, 6],
         gamma=0.1)
]
