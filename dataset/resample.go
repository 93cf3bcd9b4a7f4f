package dataset

import "math"

// region is a rectangle in display pixel coordinates of a source image. Pixel (x, y) covers
// [x, x+1) x [y, y+1), so its centre is (x+0.5, y+0.5).
type region struct {
	X, Y, W, H float64
}

// axisWeights contains, for each output index along one axis, a window of taps consecutive
// source indices starting at start[i], and their weights.
type axisWeights struct {
	taps   int
	start  []int32
	weight []float32
	lo, hi int // every window lies in [lo, hi)
}

// build fills the weights that map source span [start, start+length) onto outLen outputs.
// The filter is a triangle (tent) whose half-width is one source pixel when enlarging, which is
// bilinear interpolation, and scale = length/outLen source pixels when shrinking, which
// averages every source pixel under the output pixel (antialiasing, as Pillow's BILINEAR resize
// does). Taps outside the image repeat the edge pixel. flip mirrors the output along this axis.
func (a *axisWeights) build(srcLen int, start, length float64, outLen int, flip bool) {
	scale := length / float64(outLen)
	support := max(scale, 1)
	// A window of ceil(2*support)+1 taps covers every source pixel centre within support of
	// the output centre. Windows stay inside the image, so a short source needs fewer taps.
	window := int(math.Ceil(2*support)) + 1
	a.taps = min(window, srcLen)
	a.start = grow(a.start, outLen)
	a.weight = grow(a.weight, outLen*a.taps)
	clear(a.weight)
	a.lo, a.hi = srcLen, 0

	for i := 0; i < outLen; i++ {
		pos := i
		if flip {
			pos = outLen - 1 - i
		}
		center := start + (float64(pos)+0.5)*scale
		first := int(math.Floor(center - support))
		// Shift the window inside [0, srcLen). Taps past an edge add their weight to the edge
		// pixel, which the shifted window still contains.
		s := min(max(first, 0), srcLen-a.taps)
		weight := a.weight[i*a.taps : (i+1)*a.taps]

		var sum float32
		for k := 0; k < window; k++ {
			j := first + k
			w := float32(1 - math.Abs((float64(j)+0.5-center)/support))
			if w <= 0 {
				continue
			}
			weight[min(max(j, 0), srcLen-1)-s] += w
			sum += w
		}
		// The nearest source pixel is at most half a pixel from center, so sum >= 0.5.
		for k := range weight {
			weight[k] /= sum
		}
		a.start[i] = int32(s)
		a.lo, a.hi = min(a.lo, s), max(a.hi, s+a.taps)
	}
}

// resampler resizes a region of a pixelSource in two separable passes. It keeps its buffers
// between calls, so a worker allocates nothing per image once the buffers have grown.
type resampler struct {
	xs, ys axisWeights
	row    []float32 // one source row segment, interleaved
	tmp    []float32 // horizontally resized rows ys.lo..ys.hi-1, each outW pixels, interleaved
	acc    []float32 // one output row, interleaved
}

// resample writes region r of src, resized to outW x outH, into dst as src.channels planes
// (CHW, len src.channels*outH*outW). Only the source rows and columns that the filter
// touches are read, and the largest buffer is (rows in the region) x outW pixels.
func (rs *resampler) resample(src *pixelSource, r region, outW, outH int, flip bool, dst []float32) {
	nc := src.channels
	rs.xs.build(src.W, r.X, r.W, outW, flip)
	rs.ys.build(src.H, r.Y, r.H, outH, false)
	xs, ys := &rs.xs, &rs.ys

	rowLen := outW * nc
	rs.row = grow(rs.row, (xs.hi-xs.lo)*nc)
	rs.tmp = grow(rs.tmp, (ys.hi-ys.lo)*rowLen)
	rs.acc = grow(rs.acc, rowLen)

	// Horizontal pass: each source row that a vertical tap uses, resized to outW pixels.
	for y := ys.lo; y < ys.hi; y++ {
		src.readRow(y, xs.lo, xs.hi, rs.row)
		out := rs.tmp[(y-ys.lo)*rowLen : (y-ys.lo+1)*rowLen]
		resizeRow(rs.row, xs, nc, out)
	}

	// Vertical pass: weighted sums of the resized rows, written out as planes.
	plane := outW * outH
	for oy := 0; oy < outH; oy++ {
		acc := rs.acc[:rowLen]
		clear(acc)
		first := int(ys.start[oy]) - ys.lo
		for k, w := range ys.weight[oy*ys.taps : (oy+1)*ys.taps] {
			if w == 0 {
				continue
			}
			in := rs.tmp[(first+k)*rowLen:][:rowLen]
			for j, v := range in {
				acc[j] += w * v
			}
		}
		for c := 0; c < nc; c++ {
			out := dst[c*plane+oy*outW : c*plane+(oy+1)*outW]
			for ox := range out {
				out[ox] = acc[ox*nc+c]
			}
		}
	}
}

// resizeRow applies the horizontal weights to one interleaved source row segment that starts at xs.lo.
func resizeRow(row []float32, xs *axisWeights, nc int, out []float32) {
	taps := xs.taps
	if nc == 1 {
		for ox := range out {
			weight := xs.weight[ox*taps : (ox+1)*taps]
			px := row[int(xs.start[ox])-xs.lo:][:len(weight)]
			var s float32
			for k, w := range weight {
				s += w * px[k]
			}
			out[ox] = s
		}
		return
	}
	for ox := 0; ox < len(out)/3; ox++ {
		weight := xs.weight[ox*taps : (ox+1)*taps]
		px := row[(int(xs.start[ox])-xs.lo)*3:][:3*len(weight)]
		var r, g, b float32
		for k, w := range weight {
			p := px[3*k : 3*k+3]
			r += w * p[0]
			g += w * p[1]
			b += w * p[2]
		}
		out[3*ox], out[3*ox+1], out[3*ox+2] = r, g, b
	}
}

// grow returns s with length n, reusing its storage when the capacity suffices.
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}
