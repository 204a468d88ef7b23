# Self-training with curriculum (STC; PIPNet, IJCV 2021) on ytf68, sized for a 2-core CPU.
# Labelled: 413 faces of 15% of the people of the person-disjoint training part
# (data/ytf68_coco/ytf68_stc_labelled.json); unlabelled: the 1003 frames of ytf68/unlabeled/
# whose people are not held out (data/ytf68_person/pool); evaluated on the 70 held-out people.
# All three are made by tools/prepare_ytf68.sh. Run:
#   python tools/train.py configs/pipnet/stc/ytf68_mbv2_stc.py     (--resume to continue)
# Rounds: 0 = labelled only, then the curriculum cls3, cls2, std, std, std; the per-round
# results land in WORK_DIR/stc/rounds.json and each round's model in WORK_DIR/stc/round_R.pth.
# DEVIATION: 5 epochs a round, LR x0.1 at epochs 3 and 4 of each round (reference: 60,
# at 30 and 50), a 192 px input, MobileNetV2 (reference: ResNet-18), to fit one CPU session.
_base_ = ['../ytf68_recipe/stage1_person.py']

epochs_per_round = 5
train_cfg = dict(
    _delete_=True,
    type='STCTrainLoop',
    epochs_per_round=epochs_per_round,
    curriculum=['cls3', 'cls2', 'std', 'std', 'std'],
    unlabeled_dataset=dict(
        type='UnlabeledFaceDataset',
        data_root='data/',
        data_prefix=dict(img='ytf68_person/pool/'),
        # The frames are face crops of ~200 px: the detector finds each face (it falls back
        # to the whole image where it finds none).
        box_source='detector'),
    pseudo_label_score_thr=None)
# Counted from each round's start (the loop rebuilds optimizer and schedule every round).
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=epochs_per_round, by_epoch=True,
         milestones=[3, 4], gamma=0.1)
]
train_dataloader = dict(dataset=dict(ann_file='ytf68_coco/ytf68_stc_labelled.json'))
