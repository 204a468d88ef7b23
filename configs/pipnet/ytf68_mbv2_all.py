# The DEFAULT model (checkpoints/pipnet_mbv2_ytf68.pth; README "Default model"): the
# person-disjoint recipe (ytf68_mbv2_person.py then ytf68_mbv2_person_restart_noflip.py,
# chosen on people it never saw) continued on ALL labelled ytf68 faces, train.csv + val.csv
# (data/ytf68_coco/ytf68_all.json from tools/prepare_ytf68.sh), so the 70 held-out people's
# faces are learnt too. Its figures on new people are those of the person-disjoint stages
# (checkpoints/pipnet_mbv2_ytf68_person.pth).
#   .venv/bin/python tools/train.py configs/pipnet/ytf68_mbv2_person.py
#   .venv/bin/python tools/train.py configs/pipnet/ytf68_mbv2_person_restart_noflip.py
#   .venv/bin/python tools/train.py configs/pipnet/ytf68_mbv2_all.py
#   .venv/bin/python tools/publish_model.py work_dirs/ytf68_mbv2_all/epoch_6.pth \
#       checkpoints/pipnet_mbv2_ytf68.pth
_base_ = ['./ytf68_mbv2_person_restart_noflip.py']  # its pipeline: no flip

# DEVIATION: continued, not retrained: 6 epochs from the person-disjoint restart's last
# no-flip epoch (8) at LR 1e-5, x0.1 after 4 epochs, to fit one session.
load_from = 'work_dirs/ytf68_mbv2_person_restart_noflip/epoch_8.pth'
max_epochs = 6
train_cfg = dict(max_epochs=max_epochs, val_interval=2)
optim_wrapper = dict(optimizer=dict(lr=1e-5))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[4],
         gamma=0.1)
]
train_dataloader = dict(dataset=dict(ann_file='ytf68_coco/ytf68_all.json'))
val_dataloader = dict(dataset=dict(ann_file='ytf68_coco/ytf68_val.json'))
test_dataloader = val_dataloader
