package dataset

import (
	"bytes"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// loaded is one image of an epoch, copied out of its batch.
type loaded struct {
	path  string
	label int
	x     []float32
}

// runEpoch reads a whole epoch and returns its images in order and the size of each batch.
func runEpoch(t testing.TB, l *Loader, epoch int) (images []loaded, sizes []int) {
	t.Helper()
	it := l.Epoch(epoch)
	defer it.Close()
	for {
		b, ok := it.Next()
		if !ok {
			break
		}
		if len(b.X) != b.N*b.C*b.H*b.W || len(b.Labels) != b.N || len(b.Paths) != b.N {
			t.Fatalf("batch: got len(X)=%d len(Labels)=%d len(Paths)=%d, want %d, %d, %d",
				len(b.X), len(b.Labels), len(b.Paths), b.N*b.C*b.H*b.W, b.N, b.N)
		}
		per := b.C * b.H * b.W
		for i := 0; i < b.N; i++ {
			images = append(images, loaded{b.Paths[i], b.Labels[i], slices.Clone(b.X[i*per : (i+1)*per])})
		}
		sizes = append(sizes, b.N)
	}
	return images, sizes
}

func newLoader(t testing.TB, src *Source, cfg Config) *Loader {
	t.Helper()
	l, err := NewLoader(src, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLoaderMessyTree(t *testing.T) {
	root, good := messyTree(t)
	src, err := FromFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	wantBad := map[string]string{
		filepath.Join(root, "cat/empty.jpg"):     "empty file",
		filepath.Join(root, "cat/truncated.png"): "truncated PNG file",
		filepath.Join(root, "cat/notes.txt"):     "not an image",
	}

	for _, workers := range []int{1, 4} {
		for _, train := range []bool{false, true} {
			t.Run(fmt.Sprintf("workers=%d train=%v", workers, train), func(t *testing.T) {
				var onSkip []string
				l := newLoader(t, src, Config{Size: 8, BatchSize: 2, Workers: workers, Train: train, Seed: 3,
					OnSkip: func(s Skipped) { onSkip = append(onSkip, s.Path) }})

				for epoch := 0; epoch < 2; epoch++ {
					images, sizes := runEpoch(t, l, epoch)
					seen := map[string]int{}
					for _, im := range images {
						seen[im.path]++
						if class := src.Classes[im.label]; !strings.HasPrefix(im.path, filepath.Join(root, class)+string(filepath.Separator)) {
							t.Errorf("epoch %d: image %s got label %d (%s), want the class of its folder", epoch, im.path, im.label, class)
						}
					}
					for class, paths := range good {
						for _, p := range paths {
							if seen[p] != 1 {
								t.Errorf("epoch %d: good image %s (%s) got %d times, want once", epoch, p, class, seen[p])
							}
						}
					}
					if len(images) != 5 {
						t.Errorf("epoch %d: got %d images, want the 5 good ones", epoch, len(images))
					}
					if !reflect.DeepEqual(sizes, []int{2, 2, 1}) {
						t.Errorf("epoch %d: got batch sizes %v, want [2 2 1]", epoch, sizes)
					}
				}

				skipped := l.Skipped()
				if len(skipped) != len(wantBad) {
					t.Errorf("Skipped: got %d files %v, want %d", len(skipped), skipped, len(wantBad))
				}
				for _, sk := range skipped {
					if want, ok := wantBad[sk.Path]; !ok || !strings.Contains(sk.Reason, want) {
						t.Errorf("Skipped %s: got reason %q, want one containing %q", sk.Path, sk.Reason, want)
					}
				}
				if len(onSkip) != len(wantBad) {
					t.Errorf("OnSkip: got %d calls %v over two epochs, want %d (once per file)", len(onSkip), onSkip, len(wantBad))
				}
				if got := l.BatchesPerEpoch(); got != 3 {
					t.Errorf("BatchesPerEpoch after an epoch: got %d, want 3", got)
				}
			})
		}
	}
}

func TestLoaderDropLast(t *testing.T) {
	root, _ := messyTree(t)
	src, err := FromFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	clean := src.Without(Scan(src, 2).Skipped)
	l := newLoader(t, clean, Config{Size: 4, BatchSize: 2, DropLast: true, Train: true})
	if got := l.BatchesPerEpoch(); got != 2 {
		t.Errorf("BatchesPerEpoch before any epoch: got %d, want 2 (5 images, last partial batch dropped)", got)
	}
	_, sizes := runEpoch(t, l, 0)
	if !reflect.DeepEqual(sizes, []int{2, 2}) {
		t.Errorf("batch sizes: got %v, want [2 2]", sizes)
	}
}

// noiseTree writes n random-pixel images of assorted sizes, split between two classes.
func noiseTree(t testing.TB, n int) string {
	t.Helper()
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < n; i++ {
		w, h := 8+rng.IntN(60), 8+rng.IntN(60)
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for j := range img.Pix {
			img.Pix[j] = uint8(rng.IntN(256))
		}
		for j := 3; j < len(img.Pix); j += 4 {
			img.Pix[j] = 255
		}
		writeFile(t, root, fmt.Sprintf("class%d/img%02d.png", i%2, i), encodePNG(t, img))
	}
	return root
}

func TestLoaderReproducible(t *testing.T) {
	src, err := FromFolder(noiseTree(t, 13))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"train", Config{Size: 16, BatchSize: 5, Train: true, Seed: 11}},
		{"train grayscale", Config{Size: 16, BatchSize: 5, Train: true, Seed: 11, Channels: 1}},
		{"train cached", Config{Size: 16, BatchSize: 5, Train: true, Seed: 11, CacheShortSide: 20}},
		{"eval", Config{Size: 16, BatchSize: 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			one, four := tc.cfg, tc.cfg
			one.Workers, four.Workers = 1, 4
			got1, _ := runEpoch(t, newLoader(t, src, one), 3)
			got4, _ := runEpoch(t, newLoader(t, src, four), 3)
			if len(got1) != 13 {
				t.Fatalf("images: got %d, want 13", len(got1))
			}
			if !reflect.DeepEqual(got1, got4) {
				t.Errorf("epoch 3 with 1 and 4 workers: got different batches, want identical ones")
			}

			other, _ := runEpoch(t, newLoader(t, src, four), 4)
			if tc.cfg.Train && reflect.DeepEqual(got1, other) {
				t.Errorf("epochs 3 and 4: got identical batches, want a new shuffle and new crops")
			}
			if !tc.cfg.Train {
				for i := range got1 {
					if got1[i].path != src.Samples[i].Path {
						t.Fatalf("eval image %d: got %s, want source order %s", i, got1[i].path, src.Samples[i].Path)
					}
				}
			}
		})
	}

	t.Run("seed changes the order", func(t *testing.T) {
		a, _ := runEpoch(t, newLoader(t, src, Config{Size: 8, Train: true, Seed: 1}), 0)
		b, _ := runEpoch(t, newLoader(t, src, Config{Size: 8, Train: true, Seed: 2}), 0)
		var pathsA, pathsB []string
		for i := range a {
			pathsA, pathsB = append(pathsA, a[i].path), append(pathsB, b[i].path)
		}
		if reflect.DeepEqual(pathsA, pathsB) {
			t.Errorf("seeds 1 and 2: got the same order %v, want different ones", pathsA)
		}
	})
}

// solidTree writes solid (200, 100, 50) images of the given sizes into one class.
func solidTree(t testing.TB, sizes [][2]int) *Source {
	t.Helper()
	root := t.TempDir()
	for i, s := range sizes {
		writeFile(t, root, fmt.Sprintf("c/%02d.png", i), encodePNG(t, solidRGBA(s[0], s[1], 200, 100, 50)))
	}
	src, err := FromFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestLoaderNormalizesSolidImages(t *testing.T) {
	// Tiny, small, extreme-aspect and large images of one colour must come out at the requested
	// size as that colour, normalized: any resampling weight sums to 1.
	src := solidTree(t, [][2]int{{1, 1}, {16, 10}, {400, 20}, {20, 400}, {3, 500}, {640, 480}})
	rgb := []float32{200.0 / 255, 100.0 / 255, 50.0 / 255}
	luma := (0.299*200 + 0.587*100 + 0.114*50) / 255

	// 1e-4 covers float32 rounding. The 8-bit cache stores 200, 100 and 50 exactly, but it
	// rounds the luma 119.2 to 119, which is off by 0.2/255 before normalization.
	const tol = 1e-4
	tolCachedLuma := tol + 0.2/255/float64(GrayStd[0])
	tests := []struct {
		name string
		cfg  Config
		want []float32
		tol  float64
	}{
		{"eval 224", Config{Size: 224}, normalized(rgb, ImageNetMean, ImageNetStd), tol},
		{"train 224", Config{Size: 224, Train: true}, normalized(rgb, ImageNetMean, ImageNetStd), tol},
		{"train 7", Config{Size: 7, Train: true}, normalized(rgb, ImageNetMean, ImageNetStd), tol},
		{"eval 1", Config{Size: 1}, normalized(rgb, ImageNetMean, ImageNetStd), tol},
		{"train 64 cached", Config{Size: 64, Train: true, CacheShortSide: 73}, normalized(rgb, ImageNetMean, ImageNetStd), tol},
		{"eval grayscale", Config{Size: 32, Channels: 1}, normalized([]float32{float32(luma)}, GrayMean, GrayStd), tol},
		{"train grayscale cached", Config{Size: 32, Channels: 1, Train: true, CacheShortSide: 40}, normalized([]float32{float32(luma)}, GrayMean, GrayStd), tolCachedLuma},
		{"custom mean and std", Config{Size: 8, Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}}, rgb, tol},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.BatchSize = 4
			images, _ := runEpoch(t, newLoader(t, src, cfg), 0)
			if len(images) != len(src.Samples) {
				t.Fatalf("images: got %d, want %d", len(images), len(src.Samples))
			}
			plane := cfg.Size * cfg.Size
			for _, im := range images {
				if len(im.x) != len(tc.want)*plane {
					t.Fatalf("%s: got %d values, want %d", im.path, len(im.x), len(tc.want)*plane)
				}
				for c, want := range tc.want {
					if d := maxAbsDiff(im.x[c*plane:(c+1)*plane], slices.Repeat([]float32{want}, plane)); d > tc.tol {
						t.Errorf("%s channel %d: got values up to %.6f from %.6f, want all equal within %.6f", im.path, c, d, want, tc.tol)
					}
				}
			}
		})
	}
}

