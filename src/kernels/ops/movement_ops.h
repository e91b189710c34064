// Registration entry points of the movement family's op files (data
// movement, pooling, reductions, resize). RegisterMovementKernels (ops.h)
// calls them all.
#ifndef EDGERUN_KERNELS_OPS_MOVEMENT_OPS_H_
#define EDGERUN_KERNELS_OPS_MOVEMENT_OPS_H_

namespace edgerun::kernels {

class KernelRegistry;

void RegisterConcatenationKernels(KernelRegistry& registry);  // + PACK, UNPACK
void RegisterSplitKernels(KernelRegistry& registry);          // SPLIT, SPLIT_V
void RegisterTransposeKernels(KernelRegistry& registry);      // + DEPTH/SPACE
void RegisterPadKernels(KernelRegistry& registry);  // PAD, PADV2, MIRROR
void RegisterStridedSliceKernels(KernelRegistry& registry);  // + SLICE
void RegisterGatherKernels(KernelRegistry& registry);        // + GATHER_ND
void RegisterTileKernels(KernelRegistry& registry);          // + BROADCAST_TO
void RegisterShapeKernels(KernelRegistry& registry);  // SHAPE, FILL, ZEROS_LIKE
void RegisterArgMinMaxKernels(KernelRegistry& registry);
void RegisterPoolingKernels(KernelRegistry& registry);
void RegisterReduceKernels(KernelRegistry& registry);
void RegisterResizeKernels(KernelRegistry& registry);

}  // namespace edgerun::kernels

#endif  // EDGERUN_KERNELS_OPS_MOVEMENT_OPS_H_
