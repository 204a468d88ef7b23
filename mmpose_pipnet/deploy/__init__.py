from .onnx_export import PIPNetDeployModel, export_onnx

__all__ = ['PIPNetDeployModel', 'export_onnx']
