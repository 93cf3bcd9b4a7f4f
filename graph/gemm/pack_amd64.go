//go:build amd64 && !purego

package gemm

// The panel packers need AVX, which every assembly kernel implies.

// transposePanel16 packs 16 rows of src, spaced ld floats apart, so that
// dst[p*16+i] = src[i*ld+p] for p < kc8. kc8 must be a multiple of 8.
//
//go:noescape
func transposePanel16(kc8 int, src *float32, ld int, dst *float32)

// copyPanels16 packs a kc×(16*panels) block of src, whose rows are ld floats
// apart, into panels contiguous kc×16 panels at dst. It reads the source row
// by row, which the hardware prefetchers follow better than a column of
// 64-byte pieces, and prefetches the row that lies prefetch rows ahead.
//
//go:noescape
func copyPanels16(kc int, src *float32, ld int, dst *float32, panels, prefetch int)
