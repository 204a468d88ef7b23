"""Face landmarks on a photo, a folder, a video or a webcam: the ``pipnet-landmarks``
console script (mmpose_pipnet/apis/landmarks_cli.py), runnable from a source checkout.
    python demo/face_demo.py                     # matplotlib's grace_hopper.jpg
    python demo/face_demo.py photo.jpg --bbox 100 80 260 240
    python demo/face_demo.py photos/             # a folder, with a progress bar
    python demo/face_demo.py clip.mp4 --beta 2   # tracked + smoothed
    python demo/face_demo.py --input 0 --show    # webcam
"""
from mmpose_pipnet.apis.landmarks_cli import main

if __name__ == '__main__':
    main(prog='face_demo')
