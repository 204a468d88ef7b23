from .onnx_export import (PIPNetDecodeModel, PIPNetDeployModel, export_decoder_onnx,
                          export_onnx)

__all__ = ['PIPNetDecodeModel', 'PIPNetDeployModel', 'export_decoder_onnx', 'export_onnx']
