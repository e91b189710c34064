// The matrix / sequence / detection op family: FULLY_CONNECTED,
// BATCH_MATMUL, TRANSPOSE_CONV, UNIDIRECTIONAL_SEQUENCE_LSTM, SVDF and the
// TFLite_Detection_PostProcess custom op. RegisterMatrixKernels (ops.h)
// registers them all; each op file defines one of these.
#ifndef EDGERUN_KERNELS_OPS_MATRIX_OPS_H_
#define EDGERUN_KERNELS_OPS_MATRIX_OPS_H_

namespace edgerun::kernels {

class KernelRegistry;

void RegisterFullyConnectedKernels(KernelRegistry& registry);
void RegisterBatchMatMulKernels(KernelRegistry& registry);
void RegisterTransposeConvKernels(KernelRegistry& registry);
void RegisterLstmKernels(KernelRegistry& registry);
void RegisterSvdfKernels(KernelRegistry& registry);
void RegisterDetectionPostProcessKernels(KernelRegistry& registry);

}  // namespace edgerun::kernels

#endif  // EDGERUN_KERNELS_OPS_MATRIX_OPS_H_
