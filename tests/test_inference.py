"""MMPose's inference APIs run our configs unchanged, on real images."""
import numpy as np
import pytest
from mmpose.apis import inference_topdown, init_model

from conftest import CONFIGS, FACE_SAMPLES


@pytest.mark.shared_data
def test_init_model_and_inference_topdown_wflw_res18():
    model = init_model(f'{CONFIGS}/wflw_res18.py', None, device='cpu')
    image = f'{FACE_SAMPLES}/wflw/36_Football_americanfootball_ball_36_415.jpg'
    results = inference_topdown(model, image, bboxes=np.array([[10, 10, 120, 130]]))
    assert len(results) == 1
    pred = results[0].pred_instances
    assert pred.keypoints.shape == (1, 98, 2)
    assert pred.keypoint_scores.shape == (1, 98)
