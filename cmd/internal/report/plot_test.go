package report

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// countColor returns the number of pixels within 24 of c in each channel.
// Anti-aliased edges blend with the background, so an exact match would
// miss most of a thin line.
func countColor(img image.Image, c color.RGBA) int {
	near := func(a uint32, b uint8) bool {
		d := int(a>>8) - int(b)
		return d >= -24 && d <= 24
	}
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if near(r, c.R) && near(g, c.G) && near(b, c.B) {
				n++
			}
		}
	}
	return n
}

// syntheticRows returns n epochs of falling loss and rising accuracy.
func syntheticRows(n int) []EpochRow {
	rows := make([]EpochRow, n)
	for i := range rows {
		e := float64(i + 1)
		rows[i] = EpochRow{
			Epoch: i + 1, TrainLoss: 2.3 / e, TrainAcc: 0.1 + 0.8*(1-1/e),
			ValLoss: 2.4/e + 0.1, ValAcc: 0.1 + 0.7*(1-1/e),
			LR: 0.1, ImagesPerSec: 40, Seconds: 100,
		}
	}
	return rows
}

func TestPlotPNG(t *testing.T) {
	noVal := syntheticRows(5)
	for i := range noVal {
		noVal[i].ValLoss = math.NaN()
		noVal[i].ValAcc = math.NaN()
	}
	diverged := syntheticRows(4)
	diverged[3].TrainLoss = math.Inf(1)
	diverged[3].ValLoss = math.NaN()
	allNaN := []EpochRow{{1, math.NaN(), 0.5, math.NaN(), 0.5, 0.1, 10, 10}, {2, math.NaN(), 0.6, math.NaN(), 0.6, 0.1, 10, 10}}

	tests := []struct {
		name    string
		rows    []EpochRow
		wantVal bool // whether the validation color must appear
	}{
		{"one epoch", syntheticRows(1), true},
		{"two epochs", syntheticRows(2), true},
		{"many epochs", syntheticRows(90), true},
		{"no validation set", noVal, false},
		{"diverged loss", diverged, true},
		{"no finite loss", allNaN, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "curves.png")
			if err := PlotPNG(path, tt.rows); err != nil {
				t.Fatalf("PlotPNG: %v", err)
			}

			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatalf("decode %s: %v", path, err)
			}

			size := img.Bounds().Size()
			if size.X != PlotWidth || size.Y != PlotHeight {
				t.Errorf("got size %dx%d, want %dx%d", size.X, size.Y, PlotWidth, PlotHeight)
			}
			// A single point is a circle of radius 2.5 pt, about 30 pixels
			// at 96 DPI, in each panel and in the legend.
			if got := countColor(img, trainColor); got < 50 {
				t.Errorf("got %d pixels in the training color, want at least 50", got)
			}
			gotVal := countColor(img, valColor)
			if tt.wantVal && gotVal < 50 {
				t.Errorf("got %d pixels in the validation color, want at least 50", gotVal)
			}
			if !tt.wantVal && gotVal != 0 {
				t.Errorf("got %d pixels in the validation color, want 0 without validation values", gotVal)
			}

			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				t.Errorf("got %d files in the folder, want only the PNG and no temporary file", len(entries))
			}
		})
	}
}

func TestPlotPNGErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		rows []EpochRow
		want string
	}{
		{"no rows", filepath.Join(dir, "empty.png"), nil, "no epoch rows to plot"},
		{"repeated epoch", filepath.Join(dir, "repeated.png"), []EpochRow{{Epoch: 2}, {Epoch: 2}}, "row 2: epoch 2 does not follow epoch 2"},
		{"missing folder", filepath.Join(dir, "missing", "curves.png"), syntheticRows(2), "create temporary file for"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := PlotPNG(tt.path, tt.rows)
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %q, want it to contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("got error %q, want it to name %s", err, tt.path)
			}
		})
	}
}

func TestNiceTicker(t *testing.T) {
	tests := []struct {
		name     string
		ticker   niceTicker
		min, max float64
		want     []string
	}{
		{"one epoch", niceTicker{10, true}, 0.5, 1.5, []string{"1"}},
		{"three epochs", niceTicker{10, true}, 0.5, 3.5, []string{"1", "2", "3"}},
		{"fourteen epochs", niceTicker{10, true}, 0.5, 14.5, []string{"2", "4", "6", "8", "10", "12", "14"}},
		{"hundred epochs", niceTicker{10, true}, 0.5, 100.5, []string{"10", "20", "30", "40", "50", "60", "70", "80", "90", "100"}},
		{"epochs never fractional", niceTicker{10, true}, 0, 2, []string{"0", "1", "2"}},
		{"loss", niceTicker{6, false}, 0, 2.75, []string{"0.0", "0.5", "1.0", "1.5", "2.0", "2.5"}},
		{"small loss", niceTicker{6, false}, 0, 0.033, []string{"0.00", "0.01", "0.02", "0.03"}},
		{"percent", niceTicker{6, false}, 0, 100, []string{"0", "20", "40", "60", "80", "100"}},
		{"negative zero", niceTicker{6, false}, -1e-17, 1, []string{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
		// In float64, 0.3/0.1 is 2.9999999999999996, which floors to 2.
		{"rounded bound", niceTicker{6, false}, 0, 0.3, []string{"0.0", "0.1", "0.2", "0.3"}},
		{"empty range", niceTicker{6, false}, 1, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, tick := range tt.ticker.Ticks(tt.min, tt.max) {
				got = append(got, tick.Label)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got ticks %v, want %v", got, tt.want)
			}
		})
	}
}
