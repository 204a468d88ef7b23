"""Every face dataset class of MMPose loads its real fixture through the PIPNet pipeline."""
import numpy as np
import pytest
from mmengine.config import Config
from mmpose.registry import DATASETS

from conftest import CONFIGS, FACE_SAMPLES

# dataset class, fixture folder, json, K
FIXTURES = [
    ('WFLWDataset', 'wflw', 'test_wflw.json', 98),
    ('Face300WDataset', '300w', 'test_300w.json', 68),
    ('Face300WLPDataset', '300wlp', 'test_300wlp.json', 68),
    ('Face300VWDataset', '300vw', 'anno_300vw.json', 68),
    ('COFWDataset', 'cofw', 'test_cofw.json', 29),
    ('AFLWDataset', 'aflw', 'test_aflw.json', 19),
    ('LapaDataset', 'lapa', 'test_lapa.json', 106),
    ('CocoWholeBodyFaceDataset', 'coco', 'test_coco_wholebody.json', 68),
]


def pipnet_pipelines():
    cfg = Config.fromfile(f'{CONFIGS}/_base_/pipnet_runtime.py')
    return cfg.train_pipeline, cfg.val_pipeline


@pytest.mark.shared_data
@pytest.mark.parametrize('dataset_type,folder,ann_file,num_points', FIXTURES)
def test_fixture_through_pipnet_pipeline(dataset_type, folder, ann_file, num_points):
    train_pipeline, val_pipeline = pipnet_pipelines()
    for pipeline, test_mode in ((train_pipeline, False), (val_pipeline, True)):
        dataset = DATASETS.build(dict(
            type=dataset_type, data_root=f'{FACE_SAMPLES}/{folder}', ann_file=ann_file,
            data_mode='topdown', data_prefix=dict(img=''), pipeline=pipeline,
            test_mode=test_mode))
        assert len(dataset) > 0
        assert dataset.metainfo['num_keypoints'] == num_points
        for index in range(len(dataset)):
            item = dataset[index]
            assert tuple(item['inputs'].shape) == (3, 256, 256)
            sample = item['data_samples']
            assert sample.gt_instances.keypoints.shape == (1, num_points, 2)
            if not test_mode:
                labels = sample.gt_instance_labels.keypoint_labels.numpy()
                weights = sample.gt_instance_labels.keypoint_weights.numpy()
                assert labels.shape == (1, num_points, 2) and weights.shape == (1, num_points)
                assert np.isfinite(labels).all()
                # labelled points are normalised to the crop: mostly inside [0, 1]
                inside = ((labels >= 0) & (labels <= 1)).all(-1)[weights > 0]
                assert inside.mean() > 0.8
