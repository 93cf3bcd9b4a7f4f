package dataset

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pkg/errors"
)

// Sample is one image file and the index of its class in Source.Classes.
type Sample struct {
	Path  string
	Label int
}

// Skipped is a file left out of a data set and the reason, which does not repeat the path.
type Skipped struct {
	Path, Reason string
}

// Source is a labelled list of image files. Samples are ordered by class, then by path.
type Source struct {
	// Classes contains the class names sorted by byte order, so label i means Classes[i].
	Classes []string
	Samples []Sample
	// Skipped lists files found while listing that cannot be labelled, such as a flat-folder
	// file name without a class prefix. Files that fail to decode are found later, by Scan or the Loader.
	Skipped []Skipped
}

// ignoredNames are files and folders that operating systems and tools put into image folders.
// Names that start with '.' (.DS_Store, .ipynb_checkpoints, ._IMG_1.jpg) are ignored as well.
var ignoredNames = map[string]bool{
	"thumbs.db":   true,
	"ehthumbs.db": true,
	"desktop.ini": true,
	"__macosx":    true,
}

func isIgnored(name string) bool {
	return strings.HasPrefix(name, ".") || ignoredNames[strings.ToLower(name)]
}

// FromFolder lists an image folder with one subfolder per class, as torchvision's ImageFolder reads it.
// Class folders are searched recursively. Hidden files and folders and operating-system files
// (Thumbs.db, desktop.ini, __MACOSX) are ignored. A class folder without files is kept, so class
// indices match between a training folder and a validation folder, and Scan reports it.
// Files directly inside dir are ignored. Every other file becomes a sample, whatever its extension,
// because the decoder chooses the format by content and reports a non-image as skipped.
func FromFolder(dir string) (*Source, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, errors.Wrapf(err, "read image folder %q: check that the path exists and is a folder", dir)
	}

	var classes []string
	looseFiles := 0
	for _, e := range entries {
		if isIgnored(e.Name()) {
			continue
		}
		isDir, err := isDirFollow(filepath.Join(dir, e.Name()), e)
		if err != nil {
			return nil, err
		}
		if isDir {
			classes = append(classes, e.Name())
		} else {
			looseFiles++
		}
	}
	if len(classes) == 0 {
		if looseFiles > 0 {
			return nil, errors.Errorf("image folder %q has %d files but no class subfolders: "+
				"use FromFlatFolder when file names carry the class (cat.1.jpg), "+
				"or move each class into its own subfolder", dir, looseFiles)
		}
		return nil, errors.Errorf("image folder %q is empty: add one subfolder of images per class", dir)
	}
	sort.Strings(classes)

	src := &Source{Classes: classes}
	for label, class := range classes {
		paths, err := listClassFiles(filepath.Join(dir, class))
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			src.Samples = append(src.Samples, Sample{Path: p, Label: label})
		}
	}
	sortSamples(src.Samples)
	if len(src.Samples) == 0 {
		return nil, errors.Errorf("image folder %q has class folders %v but no files in them: add images", dir, classes)
	}
	return src, nil
}

// isDirFollow reports whether a directory entry is a folder, following a symbolic link.
func isDirFollow(path string, e os.DirEntry) (bool, error) {
	if e.Type()&os.ModeSymlink == 0 {
		return e.IsDir(), nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return false, errors.Wrapf(err, "follow symbolic link %q: fix or remove the link", path)
	}
	return info.IsDir(), nil
}

// listClassFiles returns the files under one class folder in lexical order. Symbolic links to
// files are listed. Symbolic links to folders are not followed, which rules out cycles.
func listClassFiles(classDir string) ([]string, error) {
	var paths []string
	walk := func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return errors.Wrapf(err, "list class folder %q", classDir)
		}
		if path == classDir {
			return nil
		}
		if isIgnored(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if d.Type()&os.ModeSymlink != 0 {
			info, err := os.Stat(path)
			if err != nil || !info.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		paths = append(paths, path)
		return nil
	}
	if err := filepath.WalkDir(classDir, walk); err != nil {
		return nil, err
	}
	return paths, nil
}

