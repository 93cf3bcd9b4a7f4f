package dataset

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// messyTree builds an image folder as users have them: good images, bad files, hidden files,
// an operating-system file, a nested hidden folder, a nested visible folder, an empty class
// and a loose file at the top. It returns the root and the good image paths per class.
func messyTree(t *testing.T) (root string, good map[string][]string) {
	t.Helper()
	root = t.TempDir()
	img := encodePNG(t, solidRGBA(20, 10, 200, 100, 50))
	good = map[string][]string{}
	add := func(class, name string) {
		good[class] = append(good[class], writeFile(t, root, filepath.Join(class, name), img))
	}

	add("cat", "a.png")
	add("cat", "b.png")
	add("cat", filepath.Join("sub", "c.png"))
	writeFile(t, root, "cat/empty.jpg", nil)
	writeFile(t, root, "cat/truncated.png", img[:len(img)/2])
	writeFile(t, root, "cat/notes.txt", []byte("photos from the shelter\n"))
	writeFile(t, root, "cat/.DS_Store", []byte{0, 0, 0, 1, 'B', 'u', 'd', '1'})
	writeFile(t, root, "cat/Thumbs.db", []byte{0xD0, 0xCF, 0x11, 0xE0})
	writeFile(t, root, "cat/.ipynb_checkpoints/a-checkpoint.png", img)
	writeFile(t, root, "cat/._a.png", []byte{0, 5, 22, 7})
	add("dog", "d.png")
	add("dog", "e.png")
	writeFile(t, root, "empty_class/.DS_Store", []byte{0})
	writeFile(t, root, ".hidden_class/x.png", img)
	writeFile(t, root, "__MACOSX/cat/._a.png", []byte{0})
	writeFile(t, root, "loose.png", img)
	return root, good
}

func samplePaths(s *Source) []string {
	var paths []string
	for _, smp := range s.Samples {
		paths = append(paths, smp.Path)
	}
	return paths
}

func TestFromFolderMessyTree(t *testing.T) {
	root, _ := messyTree(t)
	src, err := FromFolder(root)
	if err != nil {
		t.Fatal(err)
	}

	if want := []string{"cat", "dog", "empty_class"}; !reflect.DeepEqual(src.Classes, want) {
		t.Errorf("Classes: got %v, want %v", src.Classes, want)
	}
	if got, want := src.Counts(), []int{6, 2, 0}; !reflect.DeepEqual(got, want) {
		t.Errorf("Counts: got %v, want %v (6 cat files of which 3 are bad)", got, want)
	}
	want := []string{
		filepath.Join(root, "cat/a.png"), filepath.Join(root, "cat/b.png"),
		filepath.Join(root, "cat/empty.jpg"), filepath.Join(root, "cat/notes.txt"),
		filepath.Join(root, "cat/sub/c.png"), filepath.Join(root, "cat/truncated.png"),
		filepath.Join(root, "dog/d.png"), filepath.Join(root, "dog/e.png"),
	}
	if got := samplePaths(src); !reflect.DeepEqual(got, want) {
		t.Errorf("sample paths:\ngot  %v\nwant %v", got, want)
	}
}

func TestFromFolderClassOrder(t *testing.T) {
	root := t.TempDir()
	img := encodePNG(t, solidRGBA(2, 2, 1, 2, 3))
	names := []string{"b", "a", "B", "10", "9", "été"}
	for _, name := range names {
		writeFile(t, root, filepath.Join(name, "x.png"), img)
	}
	src, err := FromFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	// Byte order, as Python's sorted() orders ImageFolder's classes: digits, upper case, lower case, then non-ASCII.
	want := []string{"10", "9", "B", "a", "b", "été"}
	if !reflect.DeepEqual(src.Classes, want) {
		t.Errorf("Classes: got %v, want %v", src.Classes, want)
	}
	for _, smp := range src.Samples {
		if got := filepath.Base(filepath.Dir(smp.Path)); got != src.Classes[smp.Label] {
			t.Errorf("sample %s: got label %d (%s), want the class of its folder %s", smp.Path, smp.Label, src.Classes[smp.Label], got)
		}
	}
}

