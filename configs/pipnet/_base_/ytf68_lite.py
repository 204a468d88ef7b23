# What the lite ytf68 configs share (ytf68_recipe/README.md, "The lite model"): PIPNet on
# MobileNetV2's first five stages (to the 96-channel stage at stride 16; MobileNetV2Trunk
# drops the rest) at 96x96 px, a 6x6 grid at stride 16 as the default's 192 px at stride 32.
# Everything else (data, mean face, augmentation, metric) is ../_base_/ytf68_mbv2.py's; its
# pipelines are repeated here only because their crop size is fixed when that file is read.
_base_ = ['./ytf68_mbv2.py']

input_size = (96, 96)
label_encoder = dict(type='PIPLabel', input_size=input_size)
codec = dict(type='PIPLabel', input_size=input_size, num_keypoints=68, num_neighbors=10,
             meanface='ytf68')
model = dict(
    backbone=dict(_delete_=True, type='MobileNetV2Trunk', widen_factor=1., out_indices=(4, ),
                  init_cfg=dict(type='Pretrained',
                                checkpoint='pipnet-imagenet://mobilenet_v2')),
    head=dict(in_channels=96, stride=16, backbone_stride=16, decoder=codec))

train_pipeline_flip = [
    dict(type='LoadFaceImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlipWithLabelOrigin', label_origin={{_base_.label_origin}},
         direction='horizontal', prob=0.5),
    dict(type='RandomBBoxTransform', shift_prob=0., rotate_prob=0., scale_factor=(0.8, 1.2),
         scale_prob=1.0),
    dict(type='RandomBBoxTranslateRotate', max_shift=30 / 256, shift_prob=0.5,
         max_rotate=30, rotate_prob=0.5),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='RandomOcclusionBox', max_size=0.4, prob=0.5),
    dict(type='RandomGaussianBlur', max_radius=2.5, prob=0.3),  # the default's 5 px at 192 px
    dict(type='RandomGrayscale', prob=0.2),
    dict(type='GenerateTarget', encoder=label_encoder),
    dict(type='PackPoseInputs')
]
train_pipeline = [t for t in train_pipeline_flip if t['type'] != 'RandomFlipWithLabelOrigin']
val_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
