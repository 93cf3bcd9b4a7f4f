// Command predict classifies images with a model trained by cmd/train.
//
//	go run ./cmd/predict -model runs/resnet photo1.jpg photo2.png
//	go run ./cmd/predict -model runs/resnet -json photos/*.jpg
//	go run ./cmd/predict -model runs/resnet ../shared/data/catsdogs/val
//
// For each image it prints the top classes with their probabilities. Given one folder with a
// subfolder per class, it reports the accuracy, the per-class accuracy and the confusion matrix.
// Unreadable images are reported by name and skipped.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pkg/errors"

	"github.com/resnetgo/resnet"
	"github.com/resnetgo/resnet/cmd/internal/report"
	"github.com/resnetgo/resnet/dataset"
)

func main() {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: go run ./cmd/predict -model DIR [flags] IMAGE... | FOLDER\n\nThe exit status is 1 when any image was skipped.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	model := fs.String("model", "", "output folder of cmd/train (its best.safetensors, else latest.safetensors) or a checkpoint file (required)")
	top := fs.Int("top", 2, "number of classes to print per image")
	asJSON := fs.Bool("json", false, "print one JSON object per image instead of text (for a class folder, one object with the accuracy and the confusion matrix)")
	batch := fs.Int("batch", 16, "images per forward pass")
	err := fs.Parse(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		os.Exit(2)
	}
	if *model == "" || fs.NArg() == 0 {
		fail(errors.New("give -model DIR and at least one image or folder; see -h"))
	}
	m, err := load(*model, *batch)
	if err != nil {
		fail(err)
	}
	defer m.pred.Close()

	paths := fs.Args()
	if fs.NArg() == 1 {
		if info, err := os.Stat(fs.Arg(0)); err == nil && info.IsDir() {
			files, labelled, err := folderContents(fs.Arg(0))
			if err != nil {
				fail(err)
			}
			if labelled {
				skipped, err := m.evaluateFolder(os.Stdout, fs.Arg(0), *asJSON)
				if err != nil {
					fail(err)
				}
				if skipped > 0 {
					os.Exit(1)
				}
				return
			}
			// A folder without class subfolders: classify each image in it.
			paths = files
		}
	}
	// Exit with status 1 when any image was skipped, so that scripts notice (a class folder does the same).
	if failed := m.classify(os.Stdout, os.Stderr, paths, *top, *asJSON); failed > 0 {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "predict:", err)
	os.Exit(1)
}

// model is a trained network ready for inference.
type model struct {
	path     string
	classes  []string
	size     int
	channels int
	pred     *resnet.Predictor
	// valAcc is the validation accuracy that training reported for this checkpoint, or -1.
	valAcc float64
}

// folderContents lists the visible files of dir, and reports whether dir has subfolders, which
// makes it a folder with one subfolder per class.
func folderContents(dir string) (files []string, labelled bool, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, false, err
	}
	for _, e := range entries {
		if len(e.Name()) == 0 || e.Name()[0] == '.' {
			continue
		}
		if e.IsDir() {
			labelled = true
			continue
		}
		files = append(files, filepath.Join(dir, e.Name()))
	}
	if !labelled && len(files) == 0 {
		return nil, false, errors.Errorf("%s contains no images: give image files or a folder with one subfolder per class", dir)
	}
	return files, labelled, nil
}

