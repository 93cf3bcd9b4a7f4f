package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

// convShape is one convolution GEMM of ResNet-50 in the forward layout:
// m = output channels, n = output pixels (Ho*Wo, times the batch where
// several images share one GEMM), k = input channels * kernel height * width.
type convShape struct{ cout, pixels, ckk int }

var forwardShapes = []convShape{
	{64, 3136, 147}, {64, 3136, 576}, {256, 3136, 64}, {128, 784, 1152}, {512, 784, 128},
	{256, 196, 2304}, {1024, 196, 256}, {512, 49, 4608}, {2048, 49, 512},
	// Two of the convolutions on a batch of 32 images of 64×64 pixels, with the
	// images side by side in one GEMM: 16×16×32 and 8×8×32 output pixels.
	{64, 8192, 576}, {256, 2048, 1152},
}

// benchCase is one GEMM call of a convolution pass.
type benchCase struct {
	name           string
	transA, transB bool
	m, n, k        int
}

// convBenchCases returns the forward, backward-data and backward-filter GEMMs
// of every shape: W×col, Wᵀ×dOut and dOut×colᵀ.
func convBenchCases() []benchCase {
	var cases []benchCase
	for _, s := range forwardShapes {
		cases = append(cases, benchCase{name: "fwd", m: s.cout, n: s.pixels, k: s.ckk})
	}
	for _, s := range forwardShapes {
		cases = append(cases, benchCase{name: "bwdData", transA: true, m: s.ckk, n: s.pixels, k: s.cout})
	}
	for _, s := range forwardShapes {
		cases = append(cases, benchCase{name: "bwdFilter", transB: true, m: s.cout, n: s.ckk, k: s.pixels})
	}
	return cases
}

// benchOperands returns A, B and C with leading dimensions equal to their widths.
func benchOperands(bc benchCase) (a []float32, lda int, b []float32, ldb int, c []float32) {
	rng := rand.New(rand.NewPCG(3, 4))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = 2*rng.Float32() - 1
		}
		return s
	}
	lda, ldb = bc.k, bc.n
	if bc.transA {
		lda = bc.m
	}
	if bc.transB {
		ldb = bc.k
	}
	return fill(bc.m * bc.k), lda, fill(bc.k * bc.n), ldb, fill(bc.m * bc.n)
}

// blas32General describes the stored form of a rows×cols operand op(X) for
// gonum's blas32, which takes the shape as stored.
func blas32General(trans bool, rows, cols int, data []float32, ld int) blas32.General {
	if trans {
		rows, cols = cols, rows
	}
	return blas32.General{Rows: rows, Cols: cols, Stride: ld, Data: data}
}

// benchmarkGemm times call and reports GFLOP/s, counting 2*m*n*k flops per call.
func benchmarkGemm(b *testing.B, bc benchCase, call func()) {
	b.ReportAllocs()
	call() // start the workers and fill the free lists and caches
	b.ResetTimer()
	for range b.N {
		call()
	}
	flops := 2 * float64(bc.m) * float64(bc.n) * float64(bc.k) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkSgemm compares every kernel of this CPU with gonum's blas32.Gemm
// (the same code as the generic kernel) on the ResNet-50 convolution shapes,
// with alpha = 1 and beta = 0. Run it with
//
//	go test -run XXX -bench Sgemm -benchtime 20x ./graph/gemm
func BenchmarkSgemm(b *testing.B) {
	for _, bc := range convBenchCases() {
		a, lda, bm, ldb, c := benchOperands(bc)
		name := fmt.Sprintf("%s/%dx%dx%d", bc.name, bc.m, bc.n, bc.k)
		for _, kern := range availableKernels() {
			b.Run(name+"/"+kern.name, func(b *testing.B) {
				useKernel(b, kern)
				benchmarkGemm(b, bc, func() {
					Sgemm(bc.transA, bc.transB, bc.m, bc.n, bc.k, 1, a, lda, bm, ldb, 0, c, bc.n)
				})
			})
		}
		b.Run(name+"/gonum", func(b *testing.B) {
			ga, gb, gc := blas32General(bc.transA, bc.m, bc.k, a, lda), blas32General(bc.transB, bc.k, bc.n, bm, ldb), blas32General(false, bc.m, bc.n, c, bc.n)
			benchmarkGemm(b, bc, func() {
				blas32.Gemm(blasTranspose(bc.transA), blasTranspose(bc.transB), 1, ga, gb, 0, gc)
			})
		})
	}
}