func TestFromFolderErrors(t *testing.T) {
	img := encodePNG(t, solidRGBA(2, 2, 1, 2, 3))
	tests := []struct {
		name   string
		build  func(root string) string
		reason string
	}{
		{"missing folder", func(root string) string { return filepath.Join(root, "nope") }, "check that the path exists"},
		{"empty folder", func(root string) string { return root }, "is empty"},
		{"only hidden entries", func(root string) string {
			writeFile(t, root, ".DS_Store", []byte{0})
			writeFile(t, root, ".git/config", []byte{0})
			return root
		}, "is empty"},
		{"flat folder", func(root string) string {
			writeFile(t, root, "cat.1.png", img)
			writeFile(t, root, "dog.1.png", img)
			return root
		}, "use FromFlatFolder"},
		{"class folders without files", func(root string) string {
			writeFile(t, root, "cat/.DS_Store", []byte{0})
			if err := os.Mkdir(filepath.Join(root, "dog"), 0o755); err != nil {
				t.Fatal(err)
			}
			return root
		}, "no files in them"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.build(t.TempDir())
			src, err := FromFolder(dir)
			if err == nil {
				t.Fatalf("FromFolder: got %d samples, want an error", len(src.Samples))
			}
			if !strings.Contains(err.Error(), tc.reason) || !strings.Contains(err.Error(), dir) {
				t.Errorf("error: got %q, want it to name %s and contain %q", err, dir, tc.reason)
			}
		})
	}
}

func TestFromFlatFolder(t *testing.T) {
	root := t.TempDir()
	img := encodePNG(t, solidRGBA(2, 2, 1, 2, 3))
	for _, name := range []string{"dog.10.jpg", "cat.2.jpg", "cat.1.jpg", "dog.1.jpg", "cat.0.tar.gz"} {
		writeFile(t, root, name, img)
	}
	writeFile(t, root, "README", []byte("no class"))
	writeFile(t, root, ".hidden.1.jpg", img)
	writeFile(t, root, "Thumbs.db", []byte{0})
	writeFile(t, root, "sub/cat.9.jpg", img)

	src, err := FromFlatFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"cat", "dog"}; !reflect.DeepEqual(src.Classes, want) {
		t.Errorf("Classes: got %v, want %v", src.Classes, want)
	}
	wantPaths := []string{
		filepath.Join(root, "cat.0.tar.gz"), filepath.Join(root, "cat.1.jpg"), filepath.Join(root, "cat.2.jpg"),
		filepath.Join(root, "dog.1.jpg"), filepath.Join(root, "dog.10.jpg"),
	}
	if got := samplePaths(src); !reflect.DeepEqual(got, wantPaths) {
		t.Errorf("sample paths:\ngot  %v\nwant %v", got, wantPaths)
	}
	if got, want := src.Counts(), []int{3, 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("Counts: got %v, want %v", got, want)
	}
	if len(src.Skipped) != 1 || src.Skipped[0].Path != filepath.Join(root, "README") {
		t.Fatalf("Skipped: got %v, want only README", src.Skipped)
	}
	if !strings.Contains(src.Skipped[0].Reason, "no class prefix") {
		t.Errorf("Skipped reason: got %q, want it to mention the missing class prefix", src.Skipped[0].Reason)
	}
}

func TestFromFlatFolderNoLabelledFiles(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "README", []byte("x"))
	_, err := FromFlatFolder(root)
	if err == nil || !strings.Contains(err.Error(), "use FromFolder") {
		t.Errorf("error: got %v, want one that suggests FromFolder", err)
	}
}

