package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
)

// oddSizes are matrix sizes just below, at and above multiples of the
// register tiles (6 and 16) and of powers of two.
var oddSizes = []int{1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 65, 127, 129}

var (
	alphas = []float32{1, -0.5}
	betas  = []float32{0, 1, 0.3}
)

// useKernel makes Sgemm run kern until the test ends. Tests that call it
// must not run in parallel with each other.
func useKernel(t testing.TB, kern *microKernel) {
	prev := activeKernel()
	selectedKernel.Store(kern)
	t.Cleanup(func() { selectedKernel.Store(prev) })
}

// testKernels returns the generic kernel and every assembly kernel this CPU runs.
func testKernels() []*microKernel {
	return append([]*microKernel{genericKernel}, availableKernels()...)
}

// matrix is a rows×cols row-major matrix stored with leading dimension ld >= cols.
type matrix struct {
	rows, cols, ld int
	data           []float32
}

// newMatrix returns a matrix with values uniform in [-1, 1) and padding
// columns set to pad, so a test can see writes outside the matrix.
func newMatrix(rng *rand.Rand, rows, cols, ld int, pad float32) matrix {
	mat := matrix{rows: rows, cols: cols, ld: ld, data: make([]float32, max(0, (rows-1)*ld+cols))}
	for i := range mat.data {
		if i%ld < cols {
			mat.data[i] = 2*rng.Float32() - 1
		} else {
			mat.data[i] = pad
		}
	}
	return mat
}

func (mat matrix) at(i, j int) float64 { return float64(mat.data[i*mat.ld+j]) }

// opAt returns element (i, j) of op(mat): mat itself, or its transpose.
func (mat matrix) opAt(trans bool, i, j int) float64 {
	if trans {
		return mat.at(j, i)
	}
	return mat.at(i, j)
}

// naiveProduct returns op(A)*op(B) and |op(A)|*|op(B)| as m×n float64
// matrices, with the triple loop in float64.
func naiveProduct(transA, transB bool, m, n, k int, a, b matrix) (prod, absProd []float64) {
	prod = make([]float64, m*n)
	absProd = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, sAbs float64
			for p := 0; p < k; p++ {
				x := a.opAt(transA, i, p) * b.opAt(transB, p, j)
				s += x
				sAbs += math.Abs(x)
			}
			prod[i*n+j] = s
			absProd[i*n+j] = sAbs
		}
	}
	return prod, absProd
}

// gemmCase is one Sgemm call checked against the naive product.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	padA, padB     int // extra columns of leading dimension
	padC           int
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%t/tB=%t/m=%d/n=%d/k=%d/pad=%d,%d,%d", tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.padA, tc.padB, tc.padC)
}

