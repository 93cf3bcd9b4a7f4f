package resnet

import (
	"math"
	"testing"
)

func TestSumsMatchPlainLoops(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 1001} {
		x, g := wave(n, 0.3), wave(n, 1.7)
		const mean = 0.125
		var s, sq, sg, sgd float64
		for i := range x {
			s += x[i]
			sq += (x[i] - mean) * (x[i] - mean)
			sg += g[i]
			sgd += g[i] * (x[i] - mean)
		}
		gotG, gotGDev := sumGradAndDev(x, g, mean)
		// Only the order of additions differs, so the results agree to rounding.
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"sum", sum(x), s},
			{"sumSquaredDev", sumSquaredDev(x, mean), sq},
			{"sumGradAndDev Σg", gotG, sg},
			{"sumGradAndDev Σg·(x-mean)", gotGDev, sgd},
		} {
			if math.Abs(c.got-c.want) > 1e-12*(1+math.Abs(c.want)) {
				t.Errorf("n=%d %s: got %v, want %v", n, c.name, c.got, c.want)
			}
		}
	}
}

// BenchmarkBatchNormSums times the three per-channel sums of a batch norm's forward and
// backward passes on 64K values.
func BenchmarkBatchNormSums(b *testing.B) {
	x, g := make([]float32, 1<<16), make([]float32, 1<<16)
	for i, v := range wave(len(x), 0.3) {
		x[i], g[i] = float32(v), float32(v*v-0.5)
	}
	var sink float64
	for i := 0; i < b.N; i++ {
		sumG, sumGDev := sumGradAndDev(x, g, 0.1)
		sink += sum(x) + sumSquaredDev(x, 0.1) + sumG + sumGDev
	}
	if math.IsNaN(sink) {
		b.Fatal("NaN")
	}
}
