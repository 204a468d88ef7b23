# PIPNet-MobileNetV2 on ytf68, chosen on people it never saw (issue "a default model that
# holds its accuracy on people it has never seen"): trained on the person-disjoint training
# part of train.csv + val.csv and validated on the held-out people
# (tools/prepare_ytf68.sh makes both with tools/dataset_converters/split_by_person.py).
# Differences from ytf68_mbv2.py are marked LEVER; from the reference, DEVIATION.
_base_ = ['./ytf68_mbv2.py']

# DEVIATION: 28 epochs, LR x0.1 at 20 and 25 (ytf68_mbv2's val curve reached 4.0% at epoch
# 22 of 48 before its first drop), to fit one background run on a 2-core CPU (80 min in
# channels_last). Held-out people: 4.13% NME (README "People it never saw").
max_epochs = 28
train_cfg = dict(max_epochs=max_epochs, val_interval=2)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[20, 25],
         gamma=0.1)
]

input_size = (192, 192)
label_origin = 1  # ytf68's labels are 1-based (top-left pixel centre (1, 1))
label_encoder = dict(type='PIPLabel', input_size=input_size)
# LEVER (box scale jitter): the reference has no scale augmentation, so a detector box 15%
# off the training box cost +40% NME. MMPose's RandomBBoxTransform scales the box by a
# truncated normal in [0.8, 1.2] (shift and rotation off here: ours below draws them
# uniformly, as the reference; it adds its rotation to this one's zero).
train_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='GetBBoxCenterScale'),
    # LEVER (label origin): ytf68's labels are 1-based (MMPose's RandomFlip mirrors 0-based
    # coordinates, so flipped samples were 2 px off and the model missed x by 1.03 px).
    dict(type='RandomFlipWithLabelOrigin', label_origin=label_origin, direction='horizontal',
         prob=0.5),
    dict(type='RandomBBoxTransform', shift_prob=0., rotate_prob=0., scale_factor=(0.8, 1.2),
         scale_prob=1.0),
    dict(type='RandomBBoxTranslateRotate', max_shift=30 / 256, shift_prob=0.5,
         max_rotate=30, rotate_prob=0.5),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='RandomOcclusionBox', max_size=0.4, prob=0.5),
    dict(type='RandomGaussianBlur', max_radius=5, prob=0.3),
    dict(type='RandomGrayscale', prob=0.2),
    dict(type='GenerateTarget', encoder=label_encoder),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(
    dataset=dict(ann_file='ytf68_coco/ytf68_person_train.json', pipeline=train_pipeline))
# LEVER (label origin): flip test (off by default) mirrors back in the labels' convention
model = dict(test_cfg=dict(label_origin=label_origin))
val_dataloader = dict(dataset=dict(ann_file='ytf68_coco/ytf68_person_held_out.json'))
test_dataloader = val_dataloader