// checkSgemm runs Sgemm for every alpha and beta on one shape and compares C
// with the float64 reference. The tolerance per element is
// (k+4)*eps32*(|alpha|*sum_p |a_ip*b_pj| + |beta*c_ij|) with eps32 = 2^-23.
// That is about twice the worst-case rounding error of a k-term float32 dot
// product, k*2^-24 times the sum of absolute products, plus the rounding of
// the alpha and beta terms. The padding of C must stay untouched.
func checkSgemm(t *testing.T, rng *rand.Rand, tc gemmCase) {
	t.Helper()
	aRows, aCols := tc.m, tc.k
	if tc.transA {
		aRows, aCols = tc.k, tc.m
	}
	bRows, bCols := tc.k, tc.n
	if tc.transB {
		bRows, bCols = tc.n, tc.k
	}
	const pad = 12345
	a := newMatrix(rng, aRows, aCols, max(1, aCols+tc.padA), pad)
	b := newMatrix(rng, bRows, bCols, max(1, bCols+tc.padB), pad)
	c0 := newMatrix(rng, tc.m, tc.n, max(1, tc.n+tc.padC), pad)
	prod, absProd := naiveProduct(tc.transA, tc.transB, tc.m, tc.n, tc.k, a, b)
	const eps32 = 1.0 / (1 << 23)

	c := make([]float32, len(c0.data))
	for _, alpha := range alphas {
		for _, beta := range betas {
			copy(c, c0.data)
			if beta == 0 {
				// C must be overwritten, so NaNs in it must not reach the result.
				for i := 0; i < tc.m; i++ {
					for j := 0; j < tc.n; j++ {
						c[i*c0.ld+j] = float32(math.NaN())
					}
				}
			}
			Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, alpha, a.data, a.ld, b.data, b.ld, beta, c, c0.ld)

			for i := 0; i < tc.m; i++ {
				for j := 0; j < tc.n; j++ {
					old := c0.at(i, j)
					want := float64(alpha)*prod[i*tc.n+j] + float64(beta)*old
					tol := float64(tc.k+4) * eps32 * (math.Abs(float64(alpha))*absProd[i*tc.n+j] + math.Abs(float64(beta)*old))
					got := float64(c[i*c0.ld+j])
					diff := math.Abs(got - want)
					if math.IsNaN(got) || diff > tol {
						t.Fatalf("alpha=%g beta=%g: C[%d,%d] got %g, want %g (diff %.3g, tolerance %.3g)", alpha, beta, i, j, got, want, diff, tol)
					}
				}
			}
			for i, v := range c {
				if i%c0.ld >= tc.n && v != pad { // bits of pad are exact in float32
					t.Fatalf("alpha=%g beta=%g: padding C[%d] got %g, want %g untouched", alpha, beta, i, v, float32(pad))
				}
			}
		}
	}
}

func TestSgemmOddShapes(t *testing.T) {
	sizes := oddSizes
	if testing.Short() {
		sizes = []int{1, 2, 7, 16, 17, 33, 65}
	}
	for _, kern := range testKernels() {
		t.Run(kern.name, func(t *testing.T) {
			useKernel(t, kern)
			rng := rand.New(rand.NewPCG(1, 2))
			for _, transA := range []bool{false, true} {
				for _, transB := range []bool{false, true} {
					for _, m := range sizes {
						for _, n := range sizes {
							for _, k := range sizes {
								// Vary the padding so some leading dimensions equal the width.
								tc := gemmCase{transA: transA, transB: transB, m: m, n: n, k: k,
									padA: (m + k) % 3, padB: (n + k) % 4, padC: (m + n) % 5}
								t.Run(tc.String(), func(t *testing.T) { checkSgemm(t, rng, tc) })
							}
						}
					}
				}
			}
		})
	}
}

// TestSgemmBlocking covers shapes larger than one cache block in every
// dimension (kc = 256, mc = 256, nc = 512 for AVX-512), so the loops over
// blocks, the k-block accumulation with beta = 1 and the parallel split run.
func TestSgemmBlocking(t *testing.T) {
	shapes := []gemmCase{
		{m: 300, n: 530, k: 600, padA: 5, padB: 3, padC: 7},
		{m: 520, n: 49, k: 777, padA: 1},
		{m: 49, n: 1100, k: 257, padC: 16},
		{m: 16, n: 2048, k: 520},
		// m pads to 16 with less waste than n, so these compute Cᵀ.
		{m: 96, n: 700, k: 300, padB: 2},
		{m: 560, n: 300, k: 260, padA: 3, padC: 1},
	}
	if testing.Short() {
		shapes = shapes[1:2]
	}
	for _, kern := range testKernels() {
		t.Run(kern.name, func(t *testing.T) {
			useKernel(t, kern)
			rng := rand.New(rand.NewPCG(5, 6))
			for _, shape := range shapes {
				for _, transA := range []bool{false, true} {
					for _, transB := range []bool{false, true} {
						tc := shape
						tc.transA, tc.transB = transA, transB
						t.Run(tc.String(), func(t *testing.T) { checkSgemm(t, rng, tc) })
					}
				}
			}
		})
	}
}

