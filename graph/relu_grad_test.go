package graph

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestReLUGradEdgeValues(t *testing.T) {
	inf := math.Inf(1)
	y := []float64{1, 0, math.Copysign(0, -1), -1, inf, -inf, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, 3.5}
	dy := []float64{2, 3, 4, 5, 6, 7, 8, 9, -10}
	want := []float64{2, 0, 0, 0, 6, 0, 8, 0, -10}

	dx64 := make([]float64, len(y))
	reluGrad(y, dy, dx64)
	for i := range want {
		if dx64[i] != want[i] {
			t.Errorf("float64: y = %v, dy = %v: dx = %v, want %v", y[i], dy[i], dx64[i], want[i])
		}
	}

	y32, dy32, dx32 := make([]float32, len(y)), make([]float32, len(y)), make([]float32, len(y))
	for i := range y {
		y32[i], dy32[i] = float32(y[i]), float32(dy[i])
	}
	y32[6] = math.SmallestNonzeroFloat32
	reluGrad(y32, dy32, dx32)
	for i := range want {
		if float64(dx32[i]) != want[i] {
			t.Errorf("float32: y = %v, dy = %v: dx = %v, want %v", y32[i], dy32[i], dx32[i], want[i])
		}
	}
}

// BenchmarkReLUGrad times the ReLU gradient on 2M float32 values, half of them zero in random
// places as after a real ReLU.
func BenchmarkReLUGrad(b *testing.B) {
	const n = 1 << 21
	r := rand.New(rand.NewPCG(1, 2))
	y, dy, dx := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range y {
		y[i] = max(float32(r.NormFloat64()), 0)
		dy[i] = float32(i)
	}
	b.SetBytes(3 * 4 * n)
	for i := 0; i < b.N; i++ {
		reluGrad32(y, dy, dx)
	}
}
