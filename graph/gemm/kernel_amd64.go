//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

//go:generate go run ./internal/kernelgen -out .

// The kernels compute c[i*ldc+j] = alpha*sum_p a[p*width+i]*b[p*nr+j] +
// beta*c[i*ldc+j] for i < rows and j < nr over kc steps of the packed panels
// a and b, and never read c when beta is ±0. The transposed kernel stores
// the same tile at c[j*ldc+i].

// Cache blocking for AMD Zen 4, with 32 KiB of L1D and 1 MiB of L2 per core:
//   - kc = 256: a B micro-panel (256×16 floats, 16 KiB) and an A micro-panel
//     of the same size fit in L1 together. 192, 384 and 512 ran as fast,
//     within the noise of single-threaded runs.
//   - mc = 256: the packed A block (256×256 floats, 256 KiB) stays in L2.
//   - nc = 512: the packed B block (256×512 floats, 512 KiB) also stays in
//     L2, so a freshly packed block is not written out to L3 and read back.
//     In single-threaded runs it was never clearly slower than nc = 4096,
//     and up to 25% faster for m = 64.
//
// NOTE: these sizes were tuned on Zen 4 only. Intel cores with AVX-512 have
// larger L1D and L2 caches and may prefer larger blocks.
var avx512Kernel = &microKernel{
	name: KernelAVX512, mr: 16, nr: 16, kc: 256, mc: 256, nc: 512, pack: packAVX512,
	tile:  sgemmKernel16x16AVX512,
	tileT: sgemmKernel16x16TAVX512,
	edge: []kernelFunc{nil,
		sgemmKernel1x16AVX512, sgemmKernel2x16AVX512, sgemmKernel3x16AVX512, sgemmKernel4x16AVX512,
		sgemmKernel5x16AVX512, sgemmKernel6x16AVX512, sgemmKernel7x16AVX512, sgemmKernel8x16AVX512,
		sgemmKernel9x16AVX512, sgemmKernel10x16AVX512, sgemmKernel11x16AVX512, sgemmKernel12x16AVX512,
		sgemmKernel13x16AVX512, sgemmKernel14x16AVX512, sgemmKernel15x16AVX512},
}

// The AVX2 kernel holds a 6×16 tile in 12 of the 16 YMM registers. It uses
// the AVX-512 blocking, with mc rounded down to a multiple of mr = 6, and has
// no transposed store.
var avx2Kernel = &microKernel{
	name: KernelAVX2, mr: 6, nr: 16, kc: 256, mc: 240, nc: 512, pack: packAVX,
	tile: sgemmKernel6x16AVX2,
	edge: []kernelFunc{nil,
		sgemmKernel1x16AVX2, sgemmKernel2x16AVX2, sgemmKernel3x16AVX2, sgemmKernel4x16AVX2, sgemmKernel5x16AVX2},
}

// availableKernels returns the assembly kernels this CPU and OS support, fastest first.
func availableKernels() []*microKernel {
	var ks []*microKernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, avx512Kernel)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, avx2Kernel)
	}
	return ks
}
