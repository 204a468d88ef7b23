# 300w in MMPose's layout (data/300w/annotations/...; see MMPose's dataset preparation docs).
_base_ = ['../pipnet_runtime.py']

codec = dict(type='PIPLabel', input_size={{_base_.input_size}}, num_keypoints=68,
             num_neighbors=10, meanface='300W')
model = dict(head=dict(num_keypoints=68, decoder=codec))

dataset_type = 'Face300WDataset'
data_root = 'data/300w/'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root,
                                     ann_file='annotations/face_landmarks_300w_train.json'))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root,
                                   ann_file='annotations/face_landmarks_300w_valid.json'))
test_dataloader = val_dataloader

# NME by the outer eye corners [36, 45] on the full test set, plus FR@0.1 and AUC@0.1
val_evaluator = dict(type='NMEFailureAUC', norm_mode='keypoint_distance')
test_evaluator = val_evaluator
