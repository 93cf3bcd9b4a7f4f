package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Tolerances for pixel checks, in units of the [0, 1] range.
const (
	// tolExact covers float32 rounding of lossless 8- and 16-bit data.
	tolExact = 1e-5
	// tolPNGRed covers the quadrant picture's red, which is stored as 254/255.
	tolPNGRed = 1.5 / 255
	// tolJPEG covers JPEG quantization and chroma subsampling inside a flat colour area.
	// The largest error measured on these files is 1.2/255.
	tolJPEG = 4.0 / 255
)

type pixelWant struct {
	x, y int
	rgb  [3]float32
	tol  float64
}

// quadrants are the centres of the quadrant picture's four colour areas:
// red and lime on top, blue and yellow below.
func quadrants(tol float64) []pixelWant {
	return []pixelWant{
		{16, 12, [3]float32{1, 0, 0}, tol},
		{48, 12, [3]float32{0, 1, 0}, tol},
		{16, 36, [3]float32{0, 0, 1}, tol},
		{48, 36, [3]float32{1, 1, 0}, tol},
	}
}

// everyPixel checks all w x h pixels against one colour.
func everyPixel(w, h int, rgb [3]float32, tol float64) []pixelWant {
	var out []pixelWant
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			out = append(out, pixelWant{x, y, rgb, tol})
		}
	}
	return out
}

var goodCases = []struct {
	file   string
	w, h   int
	pixels []pixelWant
}{
	{"ok_rgb_64x48.jpg", 64, 48, quadrants(tolJPEG)},
	{"ok_rgb_64x48.png", 64, 48, quadrants(tolPNGRed)},
	{"ok_plasma_128x96.jpg", 128, 96, nil},
	{"progressive.jpg", 64, 48, quadrants(tolJPEG)},
	{"cmyk_red_32x32.jpg", 32, 32, everyPixel(32, 32, [3]float32{1, 0, 0}, tolJPEG)},
	{"gray_128.jpg", 32, 32, everyPixel(32, 32, [3]float32{128.0 / 255, 128.0 / 255, 128.0 / 255}, tolExact)},
	{"gray16.png", 32, 32, everyPixel(32, 32, [3]float32{32768.0 / 65535, 32768.0 / 65535, 32768.0 / 65535}, tolExact)},
	{"palette.png", 64, 48, quadrants(tolPNGRed)},
	// Transparency rule: composite on white, so the transparent right half is white.
	{"rgba_half_transparent.png", 32, 32, []pixelWant{
		{0, 0, [3]float32{1, 0, 0}, tolExact},
		{15, 31, [3]float32{1, 0, 0}, tolExact},
		{16, 0, [3]float32{1, 1, 1}, tolExact},
		{31, 31, [3]float32{1, 1, 1}, tolExact},
	}},
	{"png_named_as.jpg", 64, 48, quadrants(tolPNGRed)},
	{"extraneous_bytes_before_eoi.jpg", 128, 96, nil},
	{"exif_none_64x32.jpg", 64, 32, []pixelWant{
		{16, 16, [3]float32{1, 0, 0}, tolJPEG},
		{48, 16, [3]float32{0, 0, 1}, tolJPEG},
	}},
	// Orientation 6: displayed 32 wide and 64 high, red on top.
	{"exif_orientation6_64x32.jpg", 32, 64, []pixelWant{
		{16, 16, [3]float32{1, 0, 0}, tolJPEG},
		{16, 48, [3]float32{0, 0, 1}, tolJPEG},
	}},
	{"tiny_1x1.png", 1, 1, []pixelWant{{0, 0, [3]float32{200.0 / 255, 100.0 / 255, 50.0 / 255}, tolExact}}},
	{"small_16x10.jpg", 16, 10, nil},
	{"wide_400x20.jpg", 400, 20, nil},
}

var badCases = []struct {
	file   string
	reason string // a substring of the skip reason
}{
	{"zero_bytes.jpg", "empty file"},
	{"text_named.jpg", "not an image"},
	{"truncated_half.jpg", "invalid JPEG data (truncated or corrupt)"},
	{"truncated_header_only.jpg", "truncated JPEG file"},
	{"go_unsupported_subsampling_1x4.jpg", "unsupported JPEG feature"},
	{"Thumbs.db", "not an image"},
}

// notImages are files in the case folder that document the cases.
var notImages = map[string]bool{"README.md": true}

