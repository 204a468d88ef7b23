# wflw in MMPose's layout (data/wflw/annotations/...; see MMPose's dataset preparation docs).
_base_ = ['../pipnet_runtime.py']

codec = dict(type='PIPLabel', input_size={{_base_.input_size}}, num_keypoints=98,
             num_neighbors=10, meanface='WFLW')
model = dict(head=dict(num_keypoints=98, decoder=codec))

dataset_type = 'WFLWDataset'
data_root = 'data/wflw/'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root,
                                     ann_file='annotations/face_landmarks_wflw_train.json'))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root,
                                   ann_file='annotations/face_landmarks_wflw_test.json'))
test_dataloader = val_dataloader

# NME by the outer eye corners [60, 72], plus FR@0.1 and AUC@0.1
val_evaluator = dict(type='NMEFailureAUC', norm_mode='keypoint_distance')
test_evaluator = val_evaluator
