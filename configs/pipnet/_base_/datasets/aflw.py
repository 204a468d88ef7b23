# aflw in MMPose's layout (data/aflw/annotations/...; see MMPose's dataset preparation docs).
_base_ = ['../pipnet_runtime.py']

codec = dict(type='PIPLabel', input_size={{_base_.input_size}}, num_keypoints=19,
             num_neighbors=10, meanface='AFLW')
model = dict(head=dict(num_keypoints=19, decoder=codec))

dataset_type = 'AFLWDataset'
data_root = 'data/aflw/'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root,
                                     ann_file='annotations/face_landmarks_aflw_train.json'))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root,
                                   ann_file='annotations/face_landmarks_aflw_test.json'))
test_dataloader = val_dataloader

# NME by the box size (MMPose's AFLW convention), plus FR@0.1 and AUC@0.1
val_evaluator = dict(type='NMEFailureAUC', norm_mode='use_norm_item', norm_item='bbox_size')
test_evaluator = val_evaluator
