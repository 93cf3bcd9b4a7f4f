package gemm

import (
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where
// op(X) is X, or Xᵀ when transX is true. op(A) is m×k, op(B) is k×n and C is
// m×n. A is stored as m×k with lda >= max(1, k), or as k×m with lda >= max(1, m)
// when transA is true. B is stored as k×n with ldb >= max(1, n), or as n×k with
// ldb >= max(1, k) when transB is true, and ldc >= max(1, n).
//
// When beta is zero, C is overwritten without being read, so NaNs in C do not
// propagate. C must not overlap A or B.
//
// Sgemm panics on a negative size, a leading dimension that is too small or a
// slice that is too short for its matrix. It also panics when RESNET_GEMM is
// invalid (see Kernel). It may run on several goroutines, and it is safe to
// call from several goroutines at once.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}

	kern := activeKernel()
	if alpha == 0 || k == 0 {
		scaleRows(m, n, beta, c, ldc)
		return
	}
	if kern.tile == nil {
		gonum.Implementation{}.Sgemm(blasTranspose(transA), blasTranspose(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	sgemmParallel(kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm computes C = alpha*op(A)*op(B) + beta*C in float64 with the same
// layout, argument rules and panics as Sgemm. It calls gonum's pure Go
// implementation, because only tests use float64.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	checkArgs(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleRows(m, n, beta, c, ldc)
		return
	}
	gonum.Implementation{}.Dgemm(blasTranspose(transA), blasTranspose(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func blasTranspose(trans bool) blas.Transpose {
	if trans {
		return blas.Trans
	}
	return blas.NoTrans
}

// checkArgs panics with a message naming the invalid argument. Sizes and
// leading dimensions follow row-major CBLAS. Slice lengths are checked only
// when C is not empty, and only for non-empty matrices, so nil slices are
// valid when m, n or k is zero.
func checkArgs(transA, transB bool, m, n, k, lenA, lda, lenB, ldb, lenC, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(errors.Errorf("gemm: invalid size m=%d n=%d k=%d: sizes must not be negative", m, n, k))
	}

	// Stored shape of each operand: rows × cols with the leading dimension >= cols.
	aRows, aCols := m, k
	if transA {
		aRows, aCols = k, m
	}
	bRows, bCols := k, n
	if transB {
		bRows, bCols = n, k
	}
	if lda < max(1, aCols) {
		panic(errors.Errorf("gemm: invalid lda=%d: A is stored as %d×%d (transA=%t), so lda must be at least %d", lda, aRows, aCols, transA, max(1, aCols)))
	}
	if ldb < max(1, bCols) {
		panic(errors.Errorf("gemm: invalid ldb=%d: B is stored as %d×%d (transB=%t), so ldb must be at least %d", ldb, bRows, bCols, transB, max(1, bCols)))
	}
	if ldc < max(1, n) {
		panic(errors.Errorf("gemm: invalid ldc=%d: C is %d×%d, so ldc must be at least %d", ldc, m, n, max(1, n)))
	}

	// Like gonum, an empty C needs no operands: the call does nothing.
	if m == 0 || n == 0 {
		return
	}
	checkLen("A", lenA, aRows, aCols, lda)
	checkLen("B", lenB, bRows, bCols, ldb)
	checkLen("C", lenC, m, n, ldc)
}

// checkLen panics if a rows×cols matrix with leading dimension ld does not fit
// in a slice of length have.
func checkLen(name string, have, rows, cols, ld int) {
	if rows == 0 || cols == 0 {
		return
	}
	need := (rows-1)*ld + cols
	if have < need {
		panic(errors.Errorf("gemm: slice %s is too short: len %d, but a %d×%d matrix with leading dimension %d needs at least %d", name, have, rows, cols, ld, need))
	}
}

// scaleRows sets C = beta*C. A zero beta writes zeros, so NaNs in C are cleared.
func scaleRows[T float32 | float64](m, n int, beta T, c []T, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
