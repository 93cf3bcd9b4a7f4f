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
// Rows past mc are zero, so edge tiles can run the full kernel.
func packA(dst []float32, isa packISA, transA bool, a []float32, lda, i0, p0, mc, kc, mr int) {
	for ir := 0; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		panel := dst[(ir/mr)*kc*mr : (ir/mr+1)*kc*mr]
		if transA {
			// A is stored k×m: each step is a contiguous run of mr values.
			packRuns(panel, a[p0*lda+i0+ir:], lda, kc, rows, mr, isa)
		} else {
			// A is stored m×k: each stored row becomes one lane of the panel.
			packTransposed(panel, a[(i0+ir)*lda+p0:], lda, kc, rows, mr, isa)
		}
	}
}

// packB copies the kc×nc block of op(B) that starts at row p0 and column j0
// into dst as micro-panels of nr columns. Panel r holds columns
// r*nr..r*nr+nr-1 as kc steps of nr contiguous values. Columns past nc are
// zero.
func packB(dst []float32, isa packISA, transB bool, b []float32, ldb, p0, j0, kc, nc, nr int) {
	start := 0
	if isa != packGo && !transB && nr == 16 && nc >= 16 {
		full := nc / 16
		_ = b[(p0+kc-1)*ldb+j0+full*16-1] // bounds check for the assembly
		copyPanels16(kc, &b[p0*ldb+j0], ldb, &dst[0], full, packPrefetchRows)
		start = full * 16
	}
	for jr := start; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		panel := dst[(jr/nr)*kc*nr : (jr/nr+1)*kc*nr]
		if transB {
			packTransposed(panel, b[(j0+jr)*ldb+p0:], ldb, kc, cols, nr, isa)
		} else {
			packRuns(panel, b[p0*ldb+j0+jr:], ldb, kc, cols, nr, isa)
		}
	}
}

// packPrefetchRows is how many rows ahead copyPanels16 prefetches the source.
// Each row of a B block is only nc floats (2 KiB) long, too short for the
// hardware prefetchers to ramp up on.
const packPrefetchRows = 2

// packRuns fills panel[p*width+i] = src[p*ld+i] for p < kc and i < valid,
// and zeros the lanes from valid to width.
func packRuns(panel, src []float32, ld, kc, valid, width int, isa packISA) {
	if isa != packGo && width == 16 && valid == 16 {
		_ = src[(kc-1)*ld+15] // bounds check for the assembly
		copyPanel16(kc, &src[0], ld, &panel[0])
		return
	}
	for p := 0; p < kc; p++ {
		d := panel[p*width : p*width+width]
		copy(d, src[p*ld:p*ld+valid])
		clear(d[valid:])
	}
}

// packTransposed fills panel[p*width+i] = src[i*ld+p] for p < kc and
// i < valid, and zeros the lanes from valid to width.
func packTransposed(panel, src []float32, ld, kc, valid, width int, isa packISA) {
	done := 0
	if isa == packAVX512 && width == 16 && valid == 16 && kc >= 16 {
		done = kc &^ 15
		_ = src[15*ld+done-1] // bounds check for the assembly
		transposePanel16AVX512(done, &src[0], ld, &panel[0])
	}
	if isa != packGo && width == 16 && valid == 16 && kc-done >= 8 {
		n := (kc - done) &^ 7
		_ = src[15*ld+done+n-1] // bounds check for the assembly
		transposePanel16(n, &src[done], ld, &panel[done*16])
		done += n
	}
	if done == kc {
		return
	}
	for i := 0; i < valid; i++ {
		row := src[i*ld+done : i*ld+kc]
		for p, v := range row {
			panel[(done+p)*width+i] = v
		}
	}
	for i := valid; i < width; i++ {
		for p := done; p < kc; p++ {
			panel[p*width+i] = 0
		}
	}
}
