# LEVER (schedule, a warm restart; the person-disjoint recipe's second stage until the
# no-flip restart, ytf68_mbv2_person_restart_noflip.py, replaced it): the finished
# 192 px model of ytf68_mbv2_person.py (28 epochs) trained 8 more epochs with a restarted
# schedule: fresh Adam state at LR 1e-4, x0.1 after 4 and 6 epochs (23 min on 2 CPU
# cores). Held-out people per 2 epochs: 4.39, 4.30, 4.09,
# 4.07% NME (from 4.13%). The same restart at 256 px (ytf68_mbv2_person_256_from192.py)
# gave 4.08%, so the gain is the extra epochs, not the input size. (The run behind the
# README's figures loaded the float16 copy of the epoch-28 checkpoint published at commit
# e3e7e00 as checkpoints/pipnet_mbv2_ytf68_person.pth.)
_base_ = ['./ytf68_mbv2_person.py']
load_from = 'work_dirs/ytf68_mbv2_person/epoch_28.pth'
max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_interval=2)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[4, 6],
         gamma=0.1)
]
