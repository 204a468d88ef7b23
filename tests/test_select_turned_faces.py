"""tools/dataset_converters/select_turned_faces.py: keeps the faces turned beyond
--min-yaw (the mean face projected at known yaws) and refuses bad keypoints in one line."""
import json
import subprocess
import sys

import pytest

from conftest import REPO, load_tool
from mmpose_pipnet.apis.head_pose import project
from mmpose_pipnet.utils import InputError

select_turned_faces = load_tool('dataset_converters/select_turned_faces.py').select_turned_faces


def coco_of(yaws):
    """A COCO json with one image and face per yaw (degrees): the 3D mean face's 68
    points projected at that yaw."""
    annotations = []
    for i, yaw in enumerate(yaws):
        points = project(yaw, 0.0, 0.0, scale=100.0, centre=(200.0, 200.0))
        keypoints = [v for x, y in points for v in (float(x), float(y), 2)]
        annotations.append(dict(id=i, image_id=i, keypoints=keypoints))
    return dict(images=[dict(id=i, file_name=f'{i}.jpg') for i in range(len(yaws))],
                annotations=annotations, categories=[dict(id=1, name='face')])


def test_keeps_only_the_turned_faces(tmp_path):
    coco = coco_of([0, -10, 20, -30, 40, 60])
    kept = select_turned_faces(coco, 25.0)
    assert [a['id'] for a in kept['annotations']] == [3, 4, 5]
    assert [i['id'] for i in kept['images']] == [3, 4, 5]
    source = tmp_path / 'faces.json'
    source.write_text(json.dumps(coco))
    run = subprocess.run([sys.executable, 'tools/dataset_converters/select_turned_faces.py',
                          str(source), str(tmp_path / 'out.json'), '--min-yaw', '35'],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert [a['id'] for a in json.loads((tmp_path / 'out.json').read_text())[
        'annotations']] == [4, 5]


def test_bad_keypoints_are_one_line_errors(tmp_path):
    coco = coco_of([40])
    coco['annotations'][0]['keypoints'] = coco['annotations'][0]['keypoints'][:30]
    with pytest.raises(InputError, match='^faces.json: annotations'):
        select_turned_faces(coco, 25.0, 'faces.json')
    source = tmp_path / 'empty.json'
    source.write_text(json.dumps(dict(images=[], annotations=[])))
    run = subprocess.run([sys.executable, 'tools/dataset_converters/select_turned_faces.py',
                          str(source), str(tmp_path / 'out.json')],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 1 and 'Traceback' not in run.stderr
    assert run.stderr.strip().splitlines()[-1] == f'select_turned_faces: {source}: no annotations'


def test_every_nth_of_the_turned_faces():
    coco = coco_of([0, 30, -35, 40, -45, 50, 55])
    kept = select_turned_faces(coco, 25.0, every=3)
    assert [a['id'] for a in kept['annotations']] == [1, 4]
    assert [i['id'] for i in kept['images']] == [1, 4]
    with pytest.raises(InputError, match='^--every 0: expected a positive integer'):
        select_turned_faces(coco, 25.0, every=0)
