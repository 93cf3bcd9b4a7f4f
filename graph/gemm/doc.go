// Package gemm multiplies dense row-major matrices for the convolution and
// fully connected ops of the ResNet models.
//
// Sgemm computes C = alpha*op(A)*op(B) + beta*C in float32 with the argument
// conventions of CBLAS with CblasRowMajor. A convolution lowered with im2col
// calls it three times per step: W×col forward, Wᵀ×dOut for the input
// gradient and dOut×colᵀ for the filter gradient. Dgemm is the float64
// counterpart; it calls gonum's pure Go Dgemm because only tests use float64.
//
// # Kernels
//
// Sgemm has three implementations, chosen once, on the first call:
//
//   - avx512: a 16×16 register tile of C in 16 ZMM accumulators, with the
//     values of A broadcast from memory by the FMA itself. Needs AVX-512F.
//   - avx2: a 6×16 tile in 12 YMM accumulators. Needs AVX2 and FMA.
//   - generic: gonum's pure Go Sgemm (gonum.org/v1/gonum/blas/gonum), used on
//     other CPUs, on other architectures and with the purego build tag.
//
// By default the fastest kernel that the CPU and OS support is used, as
// reported by golang.org/x/sys/cpu. Set the environment variable RESNET_GEMM
// to "generic", "avx2" or "avx512" to force one, for tests or comparisons.
// Sgemm and Kernel panic if the value is invalid or names a kernel the CPU
// lacks. Kernel returns the name of the kernel in use.
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
// The limits, sized for AMD Zen 4 (32 KiB L1D and 1 MiB L2 per core):
//
//   - kc = 256: a B micro-panel (256×16 floats, 16 KiB) and the A
//     micro-panel streamed against it fit in L1 together.
//   - mc = 256 (240 for avx2, a multiple of its 6 rows): the packed A block
//     (256 KiB) stays in L2.
//   - nc = 512: the packed B block (512 KiB) also stays in L2, so packing
//     never writes it out to L3 only to read it back.
//
// Tiles on the bottom edge of C use kernels that compute only the rows that
// exist. Columns are computed in whole vectors, so a narrow C wastes lanes:
// n = 49 fills 49 of 64. When m pads to a multiple of 16 with less waste than
// n, the avx512 path computes Cᵀ = op(B)ᵀ·op(A)ᵀ instead and its kernel stores
// each tile transposed.
//
// # Threads and memory
//
// Calls with m*n*k of at least 2^20 (about 2 MFLOP) split C into up to
// GOMAXPROCS column or row strips of whole tiles. Columns are split when
// n >= m, so each goroutine packs all of the smaller A but only its own part
// of B, and rows otherwise. The strips run on long-lived worker goroutines
// and on the caller. Packing buffers come from a free list, so Sgemm
// allocates nothing once it has run a few times. Sgemm may be called from
// several goroutines at once.
package gemm
