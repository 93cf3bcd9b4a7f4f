//go:build !amd64 || purego

package gemm

// Without assembly kernels every microKernel packs with packGo, so these are never called.

func transposePanel16(kc8 int, src *float32, ld int, dst *float32) {
	panic("gemm: transposePanel16 needs amd64 assembly")
}

func copyPanels16(kc int, src *float32, ld int, dst *float32, panels, prefetch int) {
	panic("gemm: copyPanels16 needs amd64 assembly")
}

func transposePanel16AVX512(kc16 int, src *float32, ld int, dst *float32) {
	panic("gemm: transposePanel16AVX512 needs amd64 assembly")
}
