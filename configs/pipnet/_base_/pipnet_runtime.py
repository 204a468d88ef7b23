# PIPNet's training recipe (Jin, Liao & Shao, IJCV 2021; arXiv 2003.03771) on MMPose's
# runtime: 256x256 crops, Adam 1e-4, batch 16, 60 epochs with LR x0.1 at 30 and 50, the
# paper's augmentations, the last epoch evaluated (and the best kept).
_base_ = ['mmpose::_base_/default_runtime.py']
custom_imports = dict(imports=['mmpose_pipnet'], allow_failed_imports=False)
# MMEngine's Runner plus atomic, weights-only-loadable checkpoints, resume after a kill and
# CPU distributed runs (mmpose_pipnet/engine/runner.py)
runner_type = 'PIPNetRunner'

max_epochs = 60
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
# Pretrained backbones: no weight decay (the reference uses 5e-4 only from scratch; add
# --cfg-options optim_wrapper.optimizer.weight_decay=5e-4 when training offline without
# cached ImageNet weights).
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[30, 50],
         gamma=0.1)
]
auto_scale_lr = dict(base_batch_size=16)

custom_hooks = [
    dict(type='SyncBuffersHook'),  # MMPose's default
    dict(type='KeypointCountCheckHook'),  # datasets vs head K, before the first batch
    dict(type='AnnotationCheckHook'),  # points per face, NaN, absurd coordinates
    dict(type='RNGStateHook'),  # --resume continues the augmentations' random draws
]
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2, save_best='NME',
                    rule='less'))

# MMPose's TopdownPoseEstimator with the network in channels_last layout (faster on CPU,
# batches included; channels_last=False for MMPose's default layout).
model = dict(
    type='ChannelsLastTopdownEstimator',
    channels_last=True,
    data_preprocessor=dict(type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    # PIPNet's losses, from MMPose's registry (any loss taking (output, target,
    # target_weights) fits, e.g. loss_cls=dict(type='AdaptiveWingLoss',
    # use_target_weight=True)); a loss_cls without loss_weight gets the stride's 50/10/8/4
    # (stride 16/32/64/128)
    head=dict(type='PIPHead', stride=32, loss_cls=dict(type='MaskedKeypointMSELoss'),
              loss_offset=dict(type='MaskedL1Loss'), loss_nb=dict(type='MaskedL1Loss')),
    test_cfg=dict(flip_test=False))  # the reference has no flip test

# The pipeline only normalises the labels to the crop; the head builds the grid targets
# for its own stride, so one pipeline serves every dataset and stride.
input_size = (256, 256)
label_encoder = dict(type='PIPLabel', input_size=input_size)
# Crops: MMPose's convention, the dataset box made square and padded x1.25
# (GetBBoxCenterScale) for every dataset; the reference stretches the landmark box x1.1
# (300W), the given rect x1.2 (WFLW) or the given box (COFW, AFLW) to 256x256.
# DEVIATION (order): MMPose flips and jitters the box before cropping, so translated
# content is real image rather than a black border; the photometric augmentations follow
# on the crop. Probabilities and ranges are the reference's.
# LoadFaceImage: MMPose's LoadImage with a one-line error naming an unreadable image;
# dict(type='LoadFaceImage', on_error='skip') skips such images in training (counted).
train_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal', prob=0.5),
    dict(type='RandomBBoxTranslateRotate', max_shift=30 / 256, shift_prob=0.5,
         max_rotate=30, rotate_prob=0.5),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='RandomOcclusionBox', max_size=0.4, prob=0.5),
    dict(type='RandomGaussianBlur', max_radius=5, prob=0.3),
    dict(type='RandomGrayscale', prob=0.2),
    dict(type='GenerateTarget', encoder=label_encoder),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='PackPoseInputs')
]
data_mode = 'topdown'  # read by MMPoseInferencer too
# 2 loader workers; on a 2-core CPU machine 0 was fastest (--cfg-options
# train_dataloader.num_workers=0 train_dataloader.persistent_workers=False).
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(data_mode=data_mode, data_prefix=dict(img='images/'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(data_mode=data_mode, data_prefix=dict(img='images/'), test_mode=True,
                 pipeline=val_pipeline))
test_dataloader = val_dataloader