// FromFlatFolder lists a folder whose file names carry the class before the first '.', as in
// Kaggle's Dogs vs. Cats ("cat.123.jpg" has class "cat"). Class names are case-sensitive.
// Subfolders, hidden files and operating-system files are ignored. A file name without a
// non-empty prefix before a '.' is listed in Source.Skipped.
func FromFlatFolder(dir string) (*Source, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, errors.Wrapf(err, "read image folder %q: check that the path exists and is a folder", dir)
	}

	type file struct{ path, class string }
	var files []file
	var skipped []Skipped
	classSet := map[string]bool{}
	for _, e := range entries {
		if isIgnored(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		isDir, err := isDirFollow(path, e)
		if err != nil {
			return nil, err
		}
		if isDir {
			continue
		}
		class, _, found := strings.Cut(e.Name(), ".")
		if !found || class == "" {
			skipped = append(skipped, Skipped{Path: path, Reason: "file name has no class prefix before a '.' (expected a name such as cat.1.jpg)"})
			continue
		}
		files = append(files, file{path, class})
		classSet[class] = true
	}
	if len(files) == 0 {
		return nil, errors.Errorf("flat image folder %q has no files named CLASS.NAME.EXT: "+
			"use FromFolder when each class has its own subfolder", dir)
	}

	src := &Source{Skipped: skipped}
	for class := range classSet {
		src.Classes = append(src.Classes, class)
	}
	sort.Strings(src.Classes)
	label := make(map[string]int, len(src.Classes))
	for i, class := range src.Classes {
		label[class] = i
	}
	for _, f := range files {
		src.Samples = append(src.Samples, Sample{Path: f.path, Label: label[f.class]})
	}
	sortSamples(src.Samples)
	return src, nil
}

func sortSamples(samples []Sample) {
	sort.SliceStable(samples, func(i, j int) bool {
		if samples[i].Label != samples[j].Label {
			return samples[i].Label < samples[j].Label
		}
		return samples[i].Path < samples[j].Path
	})
}

// Counts returns the number of samples of each class, indexed like Classes.
func (s *Source) Counts() []int {
	counts := make([]int, len(s.Classes))
	for _, smp := range s.Samples {
		counts[smp.Label]++
	}
	return counts
}

// Split divides the source into training and validation parts, stratified by class, so each class
// keeps about the same share in both. A class with n >= 2 samples puts round(n*valFraction) of
// them into val, but at least 1 and at most n-1; a class with one sample stays in train. The
// result depends only on seed, the class name and the class's sorted file list, so adding a
// class does not move the files of another. Both parts keep the full class list, and Skipped goes to train.
func (s *Source) Split(valFraction float64, seed int64) (train, val *Source, err error) {
	if !(valFraction > 0 && valFraction < 1) {
		return nil, nil, errors.Errorf("validation fraction %v is out of range: use a value between 0 and 1, such as 0.2", valFraction)
	}

	byClass := make([][]Sample, len(s.Classes))
	for _, smp := range s.Samples {
		if smp.Label < 0 || smp.Label >= len(s.Classes) {
			return nil, nil, errors.Errorf("sample %q has label %d but the source has %d classes", smp.Path, smp.Label, len(s.Classes))
		}
		byClass[smp.Label] = append(byClass[smp.Label], smp)
	}

	train = &Source{Classes: append([]string(nil), s.Classes...), Skipped: append([]Skipped(nil), s.Skipped...)}
	val = &Source{Classes: append([]string(nil), s.Classes...)}
	for label, samples := range byClass {
		n := len(samples)
		nVal := int(math.Round(valFraction * float64(n)))
		if n >= 2 {
			nVal = min(max(nVal, 1), n-1)
		} else {
			nVal = 0
		}

		sortSamples(samples)
		rng := rand.New(rand.NewPCG(uint64(seed), classHash(s.Classes[label])))
		perm := rng.Perm(n)
		for rank, i := range perm {
			if rank < nVal {
				val.Samples = append(val.Samples, samples[i])
			} else {
				train.Samples = append(train.Samples, samples[i])
			}
		}
	}
	sortSamples(train.Samples)
	sortSamples(val.Samples)
	return train, val, nil
}

func classHash(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// Without returns a copy of the source without the samples whose paths appear in skipped,
// typically Report.Skipped from Scan, so that the Loader meets no bad files and
// BatchesPerEpoch is exact from the first epoch.
func (s *Source) Without(skipped []Skipped) *Source {
	drop := make(map[string]bool, len(skipped))
	for _, sk := range skipped {
		drop[sk.Path] = true
	}
	out := &Source{Classes: append([]string(nil), s.Classes...), Skipped: append([]Skipped(nil), s.Skipped...)}
	for _, smp := range s.Samples {
		if !drop[smp.Path] {
			out.Samples = append(out.Samples, smp)
		}
	}
	return out
}
