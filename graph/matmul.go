package graph

import (
	"sync"

	"github.com/resnetgo/resnet/graph/gemm"
)

// matmul computes c = a·b + beta·c for row-major matrices, with a transposed when transA is set
// and b when transB is set: op(a) is m×k, op(b) is k×n and c is m×n. float32 runs on the
// assembly kernels of package gemm, float64 on gonum.
func matmul[T Float](transA, transB bool, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	switch av := any(a).(type) {
	case []float32:
		gemm.Sgemm(transA, transB, m, n, k, 1, av, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		gemm.Dgemm(transA, transB, m, n, k, 1, av, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	}
}

// scratch pools hold temporary buffers (im2col columns, gathered gradients) between op runs.
var (
	scratch32 sync.Pool
	scratch64 sync.Pool
)

// getScratch returns a slice of length n whose contents are undefined. Release it with putScratch.
func getScratch[T Float](n int) []T {
	var pool *sync.Pool
	var zero T
	if _, ok := any(zero).(float32); ok {
		pool = &scratch32
	} else {
		pool = &scratch64
	}
	if p, ok := pool.Get().(*[]T); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]T, n)
}

func putScratch[T Float](s []T) {
	var zero T
	if _, ok := any(zero).(float32); ok {
		scratch32.Put(&s)
		return
	}
	scratch64.Put(&s)
}
