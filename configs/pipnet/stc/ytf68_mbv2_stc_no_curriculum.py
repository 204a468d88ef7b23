# The reference's STC without curriculum: three rounds of the full task on labelled +
# pseudo-labelled faces, otherwise as stc/ytf68_mbv2_stc.py (whose docs/stc.md table it would
# complete; not run yet: ~40 min on the 2-core CPU).
#   python tools/train.py configs/pipnet/stc/ytf68_mbv2_stc_no_curriculum.py
_base_ = ['./ytf68_mbv2_stc.py']

train_cfg = dict(curriculum=['std', 'std', 'std'])
