# What the ytf68 stage configs share (ytf68_recipe/README.md): PIPNet-MobileNetV2 at
# 192x192 (a 6x6 grid at stride 32; ytf68's frames are ~200 px faces), the ytf68 mean
# face, 68 points in 300W order, NME by the outer eye corners. Data: the csv files laid out
# by tools/prepare_ytf68.sh (data/ytf68_coco/*.json). Each stage sets its schedule, its
# annotation files and its train pipeline (`train_pipeline_flip` or `train_pipeline`).
_base_ = ['./pipnet_runtime.py']

input_size = (192, 192)
# ytf68's labels are 1-based (the top-left pixel centre is (1, 1)): the flip transform and
# the flip test mirror them about that origin (MMPose's RandomFlip mirrors 0-based ones).
label_origin = 1
label_encoder = dict(type='PIPLabel', input_size=input_size)
codec = dict(type='PIPLabel', input_size=input_size, num_keypoints=68, num_neighbors=10,
             meanface='ytf68')
model = dict(
    backbone=dict(type='MobileNetV2', widen_factor=1., out_indices=(7, ),
                  init_cfg=dict(type='Pretrained',
                                checkpoint='pipnet-imagenet://mobilenet_v2')),
    head=dict(in_channels=1280, num_keypoints=68, decoder=codec),
    test_cfg=dict(label_origin=label_origin))

# Boxes: the converter's square around the 68 points, padded x1.25 by GetBBoxCenterScale.
# Scale jitter (MMPose's RandomBBoxTransform, truncated normal in [0.8, 1.2]; its shift and
# rotation are off: RandomBBoxTranslateRotate draws them uniformly as the paper does) keeps
# a detector box 15% off the training box within a few percent NME.
train_pipeline_flip = [
    dict(type='LoadFaceImage'),
    dict(type='GetBBoxCenterScale'),
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
# The same without the flip: ytf68's labels are not mirror-symmetric (docs/model_card.md),
# so the last stages learn their convention instead of a mirror-symmetric average.
train_pipeline = [t for t in train_pipeline_flip if t['type'] != 'RandomFlipWithLabelOrigin']
val_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='PackPoseInputs')
]

dataset_type = 'Face300WDataset'  # 68 points, 300W flip pairs
data_root = 'data/'
# num_workers=0: on 2 cores, loader workers compete with the training step and slowed it.
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='ytf68_coco/ytf68_person_train.json',
                 data_prefix=dict(img='ytf68/images/'), pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='ytf68_coco/ytf68_person_held_out.json',
                 data_prefix=dict(img='ytf68/images/'), pipeline=val_pipeline))
test_dataloader = val_dataloader

# NME by the outer eye corners; also per bin of the ground truth's |yaw| (degrees)
val_evaluator = dict(type='NMEFailureAUC', norm_mode='keypoint_distance',
                     keypoint_indices=[36, 45], yaw_bins=[15, 30, 45])
test_evaluator = val_evaluator
default_hooks = dict(logger=dict(type='LoggerHook', interval=20))
