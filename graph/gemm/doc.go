// Package gemm multiplies dense row-major matrices for the convolution and
// fully connected ops of the ResNet models.
//
// Sgemm computes C = alpha*op(A)*op(B) + beta*C in float32 with the argument
// conventions of CBLAS with CblasRowMajor. A convolution lowered with im2col
// calls it three times per step: W×col forward, Wᵀ×dOut for the input
// gradient and dOut×colᵀ for the filter gradient. Dgemm is the float64
// counterpart. It calls gonum's pure Go Dgemm, because only tests use float64.
//
// # Kernels
//
// Sgemm has three implementations:
//
//   - avx512: a 16×16 register tile of C in 16 ZMM accumulators, with each
//     value of A broadcast from memory by the FMA itself. Needs AVX-512F.
//   - avx2: a 6×16 tile in 12 YMM accumulators. Needs AVX2 and FMA.
//   - generic: gonum's pure Go Sgemm (gonum.org/v1/gonum/blas/gonum), used on
//     other CPUs, on other architectures and with the purego build tag.
//
// The micro-kernels are Go assembly written by internal/kernelgen (run go
// generate after changing it). On the first call Sgemm picks the fastest
// kernel that the CPU and OS support, as reported by golang.org/x/sys/cpu.
// Set the environment variable RESNET_GEMM to "generic", "avx2" or "avx512"
// before that call to force one, for tests or comparisons. Sgemm and Kernel
// panic if the value is invalid or names a kernel the CPU lacks. Kernel
// returns the name of the kernel in use.
//
// # Blocking
//
// The assembly kernels follow the GotoBLAS and BLIS scheme. The k dimension
// is cut into blocks of at most kc, n into blocks of at most nc and m into
// blocks of at most mc. A kc×nc block of op(B) is packed into micro-panels of
// 16 columns and an mc×kc block of op(A) into micro-panels of mr rows, each
// laid out in the order the micro-kernel reads it. Blocks are split evenly,
// so k = 576 runs as three blocks of 192 rather than 256+256+64.
//
// The limits are sized for AMD Zen 4, with 32 KiB of L1D and 1 MiB of L2 per
// core:
//
//   - kc = 256: a B micro-panel (256×16 floats, 16 KiB) and the A
//     micro-panel streamed against it fit in L1 together.
//   - mc = 256 (240 for avx2, a multiple of its 6 rows): the packed A block
//     (256 KiB) stays in L2.
//   - nc = 512: the packed B block (512 KiB) also stays in L2, so a freshly
//     packed block is not written out to L3 and read back.
//
// Tiles on the bottom edge of C use kernels that compute only the rows that
// exist. Columns are computed in whole vectors of 16, so a narrow C wastes
// lanes: n = 49 fills 49 of 64. When m pads to a multiple of 16 with less
// waste than n does, the avx512 path computes Cᵀ = op(B)ᵀ·op(A)ᵀ instead,
// and its kernel stores each tile transposed.
//
// # Threads and memory
//
// Calls with m*n*k of at least 2^20 (about 2 MFLOP) split C into up to
// 2*GOMAXPROCS strips of whole tiles: column strips when n >= m, so that each
// strip packs all of the smaller A but only its own part of B, and row strips
// otherwise. Long-lived worker goroutines and the calling goroutine claim the
// strips one at a time, so a core taken by another process or by the garbage
// collector delays the call by at most about one strip. Packing buffers come
// from a free list, so after the first calls Sgemm allocates nothing. Sgemm
// may be called from several goroutines at once.
package gemm
