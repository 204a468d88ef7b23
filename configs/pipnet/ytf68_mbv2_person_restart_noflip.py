# The person-disjoint recipe's second stage (README "People it never saw"): the finished
# 28-epoch model of ytf68_mbv2_person.py trained 8 more epochs with a restarted schedule
# (fresh Adam at LR 1e-4, x0.1 after 4 and 6; as ytf68_mbv2_person_restart.py) WITHOUT the
# horizontal flip, 23 min on 2 CPU cores.
# LEVER / DEVIATION (no flip in the last stage; the reference flips with p 0.5): trained
# with flips, a model is pushed towards mirror symmetry, but ytf68's labels are not
# mirror-symmetric: a flipped restart model's (ytf68_mbv2_person_restart_lightaug.py)
# per-landmark bias on the held-out people had the same sign on mirror pairs (chin x
# -1.6%; y: the brow on the image's left +1.0%, the other -0.6% of the inter-ocular
# distance), and the same pattern on its training people
# (correlation 0.91 in x, 0.93 in y), so it is the labels' convention, learnable from
# them. Held-out people per 2 epochs: 4.18, 4.32, 4.01, 3.98% NME (flipped restart:
# 4.39, 4.30, 4.09, 4.07%); mean bias_x -0.01% (was -0.38%). (The run loaded the float32
# epoch-28 checkpoint of the run whose float16 copy the flipped restart loaded.)
_base_ = ['./ytf68_mbv2_person_restart.py']

input_size = (192, 192)
label_encoder = dict(type='PIPLabel', input_size=input_size)
train_pipeline = [
    dict(type='LoadFaceImage'),
    dict(type='GetBBoxCenterScale'),
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