func load(path string, batch int) (*model, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, errors.Errorf("no model at %s: give the -out folder of cmd/train or a .safetensors checkpoint", path)
	}
	if info.IsDir() {
		best, latest := filepath.Join(path, "best.safetensors"), filepath.Join(path, "latest.safetensors")
		switch {
		case exists(best):
			path = best
		case exists(latest):
			path = latest
		default:
			return nil, errors.Errorf("%s has neither best.safetensors nor latest.safetensors: give the -out folder of cmd/train or a checkpoint file", path)
		}
	}
	ck, err := resnet.ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	var image struct {
		Size     int `json:"size"`
		Channels int `json:"channels"`
	}
	if err := json.Unmarshal([]byte(ck.Info.Extra["image"]), &image); err != nil || image.Size < resnet.MinInputSize {
		return nil, errors.Errorf("%s: no valid image settings in the metadata; was it written by cmd/train?", path)
	}
	pred, err := resnet.NewPredictor(&ck.Info.Config, nil, batch, image.Size, image.Size)
	if err != nil {
		return nil, err
	}
	if err := ck.Restore(pred.Net, nil); err != nil {
		pred.Close()
		return nil, err
	}
	m := &model{path: path, classes: ck.Info.Classes, size: image.Size, channels: image.Channels, pred: pred, valAcc: -1}
	var rows []struct {
		Epoch  int
		ValAcc float64
	}
	if json.Unmarshal([]byte(ck.Info.Extra["metrics"]), &rows) == nil {
		for _, r := range rows {
			if r.Epoch == ck.Info.Epoch {
				m.valAcc = r.ValAcc
			}
		}
	}
	return m, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func (m *model) config() dataset.Config {
	return dataset.Config{Size: m.size, Channels: m.channels, BatchSize: m.pred.BatchSize}
}

// prediction is one image's result, as printed with -json.
type prediction struct {
	Path string       `json:"path"`
	Top  []classScore `json:"top"`
}

type classScore struct {
	Class       string  `json:"class"`
	Probability float64 `json:"probability"`
}

// classify prints the top classes of each image and returns the number of images that failed.
func (m *model) classify(out, errOut io.Writer, paths []string, top int, asJSON bool) int {
	cfg := m.config()
	failed := 0
	var batch []float32
	var names []string
	flush := func() {
		if len(names) == 0 {
			return
		}
		logits, err := m.pred.Logits(batch, len(names))
		if err != nil {
			for _, n := range names {
				fmt.Fprintf(errOut, "skipped %s: %v\n", n, err)
			}
			failed += len(names)
		}
		for i, row := range logits {
			m.print(out, prediction{Path: names[i], Top: topClasses(m.classes, resnet.Softmax(row), top)}, asJSON)
		}
		batch, names = batch[:0], names[:0]
	}
	for _, p := range paths {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			hint := ""
			if strings.ContainsAny(p, "*?[") {
				hint = " (a shell pattern that matches nothing is passed on as it is)"
			}
			fmt.Fprintf(errOut, "skipped %s: no such file%s\n", p, hint)
			failed++
			continue
		}
		img, err := dataset.Preprocess(p, cfg)
		if err != nil {
			// The cause without the "decode PATH" wrapper, so every skip reads "skipped PATH: reason".
			fmt.Fprintf(errOut, "skipped %s: %v\n", p, errors.Cause(err))
			failed++
			continue
		}
		batch = append(batch, img.Pix...)
		names = append(names, p)
		if len(names) == m.pred.BatchSize {
			flush()
		}
	}
	flush()
	return failed
}

func (m *model) print(out io.Writer, p prediction, asJSON bool) {
	if asJSON {
		b, _ := json.Marshal(p)
		fmt.Fprintln(out, string(b))
		return
	}
	fmt.Fprintf(out, "%s:", p.Path)
	for i, s := range p.Top {
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(out, "%s %s %.1f%%", sep, s.Class, 100*s.Probability)
	}
	fmt.Fprintln(out)
}

func topClasses(classes []string, probs []float64, k int) []classScore {
	scores := make([]classScore, len(probs))
	for i, p := range probs {
		scores[i] = classScore{Class: classes[i], Probability: p}
	}
	sort.SliceStable(scores, func(a, b int) bool { return scores[a].Probability > scores[b].Probability })
	return scores[:min(max(k, 1), len(scores))]
}