func normalized(v, mean, std []float32) []float32 {
	out := make([]float32, len(v))
	for i := range v {
		out[i] = (v[i] - mean[i]) / std[i]
	}
	return out
}

func TestLoaderFlip(t *testing.T) {
	// A 32x16 image, left half red and right half blue. With scale 1 and ratio 2 the crop is
	// always the whole image, so only the flip changes the output.
	root := t.TempDir()
	img := solidRGBA(32, 16, 255, 0, 0)
	for y := 0; y < 16; y++ {
		for x := 16; x < 32; x++ {
			img.SetRGBA(x, y, solidRGBA(1, 1, 0, 0, 255).RGBAAt(0, 0))
		}
	}
	for i := 0; i < 64; i++ {
		writeFile(t, root, fmt.Sprintf("c/%02d.png", i), encodePNG(t, img))
	}
	src, err := FromFolder(root)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name             string
		noFlip           bool
		minFlip, maxFlip int
	}{
		// 64 fair coin flips land in [20, 44] with probability 99.8%, and the seed is fixed anyway.
		{"flip", false, 20, 44},
		{"no flip", true, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Size: 8, Train: true, NoFlip: tc.noFlip, ScaleMin: 1, ScaleMax: 1, RatioMin: 2, RatioMax: 2,
				Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}}
			images, _ := runEpoch(t, newLoader(t, src, cfg), 0)
			flips := 0
			for _, im := range images {
				red := im.x[:64]
				left, right := red[0], red[7]
				switch {
				case left > 0.99 && right < 0.01:
				case left < 0.01 && right > 0.99:
					flips++
				default:
					t.Fatalf("%s: got red %v at the left edge and %v at the right, want 1 and 0 or 0 and 1", im.path, left, right)
				}
			}
			if flips < tc.minFlip || flips > tc.maxFlip {
				t.Errorf("flips: got %d of 64, want [%d, %d]", flips, tc.minFlip, tc.maxFlip)
			}
		})
	}
}

