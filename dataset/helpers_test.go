package dataset

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// sharedPath returns a path under the shared folder beside the module root and skips the test
// when that folder is missing, as in a checkout without the shared test data.
func sharedPath(t testing.TB, parts ...string) string {
	t.Helper()
	path := filepath.Join(append([]string{"..", "..", "shared"}, parts...)...)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared test data not found at %s: %v", path, err)
	}
	return path
}

// pixelAt returns the C samples of pixel (x, y).
func pixelAt(im *Image, x, y int) []float32 {
	out := make([]float32, im.C)
	for c := range out {
		out[c] = im.Pix[(c*im.H+y)*im.W+x]
	}
	return out
}

// maxAbsDiff returns the largest absolute difference between got and want.
func maxAbsDiff(got, want []float32) float64 {
	worst := 0.0
	for i := range got {
		worst = max(worst, math.Abs(float64(got[i])-float64(want[i])))
	}
	return worst
}

// writeFile writes data to dir/name, creating folders, and returns the path.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// encodePNG encodes img as PNG.
func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// solidRGBA returns a w x h opaque image of one colour.
func solidRGBA(w, h int, r, g, b uint8) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = r, g, b, 255
	}
	return img
}