// folderReport is the result of a class folder, as printed with -json. Confusion[i][j] counts
// the images of class i predicted as class j.
type folderReport struct {
	Model     string        `json:"model"`
	Folder    string        `json:"folder"`
	Images    int           `json:"images"`
	Correct   int           `json:"correct"`
	Accuracy  float64       `json:"accuracy"`
	Classes   []string      `json:"classes"`
	PerClass  []classResult `json:"per_class"`
	Confusion [][]int       `json:"confusion"`
	Skipped   []skippedFile `json:"skipped,omitempty"`
	// ReportedValAccuracy is the validation accuracy that training reported for the checkpoint.
	ReportedValAccuracy *float64 `json:"reported_val_accuracy,omitempty"`
}

type skippedFile struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

type classResult struct {
	Class    string  `json:"class"`
	Images   int     `json:"images"`
	Accuracy float64 `json:"accuracy"`
}

// evaluateFolder classifies a folder with one subfolder per class and prints the accuracy,
// the per-class accuracy and the confusion matrix, as text or as one JSON object. It returns the
// number of files skipped because they could not be read.
func (m *model) evaluateFolder(out io.Writer, dir string, asJSON bool) (int, error) {
	src, err := dataset.FromFolder(dir)
	if err != nil {
		return 0, err
	}
	// Map the folder's classes onto the model's by name.
	index := map[string]int{}
	for i, c := range m.classes {
		index[c] = i
	}
	for _, c := range src.Classes {
		if _, ok := index[c]; !ok {
			return 0, errors.Errorf("%s has class folder %q, which the model does not know; its classes are %v", dir, c, m.classes)
		}
	}
	loader, err := dataset.NewLoader(src, m.config())
	if err != nil {
		return 0, err
	}
	matrix := make([][]int, len(m.classes))
	for i := range matrix {
		matrix[i] = make([]int, len(m.classes))
	}
	it := loader.Epoch(0)
	defer it.Close()
	for {
		b, ok := it.Next()
		if !ok {
			break
		}
		logits, err := m.pred.Logits(b.X, b.N)
		if err != nil {
			return 0, err
		}
		for i, row := range logits {
			truth := index[src.Classes[b.Labels[i]]]
			best := 0
			for k, v := range row {
				if v > row[best] {
					best = k
				}
			}
			matrix[truth][best]++
		}
	}
	skipped := loader.Skipped()
	for _, s := range skipped {
		fmt.Fprintf(os.Stderr, "skipped %s: %s\n", s.Path, s.Reason)
	}
	if asJSON {
		r := m.folderReport(dir, matrix)
		for _, s := range skipped {
			r.Skipped = append(r.Skipped, skippedFile{Path: s.Path, Reason: s.Reason})
		}
		return len(skipped), json.NewEncoder(out).Encode(r)
	}
	fmt.Fprintf(out, "model %s on %s:\n", m.path, dir)
	if err := report.PrintConfusion(out, m.classes, matrix); err != nil {
		return 0, err
	}
	if m.valAcc >= 0 {
		fmt.Fprintf(out, "training reported a validation accuracy of %.2f%% for this checkpoint\n", 100*m.valAcc)
	}
	return len(skipped), nil
}

// folderReport summarizes a confusion matrix over the model's classes.
func (m *model) folderReport(dir string, matrix [][]int) folderReport {
	r := folderReport{Model: m.path, Folder: dir, Classes: m.classes, Confusion: matrix}
	for i, row := range matrix {
		images := 0
		for _, count := range row {
			images += count
		}
		c := classResult{Class: m.classes[i], Images: images}
		if images > 0 {
			c.Accuracy = float64(row[i]) / float64(images)
		}
		r.PerClass = append(r.PerClass, c)
		r.Images += images
		r.Correct += row[i]
	}
	if r.Images > 0 {
		r.Accuracy = float64(r.Correct) / float64(r.Images)
	}
	if m.valAcc >= 0 {
		r.ReportedValAccuracy = &m.valAcc
	}
	return r
}
