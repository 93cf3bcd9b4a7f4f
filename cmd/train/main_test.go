package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/resnetgo/resnet"
	"github.com/resnetgo/resnet/cmd/internal/report"
	"github.com/resnetgo/resnet/graph"
)

// The tests build the commands and run them as a user would, on a few real photos at a small
// size: two epochs, a kill and a resume, and predictions.

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cmdtrain")
	if err != nil {
		panic(err)
	}
	binDir = dir
	for _, name := range []string{"train", "predict"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, name), "../"+name).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", name, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// photoFolder links n photos of each class from the sample data set into a new class folder
// tree, and adds one broken file.
func photoFolder(t *testing.T, n int) string {
	t.Helper()
	src := filepath.Join("..", "..", "..", "shared", "data", "catsdogs", "train")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("sample photos not found at %s", src)
	}
	dir := t.TempDir()
	for _, class := range []string{"cat", "dog"} {
		if err := os.MkdirAll(filepath.Join(dir, class), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= n; i++ {
			name := fmt.Sprintf("%s.%d.jpg", class, i)
			abs, err := filepath.Abs(filepath.Join(src, class, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(abs, filepath.Join(dir, class, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "cat", "broken.jpg"), []byte("not a jpeg"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func smallRun(data, out string, epochs int) []string {
	return []string{"-train", data, "-val-fraction", "0.25", "-depth", "18", "-width", "4", "-size", "32",
		"-batch", "4", "-epochs", fmt.Sprint(epochs), "-head-dropout", "0.2", "-workers", "2", "-out", out}
}

func runCmd(t *testing.T, name string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, name), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func TestTrainWritesCompleteOutput(t *testing.T) {
	data := photoFolder(t, 10)
	out := filepath.Join(t.TempDir(), "run")
	stdout, stderr, err := runCmd(t, "train", smallRun(data, out, 2)...)
	if err != nil {
		t.Fatalf("train failed: %v\n%s\n%s", err, stdout, stderr)
	}
	for _, want := range []string{"broken.jpg", "epoch  train loss", "confusion matrix", "ResNet-18"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	rows, err := report.ReadCSV(filepath.Join(out, csvFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1].Epoch != 2 {
		t.Fatalf("metrics.csv has %d rows, want epochs 1 and 2: %+v", len(rows), rows)
	}
	ck, err := resnet.ReadCheckpoint(filepath.Join(out, latestFile))
	if err != nil {
		t.Fatal(err)
	}
	if ck.Info.Epoch != 2 || !ck.HasOptimizer || strings.Join(ck.Info.Classes, ",") != "cat,dog" {
		t.Errorf("latest checkpoint: epoch %d, optimizer %t, classes %v; want 2, true, cat,dog", ck.Info.Epoch, ck.HasOptimizer, ck.Info.Classes)
	}
	best, err := resnet.ReadCheckpoint(filepath.Join(out, bestFile))
	if err != nil {
		t.Fatal(err)
	}
	bestRow := rows[best.Info.Epoch-1]
	for _, r := range rows {
		if r.ValAcc > bestRow.ValAcc {
			t.Errorf("best checkpoint is epoch %d with %.3f, but epoch %d had %.3f", best.Info.Epoch, bestRow.ValAcc, r.Epoch, r.ValAcc)
		}
	}
	if info, err := os.Stat(filepath.Join(out, plotFile)); err != nil || info.Size() == 0 {
		t.Errorf("metrics.png missing or empty: %v", err)
	}

	// A second run into the same folder must not replace the finished one, and resuming a
	// finished run prints that it has finished.
	_, stderr, err = runCmd(t, "train", smallRun(data, out, 2)...)
	if err == nil || !strings.Contains(stderr, "already contains a run") {
		t.Errorf("second run into %s: err %v, stderr %q; want a refusal that points to -resume", out, err, stderr)
	}
	stdout, _, err = runCmd(t, "train", "-resume", out)
	if err != nil || !strings.Contains(stdout, "has finished 2 of 2 epochs") {
		t.Errorf("resuming a finished run: err %v, stdout %q; want a message that it has finished", err, stdout)
	}

	// Predictions: single images (one unreadable), JSON, and the folder evaluation.
	cat := filepath.Join(data, "cat", "cat.1.jpg")
	stdout, stderr, err = runCmd(t, "predict", "-model", out, cat, filepath.Join(data, "cat", "broken.jpg"))
	if err == nil || !strings.HasPrefix(stdout, cat+": ") || !strings.Contains(stderr, "broken.jpg") {
		t.Errorf("predict: err %v, stdout %q, stderr %q; want a line for cat.1.jpg, broken.jpg reported and exit status 1", err, stdout, stderr)
	}
	// A folder without class subfolders: every image in it is classified.
	stdout, _, err = runCmd(t, "predict", "-model", out, filepath.Join(data, "dog"))
	if err != nil || strings.Count(stdout, "\n") != 10 {
		t.Errorf("predict on a folder of 10 photos: err %v, output %q; want 10 lines", err, stdout)
	}
	_, stderr, err = runCmd(t, "predict", "-model", t.TempDir(), cat)
	if err == nil || !strings.Contains(stderr, "neither best.safetensors nor latest.safetensors") {
		t.Errorf("predict with an empty model folder: err %v, stderr %q", err, stderr)
	}
	stdout, _, err = runCmd(t, "predict", "-model", out, "-json", cat)
	if err != nil || !strings.Contains(stdout, `"class":"cat"`) && !strings.Contains(stdout, `"class":"dog"`) {
		t.Errorf("predict -json: err %v, output %q", err, stdout)
	}
}

// TestResumeMatchesUninterrupted kills a run in the middle of its second epoch with SIGTERM,
// resumes it, and checks that the final weights and metrics equal those of a run that was
// never interrupted.
func TestResumeMatchesUninterrupted(t *testing.T) {
	data := photoFolder(t, 12)
	base := t.TempDir()
	whole, parted := filepath.Join(base, "whole"), filepath.Join(base, "parted")
	if stdout, stderr, err := runCmd(t, "train", smallRun(data, whole, 3)...); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s\n%s", err, stdout, stderr)
	}

	cmd := exec.Command(filepath.Join(binDir, "train"), smallRun(data, parted, 3)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the first epoch line, then stop the run during epoch 2.
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if strings.HasPrefix(strings.TrimSpace(sc.Text()), "1 ") {
			break
		}
	}
	time.Sleep(150 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
	}
	err = cmd.Wait()
	if err == nil {
		t.Skip("the run finished before the signal arrived; nothing to resume")
	}
	if !strings.Contains(stderr.String(), "-resume") {
		t.Fatalf("interrupted run: %v, stderr lacks the resume hint:\n%s", err, stderr.String())
	}
	if out, errOut, err := runCmd(t, "train", "-resume", parted); err != nil {
		t.Fatalf("resumed run: %v\n%s\n%s", err, out, errOut)
	}

	a, err := resnet.ReadCheckpoint(filepath.Join(whole, latestFile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := resnet.ReadCheckpoint(filepath.Join(parted, latestFile))
	if err != nil {
		t.Fatal(err)
	}
	if a.Info.Epoch != 3 || b.Info.Epoch != 3 {
		t.Fatalf("epochs %d and %d, want 3 and 3", a.Info.Epoch, b.Info.Epoch)
	}
	netA, netB := netFrom(t, a), netFrom(t, b)
	stateB := netB.State()
	for i, e := range netA.State() {
		va, vb := graph.ToFloat64s(e.Value), graph.ToFloat64s(stateB[i].Value)
		for j := range va {
			if va[j] != vb[j] {
				t.Fatalf("%s[%d]: %v after an uninterrupted run, %v after kill and resume", e.Name, j, va[j], vb[j])
			}
		}
	}
	rowsA, _ := report.ReadCSV(filepath.Join(whole, csvFile))
	rowsB, _ := report.ReadCSV(filepath.Join(parted, csvFile))
	if len(rowsA) != 3 || len(rowsB) != 3 {
		t.Fatalf("metrics rows %d and %d, want 3", len(rowsA), len(rowsB))
	}
	for i := range rowsA {
		if rowsA[i].TrainLoss != rowsB[i].TrainLoss || rowsA[i].ValAcc != rowsB[i].ValAcc {
			t.Errorf("epoch %d: train loss %v / %v, val acc %v / %v (uninterrupted / resumed)", i+1, rowsA[i].TrainLoss, rowsB[i].TrainLoss, rowsA[i].ValAcc, rowsB[i].ValAcc)
		}
	}
}

func netFrom(t *testing.T, ck *resnet.Checkpoint) *resnet.Network {
	t.Helper()
	p, err := resnet.NewPredictor(&ck.Info.Config, nil, 1, 32, 32)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if err := ck.Restore(p.Net, nil); err != nil {
		t.Fatal(err)
	}
	return p.Net
}

func TestTrainRejectsBadInput(t *testing.T) {
	empty := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no train folder", []string{"-epochs", "1"}, "-train is required"},
		{"missing folder", []string{"-train", filepath.Join(empty, "nope")}, "nope"},
		{"bad depth", []string{"-train", empty, "-depth", "42"}, ""},
		{"bad schedule", []string{"-train", empty, "-schedule", "linear"}, "-schedule"},
		{"batch 1", []string{"-train", empty, "-batch", "1"}, "-batch 1"},
		{"stray argument", []string{"-train", empty, "extra"}, "unexpected argument"},
		{"resume without checkpoint", []string{"-resume", empty}, "cannot resume"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, err := runCmd(t, "train", c.args...)
			if err == nil {
				t.Fatalf("got success, want an error")
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %q does not contain %q", stderr, c.want)
			}
		})
	}
}

// TestPredictReproducesValidationAccuracy evaluates the validation folder with cmd/predict and
// compares the accuracy with the one training reported for the best checkpoint.
func TestPredictReproducesValidationAccuracy(t *testing.T) {
	train, val := photoFolder(t, 8), photoFolder(t, 14)
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"-train", train, "-val", val, "-depth", "18", "-width", "4", "-size", "32", "-batch", "4", "-epochs", "2", "-workers", "2", "-out", out}
	if stdout, stderr, err := runCmd(t, "train", args...); err != nil {
		t.Fatalf("train: %v\n%s\n%s", err, stdout, stderr)
	}
	best, err := resnet.ReadCheckpoint(filepath.Join(out, bestFile))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := report.ReadCSV(filepath.Join(out, csvFile))
	if err != nil {
		t.Fatal(err)
	}
	want := rows[best.Info.Epoch-1].ValAcc
	// The folder holds one broken file, which predict skips, names and counts in its exit status.
	stdout, stderr, err := runCmd(t, "predict", "-model", out, val)
	if err == nil || !strings.Contains(stderr, "broken.jpg") {
		t.Errorf("predict on a folder with a broken file: err %v, stderr %q; want exit status 1 and broken.jpg named", err, stderr)
	}
	line := fmt.Sprintf("Overall accuracy: %.2f%%", 100*want)
	if !strings.Contains(stdout, line) {
		t.Errorf("predict output lacks %q (the accuracy training reported):\n%s", line, stdout)
	}

	// The same evaluation as one JSON object.
	stdout, stderr, err = runCmd(t, "predict", "-model", out, "-json", val)
	if err == nil {
		t.Errorf("predict -json on a folder with a broken file exited with status 0, want 1; stderr %q", stderr)
	}
	var got struct {
		Images    int      `json:"images"`
		Accuracy  float64  `json:"accuracy"`
		Classes   []string `json:"classes"`
		Confusion [][]int  `json:"confusion"`
		Reported  *float64 `json:"reported_val_accuracy"`
		Skipped   []struct {
			Path string `json:"path"`
		} `json:"skipped"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("predict -json on a class folder printed %q: %v", stdout, err)
	}
	if got.Images != 28 || math.Abs(got.Accuracy-want) > 1e-9 || len(got.Confusion) != 2 || got.Reported == nil {
		t.Errorf("predict -json: %+v; want 28 images, accuracy %v, a 2×2 matrix and the reported accuracy", got, want)
	}
	if len(got.Skipped) != 1 || filepath.Base(got.Skipped[0].Path) != "broken.jpg" {
		t.Errorf("predict -json lists skipped files %+v, want broken.jpg", got.Skipped)
	}
}

func TestPredictNamesMissingFile(t *testing.T) {
	train := photoFolder(t, 8)
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"-train", train, "-depth", "18", "-width", "4", "-size", "32", "-batch", "4", "-epochs", "1", "-workers", "2", "-out", out}
	if stdout, stderr, err := runCmd(t, "train", args...); err != nil {
		t.Fatalf("train: %v\n%s\n%s", err, stdout, stderr)
	}
	missing := filepath.Join(t.TempDir(), "photos", "*.jpg")
	_, stderr, err := runCmd(t, "predict", "-model", out, missing)
	if err == nil || !strings.Contains(stderr, missing+": no such file") {
		t.Errorf("predict on a missing file: err %v, stderr %q; want exit status 1 and the file named", err, stderr)
	}
}
