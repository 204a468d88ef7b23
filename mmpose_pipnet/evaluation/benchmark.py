"""Side-by-side speed measurements on this machine (tools/analysis/benchmark.py).

Every case is a zero-argument callable; :func:`interleaved_medians` runs them in turns
(round-robin, after warm-up) and keeps each one's median, so machine noise hits all cases
alike and ratios between them are what to read.
"""
import statistics
import time
from typing import Callable, Dict, Optional, Tuple

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.structures import InstanceData
from mmpose.apis import init_model
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.registry import DATASETS
from mmpose.structures import PoseDataSample
from mmcv.transforms import Compose
from tqdm import tqdm


def interleaved_medians(cases: Dict[str, Callable[[], object]], rounds: int = 10,
                        warmup: int = 2, desc: str = 'rounds') -> Dict[str, float]:
    """Median seconds per call of each case, run round-robin ``rounds`` times."""
    for fn in cases.values():
        for _ in range(warmup):
            fn()
    times: Dict[str, list] = {name: [] for name in cases}
    for _ in tqdm(range(rounds), desc=desc):
        for name, fn in cases.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def eval_model(config: str, channels_last: Optional[bool] = None) -> torch.nn.Module:
    """A top-down model of ``config`` with random weights, on the CPU, in eval mode;
    ``channels_last`` overrides a ``ChannelsLastTopdownEstimator``'s layout."""
    cfg_options = None if channels_last is None else dict(
        model=dict(channels_last=channels_last))
    return init_model(config, None, device='cpu', cfg_options=cfg_options).eval()


def predict_case(model: torch.nn.Module, batch: int, channels_last: bool = False,
                 trunk_only: bool = False,
                 input_size: Tuple[int, int] = (256, 256)) -> Callable[[], object]:
    """``model.predict`` (network + decoding, no flip test) on a random (batch, 3, h, w)
    preprocessed input; ``trunk_only``: the backbone alone. ``channels_last`` converts
    the model in place (use a model of its own)."""
    width, height = input_size
    inputs = torch.randn(batch, 3, height, width)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    meta = dict(model.dataset_meta, input_size=(width, height),
                input_center=np.array([width / 2, height / 2], np.float32),
                input_scale=np.array([width, height], np.float32))
    samples = [PoseDataSample(metainfo=meta, gt_instances=InstanceData(
        bboxes=np.array([[0, 0, width, height]], np.float32),
        bbox_scores=np.ones(1, np.float32))) for _ in range(batch)]

    @torch.no_grad()
    def run():
        if trunk_only:
            return model.backbone(inputs)
        return model.predict(inputs, samples)
    return run


def synthetic_train_batch(model: torch.nn.Module, batch: int, seed: int = 0) -> Dict:
    """A training batch through the config's own train pipeline (less ``Albumentation``):
    a random image with K points inside a face-sized box, ``batch`` times (each augmented
    anew)."""
    cfg = model.cfg
    dataset_cls = DATASETS.get(cfg.train_dataloader.dataset.type)
    meta = parse_pose_metainfo(dict(dataset_cls.METAINFO))
    rng = np.random.default_rng(seed)
    num_points = meta['num_keypoints']
    image = rng.integers(0, 256, (320, 320, 3), dtype=np.uint8)
    keypoints = rng.uniform(100, 220, (1, num_points, 2)).astype(np.float32)
    results = dict(img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2],
                   img_path='synthetic.jpg', id=0, img_id=0, category_id=1,
                   bbox=np.array([[80, 80, 240, 240]], np.float32),
                   bbox_score=np.ones(1, np.float32), keypoints=keypoints,
                   keypoints_visible=np.ones((1, num_points), np.float32), **meta)
    # RTMPose's Albumentation step needs albumentations, which the stack does not install
    pipeline = Compose([step for step in cfg.train_dataloader.dataset.pipeline
                        if step['type'] != 'Albumentation'])
    return pseudo_collate([pipeline(dict(results)) for _ in range(batch)])


def train_step_cases(config: str, batch: int = 16) -> Tuple[Callable, Callable]:
    """(full, bare) training steps of ``config`` with Adam (lr 1e-4), random weights.

    full: MMEngine's ``model.train_step`` on a batch from the train pipeline (data
    preprocessor, the head's own loss, backward, optimizer step); bare: the same network's
    forward on a ready tensor, the mean of its outputs as loss, backward and an Adam step:
    what any training loop has to pay.
    """
    model = init_model(config, None, device='cpu').train()
    optim_wrapper = build_optim_wrapper(model, dict(optimizer=dict(type='Adam', lr=1e-4)))
    data = synthetic_train_batch(model, batch)
    inputs = model.data_preprocessor(data, training=True)['inputs']

    def full():
        return model.train_step(data, optim_wrapper)

    def bare():
        outputs = model.head.forward(model.extract_feat(inputs))
        outputs = outputs if isinstance(outputs, (tuple, list)) else [outputs]
        loss = sum(o.float().mean() for o in outputs)
        optim_wrapper.update_params(loss)
    return full, bare
