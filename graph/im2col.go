package graph

// ConvGeometry describes a 2-D convolution or pooling window: kernel size, stride and symmetric
// zero padding, in pixels.
type ConvGeometry struct {
	KH, KW int // kernel height and width
	SH, SW int // stride
	PH, PW int // padding added on each side
}

// OutSize returns the output height and width for an input of h×w pixels.
func (g ConvGeometry) OutSize(h, w int) (int, int) {
	return (h+2*g.PH-g.KH)/g.SH + 1, (w+2*g.PW-g.KW)/g.SW + 1
}

// pointwise reports whether the window is a 1×1 kernel with stride 1 and no padding, where the
// column matrix equals the input itself and im2col can be skipped.
func (g ConvGeometry) pointwise() bool {
	return g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PH == 0 && g.PW == 0
}

// im2col writes the patches of one image x (c×h×w) into col, a (c·KH·KW)×(ho·wo) block whose rows
// are ld elements apart. Positions in the padding read as zero.
func im2col[T Float](x []T, c, h, w int, g ConvGeometry, col []T, ld int) {
	ho, wo := g.OutSize(h, w)
	ParallelFor(c, c*g.KH*g.KW*ho*wo, func(lo, hi int) { im2colChannels(x, lo, hi, h, w, g, col, ld) })
}

// im2colChannels is im2col for channels lo to hi-1.
func im2colChannels[T Float](x []T, lo, hi, h, w int, g ConvGeometry, col []T, ld int) {
	ho, wo := g.OutSize(h, w)
	for ch := lo; ch < hi; ch++ {
		plane := x[ch*h*w : (ch+1)*h*w]
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				row := col[((ch*g.KH+i)*g.KW+j)*ld:]
				for oh := 0; oh < ho; oh++ {
					dst := row[oh*wo : (oh+1)*wo]
					ih := oh*g.SH - g.PH + i
					if ih < 0 || ih >= h {
						clear(dst)
						continue
					}
					src := plane[ih*w : (ih+1)*w]
					iw := j - g.PW
					if g.SW == 1 {
						// Stride 1: one contiguous copy framed by the padding.
						lo, hi := 0, wo
						if iw < 0 {
							lo = -iw
						}
						if iw+wo > w {
							hi = w - iw
						}
						lo = min(lo, wo)
						hi = max(hi, lo)
						clear(dst[:lo])
						copy(dst[lo:hi], src[iw+lo:iw+hi])
						clear(dst[hi:])
						continue
					}
					for ow := range dst {
						if iw >= 0 && iw < w {
							dst[ow] = src[iw]
						} else {
							dst[ow] = 0
						}
						iw += g.SW
					}
				}
			}
		}
	}
}

// col2im adds the patch gradients in col (laid out as im2col writes them) into the image gradient
// dx (c×h×w). The caller zeroes dx first.
func col2im[T Float](col []T, ld int, c, h, w int, g ConvGeometry, dx []T) {
	ho, wo := g.OutSize(h, w)
	ParallelFor(c, c*g.KH*g.KW*ho*wo, func(lo, hi int) { col2imChannels(col, ld, lo, hi, h, w, g, dx) })
}

// col2imChannels is col2im for channels lo to hi-1, which write disjoint planes of dx.
func col2imChannels[T Float](col []T, ld int, lo, hi, h, w int, g ConvGeometry, dx []T) {
	ho, wo := g.OutSize(h, w)
	for ch := lo; ch < hi; ch++ {
		plane := dx[ch*h*w : (ch+1)*h*w]
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				row := col[((ch*g.KH+i)*g.KW+j)*ld:]
				for oh := 0; oh < ho; oh++ {
					ih := oh*g.SH - g.PH + i
					if ih < 0 || ih >= h {
						continue
					}
					src := row[oh*wo : (oh+1)*wo]
					dst := plane[ih*w : (ih+1)*w]
					iw := j - g.PW
					for ow := range src {
						if iw >= 0 && iw < w {
							dst[iw] += src[ow]
						}
						iw += g.SW
					}
				}
			}
		}
	}
}
