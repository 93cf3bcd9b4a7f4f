package resnet

import "github.com/resnetgo/resnet/graph"

// The sums below keep four partial sums in turn. One running sum makes each addition wait for
// the previous one (a few cycles each), while four independent chains keep the adder busy.
// The order of additions differs from a plain loop, so the last bits of a result may too.

// sum returns Σ v in float64.
func sum[T graph.Float](v []T) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += float64(v[i])
		s1 += float64(v[i+1])
		s2 += float64(v[i+2])
		s3 += float64(v[i+3])
	}
	for ; i < len(v); i++ {
		s0 += float64(v[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// sumSquaredDev returns Σ (v - mean)² in float64.
func sumSquaredDev[T graph.Float](v []T, mean float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		d0, d1 := float64(v[i])-mean, float64(v[i+1])-mean
		d2, d3 := float64(v[i+2])-mean, float64(v[i+3])-mean
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(v); i++ {
		d := float64(v[i]) - mean
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// sumGradAndDev returns Σ g and Σ g·(x - mean) in float64, for x and g of equal length. It keeps
// two chains per sum: four per sum were no faster in BenchmarkBatchNormSums.
func sumGradAndDev[T graph.Float](x, g []T, mean float64) (sumG, sumGDev float64) {
	x = x[:len(g)]
	var a0, a1, b0, b1 float64
	i := 0
	for ; i+2 <= len(g); i += 2 {
		g0, g1 := float64(g[i]), float64(g[i+1])
		a0 += g0
		a1 += g1
		b0 += g0 * (float64(x[i]) - mean)
		b1 += g1 * (float64(x[i+1]) - mean)
	}
	for ; i < len(g); i++ {
		a0 += float64(g[i])
		b0 += float64(g[i]) * (float64(x[i]) - mean)
	}
	return a0 + a1, b0 + b1
}
