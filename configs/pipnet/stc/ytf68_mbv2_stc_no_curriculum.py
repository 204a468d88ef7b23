# Plain self-training, the reference's STC without curriculum: three rounds of the full task
# ('std') on labelled + pseudo-labelled faces, otherwise exactly stc/ytf68_mbv2_stc.py (the
# same round 0, pool and per-round schedule; docs/stc.md).
#   python tools/train.py configs/pipnet/stc/ytf68_mbv2_stc_no_curriculum.py
_base_ = ['./ytf68_mbv2_stc.py']

train_cfg = dict(curriculum=['std', 'std', 'std'])
