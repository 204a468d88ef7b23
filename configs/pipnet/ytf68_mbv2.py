# PIPNet-MobileNetV2 on ytf68 (68 points, 300W order): the project's default model.
# Trained on a 2-core CPU within a fixed budget; differences from the reference recipe
# (docs: ../shared/docs/pipnet-reference.md section 6) are marked DEVIATION.
_base_ = ['mmpose::_base_/default_runtime.py']
custom_imports = dict(imports=['mmpose_pipnet'], allow_failed_imports=False)

# DEVIATION: 36 epochs, LR x0.1 at 24 and 32 (reference MobileNetV2: 120, at 60/100), and
# a 192x192 input (6x6 grid at stride 32; reference 256x256), to fit a 2-core CPU budget of
# about 1.5 h. ytf68 frames are ~200 px, so a 192 px crop keeps their full resolution.
max_epochs = 36
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4))  # pretrained: no weight decay
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[24, 32],
         gamma=0.1)
]

codec = dict(type='PIPLabel', input_size=(192, 192), heatmap_size=(6, 6), num_keypoints=68,
             num_neighbors=10, meanface='ytf68')

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='MobileNetV2', widen_factor=1., out_indices=(7, ),
                  init_cfg=dict(type='Pretrained',
                                checkpoint='pipnet-imagenet://mobilenet_v2')),
    head=dict(type='PIPHead', in_channels=1280, num_keypoints=68, decoder=codec),
    test_cfg=dict(flip_test=False))

dataset_type = 'Face300WDataset'
data_mode = 'topdown'
data_root = 'data/'
# Crops: the converter's tight square box of the 68 points, padded x1.25 by
# GetBBoxCenterScale (MMPose's face convention; the reference 300W crop is the landmark
# box x1.1, stretched).
# DEVIATION (order): MMPose flips and jitters the box before cropping, so translated
# content is real image rather than black; the photometric augmentations follow on the
# crop. Probabilities and ranges are the reference's.
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal', prob=0.5),
    dict(type='RandomBBoxTranslateRotate', max_shift=30 / 256, shift_prob=0.5,
         max_rotate=30, rotate_prob=0.5),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RandomOcclusionBox', max_size=0.4, prob=0.5),
    dict(type='RandomGaussianBlur', max_radius=5, prob=0.3),
    dict(type='RandomGrayscale', prob=0.2),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
# num_workers=0: on 2 cores, loader workers compete with the training step and slowed it.
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, data_mode=data_mode,
                 ann_file='ytf68_coco/ytf68_train.json', data_prefix=dict(img='ytf68/images/'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(type=dataset_type, data_root=data_root, data_mode=data_mode,
                 ann_file='ytf68_coco/ytf68_val.json', data_prefix=dict(img='ytf68/images/'),
                 test_mode=True, pipeline=val_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='NMEFailureAUC', norm_mode='keypoint_distance',
                     keypoint_indices=[36, 45])
test_evaluator = val_evaluator

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2, save_best='NME',
                    rule='less'))
