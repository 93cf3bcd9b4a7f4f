package gemm

// packISA selects the instruction set of the panel packers.
type packISA int

const (
	packGo     packISA = iota // portable Go loops
	packAVX                   // AVX packers for panels 16 wide
	packAVX512                // AVX-512 transposing packer, AVX for the rest
)

// packA copies the mc×kc block of op(A) that starts at row i0 and column p0
// into dst as micro-panels of mr rows. Panel r holds rows r*mr..r*mr+mr-1 as
// kc steps of mr contiguous values, so the micro-kernel reads it sequentially.
// Rows past mc are zero.
func packA(dst []float32, isa packISA, transA bool, a []float32, lda, i0, p0, mc, kc, mr int) {
	if transA {
		// A is stored k×m, so each k step of a panel is a contiguous run of mr values.
		packRuns(dst, a[p0*lda+i0:], lda, kc, mc, mr, isa)
	} else {
		// A is stored m×k, so each stored row becomes one lane of a panel.
		packTransposed(dst, a[i0*lda+p0:], lda, kc, mc, mr, isa)
	}
}

// packB copies the kc×nc block of op(B) that starts at row p0 and column j0
// into dst as micro-panels of nr columns. Panel r holds columns
// r*nr..r*nr+nr-1 as kc steps of nr contiguous values. Columns past nc are
// zero.
func packB(dst []float32, isa packISA, transB bool, b []float32, ldb, p0, j0, kc, nc, nr int) {
	if transB {
		packTransposed(dst, b[j0*ldb+p0:], ldb, kc, nc, nr, isa)
	} else {
		packRuns(dst, b[p0*ldb+j0:], ldb, kc, nc, nr, isa)
	}
}

// packPrefetchRows is how many rows ahead copyPanels16 prefetches its source.
// Two rows measured slightly faster on Zen 4 than none, probably because one
// row of a B block (nc floats, 2 KiB) is too short for the hardware
// prefetchers to ramp up.
const packPrefetchRows = 2

// packRuns packs the kc×width matrix src (row stride ld) into panels of w
// columns: panel q gets dst[q*kc*w+p*w+j] = src[p*ld+q*w+j]. Columns past
// width are zero.
func packRuns(dst, src []float32, ld, kc, width, w int, isa packISA) {
	start := 0
	if isa != packGo && w == 16 && width >= 16 {
		full := width / 16
		_ = src[(kc-1)*ld+full*16-1] // bounds check for the assembly
		copyPanels16(kc, &src[0], ld, &dst[0], full, packPrefetchRows)
		start = full * 16
	}
	for j0 := start; j0 < width; j0 += w {
		valid := min(w, width-j0)
		panel := dst[(j0/w)*kc*w : (j0/w+1)*kc*w]
		for p := 0; p < kc; p++ {
			d := panel[p*w : p*w+w]
			copy(d, src[p*ld+j0:p*ld+j0+valid])
			clear(d[valid:])
		}
	}
}

// packTransposed packs the transpose of the width×kc matrix src (row stride
// ld) into panels of w lanes: panel q gets dst[q*kc*w+p*w+i] =
// src[(q*w+i)*ld+p]. Lanes past width are zero.
func packTransposed(dst, src []float32, ld, kc, width, w int, isa packISA) {
	for i0 := 0; i0 < width; i0 += w {
		valid := min(w, width-i0)
		panel := dst[(i0/w)*kc*w : (i0/w+1)*kc*w]
		packTransposedPanel(panel, src[i0*ld:], ld, kc, valid, w, isa)
	}
}

// packTransposedPanel fills panel[p*w+i] = src[i*ld+p] for p < kc and
// i < valid, and zeros the lanes from valid to w. Full panels of 16 lanes use
// the assembly transposes for as many k steps as they cover.
func packTransposedPanel(panel, src []float32, ld, kc, valid, w int, isa packISA) {
	done := 0
	if isa == packAVX512 && w == 16 && valid == 16 && kc >= 16 {
		done = kc &^ 15
		_ = src[15*ld+done-1] // bounds check for the assembly
		transposePanel16AVX512(done, &src[0], ld, &panel[0])
	}
	if isa != packGo && w == 16 && valid == 16 && kc-done >= 8 {
		n := (kc - done) &^ 7
		_ = src[15*ld+done+n-1] // bounds check for the assembly
		transposePanel16(n, &src[done], ld, &panel[done*16])
		done += n
	}
	for i := 0; i < valid; i++ {
		row := src[i*ld+done : i*ld+kc]
		for p, v := range row {
			panel[(done+p)*w+i] = v
		}
	}
	for i := valid; i < w; i++ {
		for p := done; p < kc; p++ {
			panel[p*w+i] = 0
		}
	}
}