// TestSgemmEdgeRows runs every row count of the edge kernels, both for C
// (m from 1 to 33) and for Cᵀ (n from 1 to 33 with m = 32, where Sgemm
// computes the transpose because m pads to 16 without waste).
func TestSgemmEdgeRows(t *testing.T) {
	var cases []gemmCase
	for size := 1; size <= 33; size++ {
		cases = append(cases, gemmCase{m: size, n: 20, k: 9, padC: 1})
		cases = append(cases, gemmCase{transA: true, m: 32, n: size, k: 11, padC: 2})
	}
	for _, kern := range testKernels() {
		t.Run(kern.name, func(t *testing.T) {
			useKernel(t, kern)
			rng := rand.New(rand.NewPCG(13, 14))
			for _, tc := range cases {
				t.Run(tc.String(), func(t *testing.T) { checkSgemm(t, rng, tc) })
			}
		})
	}
}

// TestSgemmGoroutineCounts runs the parallel split with more parts than this
// machine has cores, and with a single one.
func TestSgemmGoroutineCounts(t *testing.T) {
	for _, procs := range []int{1, 3, 5} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			for _, kern := range availableKernels() {
				t.Run(kern.name, func(t *testing.T) {
					useKernel(t, kern)
					rng := rand.New(rand.NewPCG(7, 8))
					checkSgemm(t, rng, gemmCase{m: 161, n: 230, k: 100, padC: 3})
					checkSgemm(t, rng, gemmCase{transA: true, m: 40, n: 900, k: 70})
				})
			}
		})
	}
}

// TestSgemmConcurrentCalls calls Sgemm from several goroutines at once, as
// independent layers of a model might. Run it with -race.
func TestSgemmConcurrentCalls(t *testing.T) {
	for _, kern := range testKernels() {
		t.Run(kern.name, func(t *testing.T) {
			useKernel(t, kern)
			var wg sync.WaitGroup
			for g := range 6 {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(9, uint64(g)))
					for _, tc := range []gemmCase{
						{m: 64, n: 200 + g, k: 90},
						{transB: true, m: 129, n: 65, k: 300 + g},
					} {
						t.Run(fmt.Sprintf("goroutine%d/%v", g, tc), func(t *testing.T) { checkSgemm(t, rng, tc) })
					}
				})
			}
			wg.Wait()
		})
	}
}

// TestSgemmNoScaling checks the shortcuts for alpha = 0 and k = 0: C becomes
// beta*C, A and B are not read, and beta = 0 clears NaNs.
func TestSgemmNoScaling(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		name  string
		k     int
		alpha float32
		a, b  []float32
		beta  float32
		c     []float32
		want  []float32
	}{
		{name: "k=0 beta=0", k: 0, alpha: 1, beta: 0, c: []float32{nan, 2, 3, 4}, want: []float32{0, 0, 3, 4}},
		{name: "k=0 beta=2", k: 0, alpha: 1, beta: 2, c: []float32{1, 2, 3, 4}, want: []float32{2, 4, 3, 4}},
		{name: "alpha=0 beta=1", k: 1, alpha: 0, a: []float32{nan}, b: []float32{nan, nan}, beta: 1, c: []float32{1, 2, 3, 4}, want: []float32{1, 2, 3, 4}},
		{name: "alpha=0 beta=0.5", k: 1, alpha: 0, a: []float32{nan}, b: []float32{nan, nan}, beta: 0.5, c: []float32{1, 2, 3, 4}, want: []float32{0.5, 1, 3, 4}},
	}
	for _, kern := range testKernels() {
		for _, tt := range tests {
			t.Run(kern.name+"/"+tt.name, func(t *testing.T) {
				useKernel(t, kern)
				c := slices.Clone(tt.c)
				// C is 1×2 with ldc = 4; elements 2 and 3 lie outside it.
				Sgemm(false, false, 1, 2, tt.k, tt.alpha, tt.a, max(1, tt.k), tt.b, 2, tt.beta, c, 4)
				if !slices.Equal(c, tt.want) {
					t.Errorf("C got %v, want %v", c, tt.want)
				}
			})
		}
	}
}

