# cofw in MMPose's layout (data/cofw/annotations/...; see MMPose's dataset preparation docs).
_base_ = ['../pipnet_runtime.py']

codec = dict(type='PIPLabel', input_size={{_base_.input_size}}, num_keypoints=29,
             num_neighbors=10, meanface='COFW')
model = dict(head=dict(num_keypoints=29, decoder=codec))

dataset_type = 'COFWDataset'
data_root = 'data/cofw/'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root,
                                     ann_file='annotations/cofw_train.json'))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root,
                                   ann_file='annotations/cofw_test.json'))
test_dataloader = val_dataloader

# NME by the outer eye corners [8, 9], plus FR@0.1 and AUC@0.1
val_evaluator = dict(type='NMEFailureAUC', norm_mode='keypoint_distance')
test_evaluator = val_evaluator
