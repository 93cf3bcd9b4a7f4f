//go:build amd64 && !purego

package gemm

// The panel packers need AVX, which every assembly kernel implies.

// copyPanel16 copies kc rows of 16 floats, spaced ld floats apart in src, to
// dst as one contiguous kc×16 panel.
//
//go:noescape
func copyPanel16(kc int, src *float32, ld int, dst *float32)

// transposePanel16 packs 16 rows of src, spaced ld floats apart, so that
// dst[p*16+i] = src[i*ld+p] for p < kc8. kc8 must be a multiple of 8.
//
//go:noescape
func transposePanel16(kc8 int, src *float32, ld int, dst *float32)

// copyPanels16 packs a kc×(16*panels) block of src, whose rows are ld floats
// apart, into panels contiguous kc×16 panels at dst. It reads the rows in
// order, which hardware prefetchers follow better than copyPanel16 does.
//
//go:noescape
func copyPanels16(kc int, src *float32, ld int, dst *float32, panels, prefetch int)
