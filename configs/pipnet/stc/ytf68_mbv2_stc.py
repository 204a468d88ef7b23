# Self-training with curriculum (STC; PIPNet, IJCV 2021) on ytf68, the semi-supervised
# protocol of docs/stc.md. Made by tools/prepare_ytf68.sh:
#   labelled: 413 faces of 15% of the person-disjoint training people
#             (data/ytf68_coco/ytf68_stc_labelled.json);
#   pool:     3399 images without labels (data/ytf68_stc/pool/): the other 85% of the
#             training people's faces plus the unlabelled frames of people not held out;
#             their true landmarks, where known, in ytf68_stc_not_labelled.json (used only
#             to report how right each round's pseudo-labels are);
#   held out: the 70 people of the validation split.
#   python tools/train.py configs/pipnet/stc/ytf68_mbv2_stc.py     (--resume to continue)
# Round 0 is the converged supervised model (stc/ytf68_mbv2_supervised.py; loaded, not
# retrained); rounds 1-5 run the curriculum cls3, cls2, std, std, std. Each round starts from
# ImageNet weights and trains 12 epochs of labelled + pseudo-labelled faces (3812 faces,
# 238 iterations of 16: 2856 iterations, about the 3120 at which the supervised arm
# converged), LR x0.1 at epochs 6 and 10 of the round (the reference's 30 and 50 of 60),
# evaluated every 4 epochs. Results: WORK_DIR/stc/rounds.json, each round's model
# WORK_DIR/stc/round_R.pth. The best round (3: 5.28% on the held-out people, against the
# supervised model's 4.80%: STC did not pay here, docs/stc.md) ships in fp16 as
# checkpoints/stc/ytf68_mbv2_stc.pth; `tools/test.py THIS_CONFIG THAT_FILE` scores it.
# DEVIATION: 12 epochs a round (reference: 60), a 192 px input, MobileNetV2 (reference:
# ResNet-18), so that the arm runs in about two and a half hours on a 2-core CPU.
_base_ = ['../ytf68_recipe/stage1_person.py']

epochs_per_round = 12
train_cfg = dict(
    _delete_=True,
    type='STCTrainLoop',
    epochs_per_round=epochs_per_round,
    val_interval=4,
    curriculum=['cls3', 'cls2', 'std', 'std', 'std'],
    round0_checkpoint='checkpoints/stc/ytf68_mbv2_supervised.pth',
    unlabeled_dataset=dict(
        type='UnlabeledFaceDataset',
        data_root='data/',
        data_prefix=dict(img='ytf68_stc/pool/'),
        # The frames are face crops of ~200 px: the detector finds each face (it falls back
        # to the whole image where it finds none).
        box_source='detector'),
    pseudo_label_score_thr=None,
    pool_ann_file='data/ytf68_coco/ytf68_stc_not_labelled.json')
# Counted from each round's start (the loop rebuilds optimizer and schedule every round).
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=epochs_per_round, by_epoch=True,
         milestones=[6, 10], gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2))
train_dataloader = dict(dataset=dict(ann_file='ytf68_coco/ytf68_stc_labelled.json'))