func TestLoaderCacheServesDeletedFiles(t *testing.T) {
	root := noiseTree(t, 6)
	src, err := FromFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Size: 16, BatchSize: 4, Train: true, Seed: 5, CacheShortSide: 24}

	// Epoch 1 of a fresh loader fills the cache from the files.
	fresh, _ := runEpoch(t, newLoader(t, src, cfg), 1)

	l := newLoader(t, src, cfg)
	runEpoch(t, l, 0)
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	cached, _ := runEpoch(t, l, 1)

	if len(cached) != 6 {
		t.Fatalf("images after deleting the files: got %d, want 6 from the cache", len(cached))
	}
	if skipped := l.Skipped(); len(skipped) != 0 {
		t.Errorf("Skipped: got %v, want none", skipped)
	}
	if !reflect.DeepEqual(fresh, cached) {
		t.Errorf("epoch 1 from a filled cache: got batches different from a fresh loader's epoch 1, want identical")
	}
}

func TestLoaderCloseEarly(t *testing.T) {
	src, err := FromFolder(noiseTree(t, 40))
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	l := newLoader(t, src, Config{Size: 8, BatchSize: 2, Workers: 3, Prefetch: 1, Train: true})
	it := l.Epoch(0)
	if _, ok := it.Next(); !ok {
		t.Fatal("Next: got no batch, want one")
	}
	it.Close()
	it.Close()
	if _, ok := it.Next(); ok {
		t.Errorf("Next after Close: got a batch, want none")
	}

	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := runtime.NumGoroutine(); got > before {
		t.Errorf("goroutines after Close: got %d, want at most %d as before the epoch", got, before)
	}

	// The loader still works for the next epoch.
	images, _ := runEpoch(t, l, 1)
	if len(images) != 40 {
		t.Errorf("epoch after an early Close: got %d images, want 40", len(images))
	}
}

