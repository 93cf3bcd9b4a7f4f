package dataset

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// graySource wraps a grayscale image given as rows of values in 0..255.
func graySource(rows [][]uint8) *pixelSource {
	img := image.NewGray(image.Rect(0, 0, len(rows[0]), len(rows)))
	for y, row := range rows {
		copy(img.Pix[y*img.Stride:], row)
	}
	return newPixelSource(img, 1)
}

func TestResampleBilinearUpscale(t *testing.T) {
	// A 2x1 image [0, 255] doubled to 4x1. Output centres sit at source x = 0.25, 0.75, 1.25, 1.75;
	// source centres at 0.5 and 1.5, and the edge pixel repeats outside them.
	src := graySource([][]uint8{{0, 255}})
	var rs resampler
	dst := make([]float32, 4)
	rs.resample(src, region{W: 2, H: 1}, 4, 1, false, dst)
	want := []float32{0, 0.25, 0.75, 1}
	if d := maxAbsDiff(dst, want); d > 1e-6 {
		t.Errorf("got %v, want %v", dst, want)
	}

	rs.resample(src, region{W: 2, H: 1}, 4, 1, true, dst)
	wantFlipped := []float32{1, 0.75, 0.25, 0}
	if d := maxAbsDiff(dst, wantFlipped); d > 1e-6 {
		t.Errorf("flipped: got %v, want %v", dst, wantFlipped)
	}
}

func TestResampleAntialias(t *testing.T) {
	// A one-pixel checkerboard shrunk 8 times. Point sampling would return 0 or 1; averaging
	// the area under each output pixel returns 0.5.
	const n = 64
	rows := make([][]uint8, n)
	for y := range rows {
		rows[y] = make([]uint8, n)
		for x := range rows[y] {
			if (x+y)%2 == 0 {
				rows[y][x] = 255
			}
		}
	}
	var rs resampler
	dst := make([]float32, 8*8)
	rs.resample(graySource(rows), region{W: n, H: n}, 8, 8, false, dst)
	for i, v := range dst {
		// Inner outputs come out at exactly 0.5. Corner outputs, whose taps repeat the edge
		// pixel, were measured at 0.5 +- 0.012.
		if math.Abs(float64(v)-0.5) > 0.02 {
			t.Errorf("output %d: got %v, want 0.5 within 0.02", i, v)
		}
	}
}

func TestResampleConstant(t *testing.T) {
	// Weights sum to 1, so a constant image stays constant for any region and output size,
	// including a region that extends past the image and a 20:1 strip.
	tests := []struct {
		name       string
		w, h       int
		r          region
		outW, outH int
	}{
		{"1x1 to 224", 1, 1, region{W: 1, H: 1}, 224, 224},
		{"1x1 to 1", 1, 1, region{W: 1, H: 1}, 1, 1},
		{"20:1 strip centre crop", 400, 20, centerCrop(400, 20, 0.875), 64, 64},
		{"region past the edges", 10, 10, region{X: -3, Y: -3, W: 16, H: 16}, 5, 7},
		{"big shrink", 300, 200, region{W: 300, H: 200}, 3, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows := make([][]uint8, tc.h)
			for y := range rows {
				rows[y] = make([]uint8, tc.w)
				for x := range rows[y] {
					rows[y][x] = 51
				}
			}
			var rs resampler
			dst := make([]float32, tc.outW*tc.outH)
			rs.resample(graySource(rows), tc.r, tc.outW, tc.outH, false, dst)
			for i, v := range dst {
				if math.Abs(float64(v)-0.2) > 1e-5 {
					t.Fatalf("output %d: got %v, want 0.2", i, v)
				}
			}
		})
	}
}

func TestResampleBufferSize(t *testing.T) {
	// A centre crop of a 4000x200 strip to 64x64 must not allocate a buffer of the strip's
	// full size (800,000 pixels) or of the strip resized to a shorter side of 73 (1,460 x 73).
	rows := make([][]uint8, 200)
	for y := range rows {
		rows[y] = make([]uint8, 4000)
	}
	var rs resampler
	dst := make([]float32, 64*64)
	rs.resample(graySource(rows), centerCrop(4000, 200, 0.875), 64, 64, false, dst)
	if got := len(rs.tmp) + len(rs.row); got > 200*64+400 {
		t.Errorf("buffers: got %d floats, want at most %d (source rows x output width + one source row of the crop)", got, 200*64+400)
	}
}

func TestRandomResizedCrop(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		w, h int
	}{
		{"landscape", 500, 375},
		{"portrait", 300, 450},
		{"1x1", 1, 1},
		{"20:1", 400, 20},
		{"1:20", 20, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i := 0; i < 500; i++ {
				r := randomResizedCrop(rng, tc.w, tc.h, 0.08, 1, 3.0/4, 4.0/3)
				if r.W < 1 || r.H < 1 || r.X < 0 || r.Y < 0 || r.X+r.W > float64(tc.w) || r.Y+r.H > float64(tc.h) {
					t.Fatalf("region %+v: want a non-empty region inside %dx%d", r, tc.w, tc.h)
				}
			}
		})
	}

	t.Run("area and aspect ratio within range", func(t *testing.T) {
		for i := 0; i < 500; i++ {
			r := randomResizedCrop(rng, 1000, 1000, 0.2, 0.5, 0.5, 2)
			// Rounding the sides to whole pixels moves area and ratio by under 1%.
			if area := r.W * r.H / 1e6; area < 0.2*0.99 || area > 0.5*1.01 {
				t.Errorf("region %+v: got area fraction %.3f, want [0.2, 0.5]", r, area)
			}
			if ratio := r.W / r.H; ratio < 0.5*0.99 || ratio > 2*1.01 {
				t.Errorf("region %+v: got aspect ratio %.3f, want [0.5, 2]", r, ratio)
			}
		}
	})

	t.Run("fallback on a 20:1 strip", func(t *testing.T) {
		// No crop of ratio <= 4/3 and area >= 8% fits in 400x20, so the fallback crops
		// 20 high and round(20*4/3) = 27 wide at the centre.
		r := randomResizedCrop(rng, 400, 20, 0.08, 1, 3.0/4, 4.0/3)
		if want := (region{X: 186, Y: 0, W: 27, H: 20}); r != want {
			t.Errorf("got %+v, want %+v", r, want)
		}
	})
}

func TestCenterCrop(t *testing.T) {
	tests := []struct {
		w, h int
		want region
	}{
		// Size 224 from a shorter side resized to 256 keeps 7/8 of the shorter side.
		{256, 256, region{X: 16, Y: 16, W: 224, H: 224}},
		{400, 20, region{X: 191.25, Y: 1.25, W: 17.5, H: 17.5}},
		{1, 1, region{X: 0.0625, Y: 0.0625, W: 0.875, H: 0.875}},
	}
	for _, tc := range tests {
		if got := centerCrop(tc.w, tc.h, 0.875); got != tc.want {
			t.Errorf("centerCrop(%d, %d): got %+v, want %+v", tc.w, tc.h, got, tc.want)
		}
	}
}