// syntheticSource returns a source with the given number of samples per class; no files exist.
func syntheticSource(counts ...int) *Source {
	src := &Source{}
	for label, n := range counts {
		class := string(rune('a' + label))
		src.Classes = append(src.Classes, class)
		for i := 0; i < n; i++ {
			src.Samples = append(src.Samples, Sample{Path: filepath.Join(class, string(rune('A'+i%26))+strings.Repeat("x", i/26)), Label: label})
		}
	}
	sortSamples(src.Samples)
	return src
}

func TestSplitStratified(t *testing.T) {
	src := syntheticSource(100, 40, 7, 1, 2)
	train, val, err := src.Split(0.2, 42)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		class              string
		wantTrain, wantVal int
	}{
		{"a", 80, 20},
		{"b", 32, 8},
		{"c", 6, 1}, // round(1.4) = 1
		{"d", 1, 0}, // a single sample stays in train
		{"e", 1, 1}, // round(0.4) = 0, raised to 1 so val contains the class
	}
	trainCounts, valCounts := train.Counts(), val.Counts()
	for label, tc := range tests {
		if trainCounts[label] != tc.wantTrain || valCounts[label] != tc.wantVal {
			t.Errorf("class %s: got train %d val %d, want train %d val %d",
				tc.class, trainCounts[label], valCounts[label], tc.wantTrain, tc.wantVal)
		}
	}

	seen := map[string]int{}
	for _, p := range append(samplePaths(train), samplePaths(val)...) {
		seen[p]++
	}
	for _, p := range samplePaths(src) {
		if seen[p] != 1 {
			t.Errorf("sample %s: got it %d times in train and val together, want once", p, seen[p])
		}
	}
	if !reflect.DeepEqual(train.Classes, src.Classes) || !reflect.DeepEqual(val.Classes, src.Classes) {
		t.Errorf("Classes: got train %v val %v, want both %v", train.Classes, val.Classes, src.Classes)
	}
}

func TestSplitReproducible(t *testing.T) {
	src := syntheticSource(50, 50)
	_, val1, err := src.Split(0.3, 7)
	if err != nil {
		t.Fatal(err)
	}
	_, val2, _ := src.Split(0.3, 7)
	_, val3, _ := src.Split(0.3, 8)
	if !reflect.DeepEqual(samplePaths(val1), samplePaths(val2)) {
		t.Errorf("seed 7 twice: got different validation sets %v and %v", samplePaths(val1), samplePaths(val2))
	}
	if reflect.DeepEqual(samplePaths(val1), samplePaths(val3)) {
		t.Errorf("seeds 7 and 8: got the same validation set, want different ones")
	}

	// Adding a class leaves the split of the existing classes unchanged.
	bigger := syntheticSource(50, 50, 10)
	_, val4, _ := bigger.Split(0.3, 7)
	var firstTwo []string
	for _, smp := range val4.Samples {
		if smp.Label < 2 {
			firstTwo = append(firstTwo, smp.Path)
		}
	}
	if !reflect.DeepEqual(firstTwo, samplePaths(val1)) {
		t.Errorf("after adding a class: got validation files %v, want %v", firstTwo, samplePaths(val1))
	}
}

func TestSplitInvalidFraction(t *testing.T) {
	src := syntheticSource(10)
	for _, f := range []float64{0, 1, -0.1, 1.5} {
		if _, _, err := src.Split(f, 1); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("Split(%v): got error %v, want an out-of-range error", f, err)
		}
	}
}

func TestSourceWithout(t *testing.T) {
	src := syntheticSource(3, 2)
	out := src.Without([]Skipped{{Path: src.Samples[0].Path, Reason: "x"}, {Path: src.Samples[4].Path, Reason: "y"}})
	want := []string{src.Samples[1].Path, src.Samples[2].Path, src.Samples[3].Path}
	if got := samplePaths(out); !reflect.DeepEqual(got, want) {
		t.Errorf("paths: got %v, want %v", got, want)
	}
	if len(src.Samples) != 5 {
		t.Errorf("original: got %d samples, want 5 (unchanged)", len(src.Samples))
	}
}