func TestLoaderConfigErrors(t *testing.T) {
	src := syntheticSource(2)
	tests := []struct {
		name   string
		cfg    Config
		reason string
	}{
		{"negative size", Config{Size: -1}, "Size -1 is invalid"},
		{"2 channels", Config{Channels: 2}, "Channels 2 is invalid"},
		{"negative batch", Config{BatchSize: -4}, "BatchSize -4 is invalid"},
		{"negative workers", Config{Workers: -1}, "Workers -1 is invalid"},
		{"negative prefetch", Config{Prefetch: -1}, "Prefetch -1 is invalid"},
		{"cache under size", Config{Size: 224, CacheShortSide: 100}, "CacheShortSide 100 is smaller than Size 224"},
		{"scale over 1", Config{ScaleMax: 1.5}, "crop scale range"},
		{"scale reversed", Config{ScaleMin: 0.9, ScaleMax: 0.5}, "crop scale range"},
		{"ratio reversed", Config{RatioMin: 2, RatioMax: 1}, "crop aspect ratio range"},
		{"crop fraction over 1", Config{CropFraction: 1.2}, "CropFraction 1.2 is invalid"},
		{"mean length", Config{Channels: 1, Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{0.2}}, "need 1 values each"},
		{"zero std", Config{Mean: []float32{0, 0, 0}, Std: []float32{1, 0, 1}}, "Std[1] = 0 is invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewLoader(src, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("NewLoader: got error %v, want one containing %q", err, tc.reason)
			}
		})
	}

	t.Run("empty source", func(t *testing.T) {
		if _, err := NewLoader(&Source{Classes: []string{"a"}}, Config{}); err == nil {
			t.Errorf("NewLoader: got no error, want one for a source without samples")
		}
	})
	t.Run("defaults", func(t *testing.T) {
		l, err := NewLoader(src, Config{})
		if err != nil {
			t.Fatal(err)
		}
		got := l.Config()
		if got.Size != 224 || got.Channels != 3 || got.BatchSize != 32 || got.Prefetch != 2 || got.CropFraction != 0.875 ||
			got.ScaleMin != 0.08 || got.ScaleMax != 1 || got.RatioMin != 0.75 || math.Abs(got.RatioMax-4.0/3) > 1e-12 ||
			!reflect.DeepEqual(got.Mean, ImageNetMean) || !reflect.DeepEqual(got.Std, ImageNetStd) {
			t.Errorf("defaults: got %+v, want Size 224, Channels 3, BatchSize 32, Prefetch 2, CropFraction 0.875, scale [0.08, 1], ratio [3/4, 4/3], ImageNet mean and std", got)
		}
	})
}