// TestSgemmNoAllocs checks that a parallel call allocates nothing once the
// workers and buffers exist.
func TestSgemmNoAllocs(t *testing.T) {
	const m, n, k = 96, 700, 200 // above the parallel threshold
	a := make([]float32, m*k)
	b := make([]float32, k*n)
	c := make([]float32, m*n)
	for _, kern := range availableKernels() {
		t.Run(kern.name, func(t *testing.T) {
			useKernel(t, kern)
			for _, trans := range []bool{false, true} {
				lda, ldb := k, n
				if trans {
					lda, ldb = m, k
				}
				allocs := testing.AllocsPerRun(20, func() {
					Sgemm(trans, trans, m, n, k, 1, a, lda, b, ldb, 0.5, c, n)
				})
				if allocs != 0 {
					t.Errorf("trans=%t: got %v allocations per call, want 0", trans, allocs)
				}
			}
		})
	}
}

// TestDgemmOddShapes checks the float64 wrapper against the naive product
// with tolerance (k+4)*eps64*(|alpha|*sum_p |a_ip*b_pj| + |beta*c_ij|),
// eps64 = 2^-52.
func TestDgemmOddShapes(t *testing.T) {
	sizes := []int{1, 2, 7, 16, 17, 33}
	rng := rand.New(rand.NewPCG(11, 12))
	const eps64 = 1.0 / (1 << 52)
	for _, transA := range []bool{false, true} {
		for _, transB := range []bool{false, true} {
			for _, m := range sizes {
				for _, n := range sizes {
					for _, k := range sizes {
						tc := gemmCase{transA: transA, transB: transB, m: m, n: n, k: k, padA: 1, padB: 2, padC: 3}
						t.Run(tc.String(), func(t *testing.T) {
							a, b, c0 := dgemmOperands(rng, tc)
							prod, absProd := naiveProduct(tc.transA, tc.transB, m, n, k, a.toFloat32(), b.toFloat32())
							for _, alpha := range []float64{1, -0.5} {
								for _, beta := range []float64{0, 1, 0.3} {
									c := slices.Clone(c0.data)
									Dgemm(transA, transB, m, n, k, alpha, a.data, a.ld, b.data, b.ld, beta, c, c0.ld)
									for i := 0; i < m; i++ {
										for j := 0; j < n; j++ {
											old := c0.data[i*c0.ld+j]
											want := alpha*prod[i*n+j] + beta*old
											tol := float64(k+4) * eps64 * (math.Abs(alpha)*absProd[i*n+j] + math.Abs(beta*old))
											got := c[i*c0.ld+j]
											if math.Abs(got-want) > tol {
												t.Fatalf("alpha=%g beta=%g: C[%d,%d] got %.17g, want %.17g (tolerance %.3g)", alpha, beta, i, j, got, want, tol)
											}
										}
									}
								}
							}
						})
					}
				}
			}
		}
	}
}

// matrix64 is the float64 counterpart of matrix. Its values are float32
// numbers, so naiveProduct can compute the exact reference from a copy.
type matrix64 struct {
	rows, cols, ld int
	data           []float64
}

func (mat matrix64) toFloat32() matrix {
	out := matrix{rows: mat.rows, cols: mat.cols, ld: mat.ld, data: make([]float32, len(mat.data))}
	for i, v := range mat.data {
		out.data[i] = float32(v)
	}
	return out
}

func dgemmOperands(rng *rand.Rand, tc gemmCase) (a, b, c matrix64) {
	widen := func(mat matrix) matrix64 {
		out := matrix64{rows: mat.rows, cols: mat.cols, ld: mat.ld, data: make([]float64, len(mat.data))}
		for i, v := range mat.data {
			out.data[i] = float64(v)
		}
		return out
	}
	aRows, aCols := tc.m, tc.k
	if tc.transA {
		aRows, aCols = tc.k, tc.m
	}
	bRows, bCols := tc.k, tc.n
	if tc.transB {
		bRows, bCols = tc.n, tc.k
	}
	a = widen(newMatrix(rng, aRows, aCols, aCols+tc.padA, 0))
	b = widen(newMatrix(rng, bRows, bCols, bCols+tc.padB, 0))
	c = widen(newMatrix(rng, tc.m, tc.n, tc.n+tc.padC, 0))
	return a, b, c
}
