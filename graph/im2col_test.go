package graph

import (
	"fmt"
	"testing"
)

// im2colCase is a square input of c channels and h×h pixels with a window.
type im2colCase struct {
	c, h int
	geom ConvGeometry
}

// im2colShapes are the convolutions with a kernel larger than 1×1 in ResNet-50 at 64×64 input:
// the stem and the 3×3 convolutions of the four stages.
var im2colShapes = []im2colCase{
	{3, 64, ConvGeometry{7, 7, 2, 2, 3, 3}},
	{64, 16, ConvGeometry{3, 3, 1, 1, 1, 1}},
	{128, 16, ConvGeometry{3, 3, 2, 2, 1, 1}},
	{128, 8, ConvGeometry{3, 3, 1, 1, 1, 1}},
	{256, 4, ConvGeometry{3, 3, 1, 1, 1, 1}},
	{512, 2, ConvGeometry{3, 3, 1, 1, 1, 1}},
}

// naiveIm2col is the definition of im2col, one element at a time.
func naiveIm2col(x []float64, c, h, w int, g ConvGeometry, ld int) []float64 {
	ho, wo := g.OutSize(h, w)
	col := make([]float64, c*g.KH*g.KW*ld)
	for ch := 0; ch < c; ch++ {
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				r := (ch*g.KH+i)*g.KW + j
				for oh := 0; oh < ho; oh++ {
					for ow := 0; ow < wo; ow++ {
						ih, iw := oh*g.SH-g.PH+i, ow*g.SW-g.PW+j
						if ih >= 0 && ih < h && iw >= 0 && iw < w {
							col[r*ld+oh*wo+ow] = x[(ch*h+ih)*w+iw]
						}
					}
				}
			}
		}
	}
	return col
}

func TestIm2colMatchesNaive(t *testing.T) {
	shapes := append(im2colShapes[:0:0], im2colShapes...)
	shapes = append(shapes,
		im2colCase{2, 5, ConvGeometry{3, 3, 1, 1, 2, 2}},  // whole rows of padding
		im2colCase{2, 40, ConvGeometry{5, 5, 1, 1, 2, 2}}, // rows of 40 pixels
		im2colCase{1, 7, ConvGeometry{3, 3, 3, 3, 0, 0}},  // stride equal to the kernel
	)
	for _, s := range shapes {
		ho, wo := s.geom.OutSize(s.h, s.h)
		ld := ho*wo + 3 // rows further apart than one image, as in a group of images
		x := wave(s.c*s.h*s.h, 0.4)
		want := naiveIm2col(x, s.c, s.h, s.h, s.geom, ld)
		got := make([]float64, len(want))
		for i := range got {
			got[i] = 99 // im2col must overwrite every element of the block
		}
		im2col(x, s.c, s.h, s.h, s.geom, got, ld)
		for r := 0; r < s.c*s.geom.KH*s.geom.KW; r++ {
			for k := 0; k < ho*wo; k++ {
				if got[r*ld+k] != want[r*ld+k] {
					t.Fatalf("c=%d h=%d %v: row %d column %d = %v, want %v", s.c, s.h, s.geom, r, k, got[r*ld+k], want[r*ld+k])
				}
			}
		}
	}
}

func BenchmarkIm2col(b *testing.B) {
	for _, s := range im2colShapes {
		ho, wo := s.geom.OutSize(s.h, s.h)
		x := make([]float32, s.c*s.h*s.h)
		col := make([]float32, s.c*s.geom.KH*s.geom.KW*ho*wo)
		b.Run(fmt.Sprintf("c%d_%dx%d%v", s.c, s.h, s.h, s.geom), func(b *testing.B) {
			b.SetBytes(int64(4 * len(col)))
			for i := 0; i < b.N; i++ {
				im2colChannels(x, 0, s.c, s.h, s.h, s.geom, col, ho*wo)
			}
		})
	}
}