func TestScanMessyTree(t *testing.T) {
	root, _ := messyTree(t)
	src, err := FromFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	rep := Scan(src, 2)

	if want := []string{"cat", "dog", "empty_class"}; !reflect.DeepEqual(rep.Classes, want) {
		t.Errorf("Classes: got %v, want %v", rep.Classes, want)
	}
	if want := []int{3, 2, 0}; !reflect.DeepEqual(rep.Counts, want) {
		t.Errorf("Counts: got %v, want %v", rep.Counts, want)
	}
	var skippedPaths []string
	for _, sk := range rep.Skipped {
		skippedPaths = append(skippedPaths, sk.Path)
	}
	wantSkipped := []string{filepath.Join(root, "cat/empty.jpg"), filepath.Join(root, "cat/notes.txt"), filepath.Join(root, "cat/truncated.png")}
	if !reflect.DeepEqual(skippedPaths, wantSkipped) {
		t.Errorf("Skipped: got %v, want %v", skippedPaths, wantSkipped)
	}
	// 3 cat and 2 dog images are a ratio of exactly 1.5, which is not over the threshold.
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], `class "empty_class" has no usable images`) {
		t.Errorf("Warnings: got %q, want only the empty-class warning", rep.Warnings)
	}

	var out bytes.Buffer
	if err := rep.Print(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cat", "total", "skipped 3 file(s)", "truncated.png: truncated PNG file", "warning: class \"empty_class\""} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Print: got\n%s\nwant it to contain %q", out.String(), want)
		}
	}
}