func TestDecodeCases(t *testing.T) {
	dir := sharedPath(t, "cases", "images")
	for _, tc := range goodCases {
		t.Run(tc.file, func(t *testing.T) {
			im, err := Decode(filepath.Join(dir, tc.file), 3)
			if err != nil {
				t.Fatalf("Decode: got error %v, want an image", err)
			}
			if im.C != 3 || im.W != tc.w || im.H != tc.h {
				t.Fatalf("shape: got C=%d W=%d H=%d, want C=3 W=%d H=%d", im.C, im.W, im.H, tc.w, tc.h)
			}
			if len(im.Pix) != 3*tc.w*tc.h {
				t.Fatalf("len(Pix): got %d, want %d", len(im.Pix), 3*tc.w*tc.h)
			}
			for i, v := range im.Pix {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("Pix[%d]: got %v, want a value in [0, 1]", i, v)
				}
			}
			for _, p := range tc.pixels {
				got := pixelAt(im, p.x, p.y)
				if d := maxAbsDiff(got, p.rgb[:]); d > p.tol {
					t.Errorf("pixel (%d, %d): got %v, want %v within %.4f (off by %.4f)", p.x, p.y, got, p.rgb, p.tol, d)
				}
			}
		})
	}
}

func TestDecodeCasesBad(t *testing.T) {
	dir := sharedPath(t, "cases", "images")
	for _, tc := range badCases {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			im, err := Decode(path, 3)
			if err == nil {
				t.Fatalf("Decode: got a %dx%d image, want an error", im.W, im.H)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error: got %q, want it to name the file %s", err, path)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error: got %q, want a reason containing %q", err, tc.reason)
			}
		})
	}
}

// TestDecodeCasesListed fails when the case folder gains a file that no table covers.
func TestDecodeCasesListed(t *testing.T) {
	dir := sharedPath(t, "cases", "images")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, tc := range goodCases {
		listed[tc.file] = true
	}
	for _, tc := range badCases {
		listed[tc.file] = true
	}
	for _, e := range entries {
		if !listed[e.Name()] && !notImages[e.Name()] {
			t.Errorf("file %s: got no test case, want one in goodCases or badCases", e.Name())
		}
	}
}

// TestDecodeSamePicture compares files that hold one picture in two encodings.
func TestDecodeSamePicture(t *testing.T) {
	dir := sharedPath(t, "cases", "images")
	tests := []struct {
		file, reference string
		tol             float64
	}{
		{"progressive.jpg", "ok_rgb_64x48.jpg", tolJPEG},
		{"palette.png", "ok_rgb_64x48.png", tolExact},
		{"png_named_as.jpg", "ok_rgb_64x48.png", tolExact},
		{"extraneous_bytes_before_eoi.jpg", "ok_plasma_128x96.jpg", tolJPEG},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, err := Decode(filepath.Join(dir, tc.file), 3)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Decode(filepath.Join(dir, tc.reference), 3)
			if err != nil {
				t.Fatal(err)
			}
			if got.W != want.W || got.H != want.H {
				t.Fatalf("size: got %dx%d, want %dx%d as %s", got.W, got.H, want.W, want.H, tc.reference)
			}
			if d := maxAbsDiff(got.Pix, want.Pix); d > tc.tol {
				t.Errorf("pixels: got max difference %.4f from %s, want at most %.4f", d, tc.reference, tc.tol)
			}
		})
	}
}

func TestDecodeCasesGrayscale(t *testing.T) {
	dir := sharedPath(t, "cases", "images")
	tests := []struct {
		file string
		want float32
		tol  float64
	}{
		{"gray_128.jpg", 128.0 / 255, tolExact},
		{"gray16.png", 32768.0 / 65535, tolExact},
		{"tiny_1x1.png", (0.299*200 + 0.587*100 + 0.114*50) / 255, tolExact},
		{"cmyk_red_32x32.jpg", 0.299, tolJPEG},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			im, err := Decode(filepath.Join(dir, tc.file), 1)
			if err != nil {
				t.Fatal(err)
			}
			if im.C != 1 {
				t.Fatalf("C: got %d, want 1", im.C)
			}
			if d := maxAbsDiff(im.Pix[:1], []float32{tc.want}); d > tc.tol {
				t.Errorf("pixel (0, 0): got %v, want %v within %v", im.Pix[0], tc.want, tc.tol)
			}
		})
	}
}
