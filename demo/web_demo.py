"""Face landmarks in the browser: the ``pipnet-web`` console script
(mmpose_pipnet/apis/web_demo.py), runnable from a source checkout.
    python demo/web_demo.py                 # then open http://127.0.0.1:7860/
    python demo/web_demo.py --port 8000 --model pipnet-ytf68-person --device cuda:0
"""
from mmpose_pipnet.apis.web_demo import main

if __name__ == '__main__':
    main(prog='web_demo')