func TestScanWarnings(t *testing.T) {
	tests := []struct {
		name   string
		counts []int
		want   []string
	}{
		{"balanced", []int{10, 10}, nil},
		{"ratio 1.5 is allowed", []int{15, 10}, nil},
		{"ratio 1.6", []int{10, 16}, []string{`"b" has 16 images and "a" has 10 (ratio 1.6, over 1.5)`}},
		{"empty class", []int{4, 0, 4}, []string{`class "b" has no usable images`}},
		{"empty and imbalanced", []int{0, 2, 9}, []string{`class "a" has no usable images`, `"c" has 9 images and "b" has 2 (ratio 4.5`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			classes := []string{"a", "b", "c"}[:len(tc.counts)]
			got := classWarnings(classes, tc.counts)
			if len(got) != len(tc.want) {
				t.Fatalf("warnings: got %q, want %d containing %q", got, len(tc.want), tc.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Errorf("warning %d: got %q, want it to contain %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestLoaderCases runs the shared image cases through Scan and both pipelines.
func TestLoaderCases(t *testing.T) {
	dir := sharedPath(t, "cases", "images")
	root := t.TempDir()
	for _, tc := range goodCases {
		data, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, root, filepath.Join("good", tc.file), data)
	}
	for _, tc := range badCases {
		data, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, root, filepath.Join("bad", tc.file), data)
	}
	src, err := FromFolder(root)
	if err != nil {
		t.Fatal(err)
	}

	// Thumbs.db is ignored by FromFolder, so 5 bad files remain.
	rep := Scan(src, 2)
	if want := []int{0, len(goodCases)}; !reflect.DeepEqual(rep.Counts, want) {
		t.Errorf("Scan counts (bad, good): got %v, want %v", rep.Counts, want)
	}
	if len(rep.Skipped) != len(badCases)-1 {
		t.Errorf("Scan skipped: got %d files %v, want %d", len(rep.Skipped), rep.Skipped, len(badCases)-1)
	}

	for _, cfg := range []Config{{Size: 224, Train: true}, {Size: 224}, {Size: 32, Train: true, CacheShortSide: 37}} {
		t.Run(fmt.Sprintf("size=%d train=%v cache=%d", cfg.Size, cfg.Train, cfg.CacheShortSide), func(t *testing.T) {
			cfg.BatchSize = 4
			l := newLoader(t, src, cfg)
			images, _ := runEpoch(t, l, 0)
			var paths []string
			for _, im := range images {
				paths = append(paths, filepath.Base(im.path))
				for i, v := range im.x {
					if math.IsNaN(float64(v)) || v < -2.2 || v > 2.7 {
						t.Fatalf("%s value %d: got %v, want a normalized value of a sample in [0, 1]", im.path, i, v)
					}
				}
			}
			var want []string
			for _, tc := range goodCases {
				want = append(want, tc.file)
			}
			sort.Strings(paths)
			sort.Strings(want)
			if !reflect.DeepEqual(paths, want) {
				t.Errorf("images:\ngot  %v\nwant %v", paths, want)
			}
			if got := len(l.Skipped()); got != len(badCases)-1 {
				t.Errorf("Skipped: got %d, want %d", got, len(badCases)-1)
			}
		})
	}
}

// TestLoaderCatsDogs loads 20 cats and 20 dogs from the Dogs vs. Cats sample.
func TestLoaderCatsDogs(t *testing.T) {
	full, err := FromFolder(sharedPath(t, "data", "catsdogs", "train"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"cat", "dog"}; !reflect.DeepEqual(full.Classes, want) {
		t.Fatalf("Classes: got %v, want %v", full.Classes, want)
	}
	src := &Source{Classes: full.Classes}
	counts := make([]int, 2)
	for _, smp := range full.Samples {
		if counts[smp.Label] < 20 {
			src.Samples = append(src.Samples, smp)
			counts[smp.Label]++
		}
	}

	rep := Scan(src, 2)
	if !reflect.DeepEqual(rep.Counts, []int{20, 20}) || len(rep.Skipped) != 0 || len(rep.Warnings) != 0 {
		t.Errorf("Scan: got counts %v, skipped %v, warnings %v, want [20 20] and none", rep.Counts, rep.Skipped, rep.Warnings)
	}

	for _, cfg := range []Config{{Size: 64, Train: true}, {Size: 224}} {
		t.Run(fmt.Sprintf("size=%d train=%v", cfg.Size, cfg.Train), func(t *testing.T) {
			cfg.BatchSize = 16
			l := newLoader(t, src, cfg)
			images, sizes := runEpoch(t, l, 0)
			if !reflect.DeepEqual(sizes, []int{16, 16, 8}) {
				t.Errorf("batch sizes: got %v, want [16 16 8]", sizes)
			}
			labels := make([]int, 2)
			for _, im := range images {
				labels[im.label]++
				var sum float64
				for _, v := range im.x {
					sum += float64(v)
				}
				// A photo normalized with ImageNet statistics has a mean near 0, never near the extremes.
				if mean := sum / float64(len(im.x)); math.IsNaN(mean) || math.Abs(mean) > 2 {
					t.Errorf("%s: got mean %v, want a value in [-2, 2]", im.path, mean)
				}
			}
			if !reflect.DeepEqual(labels, []int{20, 20}) {
				t.Errorf("labels: got %v, want [20 20]", labels)
			}
		})
	}
}

func TestPreprocessMatchesEvalLoader(t *testing.T) {
	root := noiseTree(t, 3)
	src, err := FromFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Size: 24, Channels: 1, CropFraction: 0.9}
	images, _ := runEpoch(t, newLoader(t, src, cfg), 0)
	for _, want := range images {
		cfg.Train = true // ignored: Preprocess always evaluates
		got, err := Preprocess(want.path, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got.C != 1 || got.H != 24 || got.W != 24 {
			t.Fatalf("%s: got shape %dx%dx%d, want 1x24x24", want.path, got.C, got.H, got.W)
		}
		if !reflect.DeepEqual(got.Pix, want.x) {
			t.Errorf("%s: got pixels that differ from the evaluation loader's (max difference %g), want identical", want.path, maxAbsDiff(got.Pix, want.x))
		}
	}

	bad := writeFile(t, t.TempDir(), "bad.png", []byte("text"))
	if _, err := Preprocess(bad, Config{}); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "not an image") {
		t.Errorf("Preprocess on a text file: got error %v, want one naming %s and saying it is not an image", err, bad)
	}
	if _, err := Preprocess(bad, Config{Channels: 2}); err == nil || !strings.Contains(err.Error(), "Channels 2 is invalid") {
		t.Errorf("Preprocess with Channels 2: got error %v, want a config error", err)
	}
}
