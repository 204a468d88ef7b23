# PIPNet-MobileNetV2 on ytf68 (68 points, 300W order): the recipe of the project's first
# default model (trained on train.csv on a 2-core CPU; replaced by ytf68_mbv2_all.py, README
# "Default model") and the base of the ytf68 configs. Data: the csv files converted with
# tools/dataset_converters/landmark_csv_to_coco.py (README); research use only.
# Differences from the reference recipe are marked DEVIATION.
_base_ = ['./_base_/pipnet_runtime.py']

# DEVIATION: 48 epochs, LR x0.1 at 32 and 42 (reference MobileNetV2: 120, at 60/100), and
# a 192x192 input (6x6 grid at stride 32; reference 256x256), to fit a 2-core CPU budget of
# about 1.5 h. ytf68 frames are ~200 px, so a 192 px crop keeps their full resolution.
max_epochs = 48
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[32, 42],
         gamma=0.1)
]

input_size = (192, 192)
label_encoder = dict(type='PIPLabel', input_size=input_size)
codec = dict(type='PIPLabel', input_size=input_size, num_keypoints=68, num_neighbors=10,
             meanface='ytf68')
model = dict(
    backbone=dict(type='MobileNetV2', widen_factor=1., out_indices=(7, ),
                  init_cfg=dict(type='Pretrained',
                                checkpoint='pipnet-imagenet://mobilenet_v2')),
    head=dict(in_channels=1280, num_keypoints=68, decoder=codec))

# The base pipelines with a 192 px crop. Boxes: the converter's tight square box of the 68
# points, padded x1.25 by GetBBoxCenterScale.
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

dataset_type = 'Face300WDataset'  # 68 points, 300W flip pairs, NME by points 36 and 45
data_root = 'data/'
# num_workers=0: on 2 cores, loader workers compete with the training step and slowed it.
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='ytf68_coco/ytf68_train.json', data_prefix=dict(img='ytf68/images/'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='ytf68_coco/ytf68_val.json', data_prefix=dict(img='ytf68/images/'),
                 pipeline=val_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='NMEFailureAUC', norm_mode='keypoint_distance',
                     keypoint_indices=[36, 45])
test_evaluator = val_evaluator
default_hooks = dict(logger=dict(type='LoggerHook', interval=20))
