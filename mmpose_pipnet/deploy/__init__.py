from .onnx_export import (PIPNetDecodeModel, PIPNetDeployModel, export_decoder_onnx,
                          export_onnx)
from .onnx_quantize import CALIBRATION, calibration_crops, quantize_onnx

__all__ = ['CALIBRATION', 'PIPNetDecodeModel', 'PIPNetDeployModel', 'calibration_crops',
           'export_decoder_onnx', 'export_onnx', 'quantize_onnx']
