package report

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/errors"
)

// sameFloat reports whether a and b are equal bit for bit, or both NaN.
func sameFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Float64bits(a) == math.Float64bits(b)
}

// sameRows compares rows exactly, because WriteCSV writes the shortest
// decimal that reads back to the same float64.
func sameRows(t *testing.T, got, want []EpochRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		fields := []struct {
			name      string
			got, want float64
		}{
			{"Epoch", float64(g.Epoch), float64(w.Epoch)},
			{"TrainLoss", g.TrainLoss, w.TrainLoss},
			{"TrainAcc", g.TrainAcc, w.TrainAcc},
			{"ValLoss", g.ValLoss, w.ValLoss},
			{"ValAcc", g.ValAcc, w.ValAcc},
			{"LR", g.LR, w.LR},
			{"ImagesPerSec", g.ImagesPerSec, w.ImagesPerSec},
			{"Seconds", g.Seconds, w.Seconds},
		}
		for _, f := range fields {
			if !sameFloat(f.got, f.want) {
				t.Errorf("row %d %s: got %v, want %v", i, f.name, f.got, f.want)
			}
		}
	}
}

func TestCSVRoundTrip(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		rows []EpochRow
	}{
		{"no rows", nil},
		{"one epoch", []EpochRow{{1, 2.302585092994046, 0.1, 2.29, 0.11, 0.1, 45.3, 123.4}}},
		{"no validation set", []EpochRow{{1, 1.5, 0.4, nan, nan, 0.1, 40, 60}, {2, 1.2, 0.5, nan, nan, 0.1, 41, 59}}},
		{"extreme values", []EpochRow{
			{1, 1e-300, 1.0 / 3, 1e300, 0, 1e-7, math.MaxFloat64, math.SmallestNonzeroFloat64},
			{7, math.Inf(1), 0, math.Inf(-1), 1, 0.1 + 0.2, 0, 0},
		}},
		{"gap in epochs", []EpochRow{{3, 1, 0.5, 1, 0.5, 0.01, 10, 10}, {10, 0.5, 0.75, 0.6, 0.7, 0.001, 10, 10}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "epochs.csv")
			if err := WriteCSV(path, tt.rows); err != nil {
				t.Fatalf("WriteCSV: %v", err)
			}
			got, err := ReadCSV(path)
			if err != nil {
				t.Fatalf("ReadCSV: %v", err)
			}
			sameRows(t, got, tt.rows)
		})
	}
}

func TestWriteCSVContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "epochs.csv")
	rows := []EpochRow{
		{1, 2.5, 0.125, math.NaN(), math.NaN(), 0.1, 50, 60.5},
		{2, 1.75, 0.5, 1.5, 0.25, 0.01, 52.25, 58},
	}
	if err := WriteCSV(path, rows); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "epoch,train_loss,train_acc,val_loss,val_acc,lr,images_per_sec,seconds\n" +
		"1,2.5,0.125,,,0.1,50,60.5\n" +
		"2,1.75,0.5,1.5,0.25,0.01,52.25,58\n"
	if got := string(data); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o644 {
		t.Errorf("got mode %v, want 0644", got)
	}
}

func TestWriteCSVReplacesFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "epochs.csv")
	first := []EpochRow{{1, 2, 0.1, 2, 0.1, 0.1, 10, 10}, {2, 1.9, 0.2, 1.9, 0.2, 0.1, 10, 10}}
	if err := WriteCSV(path, first); err != nil {
		t.Fatal(err)
	}
	second := first[:1]
	if err := WriteCSV(path, second); err != nil {
		t.Fatal(err)
	}

	got, err := ReadCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, got, second)

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("got files %v in the folder, want only epochs.csv and no temporary file", names)
	}
}

func TestWriteCSVErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		rows []EpochRow
		want string
	}{
		{
			name: "missing folder",
			path: filepath.Join(dir, "missing", "epochs.csv"),
			rows: []EpochRow{{Epoch: 1}},
			want: "create temporary file for " + filepath.Join(dir, "missing", "epochs.csv"),
		},
		{
			name: "zero epoch",
			path: filepath.Join(dir, "zero.csv"),
			rows: []EpochRow{{Epoch: 0}},
			want: "row 1: epoch 0 is not positive",
		},
		{
			name: "repeated epoch",
			path: filepath.Join(dir, "repeated.csv"),
			rows: []EpochRow{{Epoch: 1}, {Epoch: 2}, {Epoch: 2}},
			want: "row 3: epoch 2 does not follow epoch 2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteCSV(tt.path, tt.rows)
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %q, want it to contain %q", err, tt.want)
			}
			if _, statErr := os.Stat(tt.path); !os.IsNotExist(statErr) {
				t.Errorf("got file %s after a failed write (stat error %v), want no file", tt.path, statErr)
			}
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	const header = "epoch,train_loss,train_acc,val_loss,val_acc,lr,images_per_sec,seconds\n"
	const good = "1,2.5,0.1,2.4,0.1,0.1,50,60\n"
	tests := []struct {
		name    string
		content string
		want    []string // each must appear in the error
	}{
		{"empty file", "", []string{"file is empty", "expected a header line"}},
		{"wrong header", "epoch,loss\n1,2\n", []string{":1: invalid header \"epoch,loss\""}},
		{"header after blank line", "\nepoch,loss\n", []string{":2: invalid header \"epoch,loss\""}},
		{"renamed column", strings.Replace(header, "lr", "learning_rate", 1) + good, []string{":1: invalid header"}},
		{"too few fields", header + good + "2,1.5,0.2\n", []string{":3: found 3 fields, expected 8 as in the header"}},
		{"too many fields", header + "1,2.5,0.1,2.4,0.1,0.1,50,60,7\n", []string{":2: found 9 fields, expected 8"}},
		{"invalid number", header + "1,abc,0.1,2.4,0.1,0.1,50,60\n", []string{":2: column train_loss: invalid number \"abc\""}},
		{"invalid seconds", header + good + "2,1,0.1,2.4,0.1,0.1,50,1m\n", []string{":3: column seconds: invalid number \"1m\""}},
		{"fractional epoch", header + "1.5,2.5,0.1,2.4,0.1,0.1,50,60\n", []string{":2: column epoch: invalid integer \"1.5\""}},
		{"zero epoch", header + "0,2.5,0.1,2.4,0.1,0.1,50,60\n", []string{":2: column epoch: epoch 0 is not positive"}},
		{"decreasing epoch", header + good + "3,1,0.1,1,0.1,0.1,50,60\n" + good, []string{":4: epoch 1 does not follow epoch 3"}},
		{"bare quote", header + "1,2\"5,0.1,2.4,0.1,0.1,50,60\n", []string{"line 2", "bare \" in non-quoted-field"}},
		{"number out of range", header + "1,1e999,0.1,2.4,0.1,0.1,50,60\n", []string{":2: column train_loss: invalid number \"1e999\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "epochs.csv")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			rows, err := ReadCSV(path)
			if err == nil {
				t.Fatalf("got %d rows and no error, want an error containing %q", len(rows), tt.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, path) {
				t.Errorf("got error %q, want it to name the file %s", msg, path)
			}
			for _, want := range tt.want {
				if !strings.Contains(msg, want) {
					t.Errorf("got error %q, want it to contain %q", msg, want)
				}
			}
		})
	}
}

func TestReadCSVMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.csv")
	_, err := ReadCSV(path)
	if err == nil {
		t.Fatal("got no error, want one for a missing file")
	}
	if want := "open epoch CSV file " + path; !strings.Contains(err.Error(), want) {
		t.Errorf("got error %q, want it to contain %q", err, want)
	}
	if !os.IsNotExist(errors.Cause(err)) {
		t.Errorf("got cause %v, want a not-exist error", errors.Cause(err))
	}
}

func TestReadCSVAcceptsBOMCRLFAndSpaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "epochs.csv")
	content := "\ufeffepoch,train_loss,train_acc,val_loss,val_acc,lr,images_per_sec,seconds\r\n" +
		" 1 , 2.5 ,0.25,,, 0.1,50,60\r\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	sameRows(t, got, []EpochRow{{1, 2.5, 0.25, nan, nan, 0.1, 50, 60}})
}
