package resnet

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gorgonia.org/tensor"

	"github.com/resnetgo/resnet/blocks"
	"github.com/resnetgo/resnet/graph"
)

// The golden files under testdata/golden are written by testdata/gen_golden.py from PyTorch and
// torchvision. Both sides fill every parameter and running statistic from the same formula of
// its name and index (goldenValue), so no weights are committed. The files contain the inputs'
// summaries and the expected outputs. See testdata/README.md.

// summary is a tensor as the golden files store it: full values for small tensors, and always
// the sums and sixteen samples at fixed positions.
type summary struct {
	Shape   []int        `json:"shape"`
	Sum     float64      `json:"sum"`
	AbsSum  float64      `json:"abs_sum"`
	SqSum   float64      `json:"sq_sum"`
	Samples [][2]float64 `json:"samples"`
	Values  []float64    `json:"values"`
}

type goldenModel struct {
	Depth           int    `json:"depth"`
	Classes         int    `json:"classes"`
	InChannels      int    `json:"in_channels"`
	Width           int    `json:"width"`
	Batch           int    `json:"batch"`
	Size            int    `json:"size"`
	Dtype           string `json:"dtype"`
	StrideOn1x1     bool   `json:"stride_on_1x1"`
	PlainProjection bool   `json:"plain_projection"`
}

func (m goldenModel) config() Config {
	dt := tensor.Float64
	if m.Dtype == "float32" {
		dt = tensor.Float32
	}
	return Config{
		Depth: m.Depth, Classes: m.Classes, InChannels: m.InChannels, BaseWidth: m.Width, Dtype: dt,
		Block: blocks.Options{StrideOn1x1: m.StrideOn1x1, PlainProjection: m.PlainProjection},
	}
}

func readGolden(t *testing.T, name string, into any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "golden", name))
	if err != nil {
		t.Fatalf("reading golden file: %v (regenerate with /usr/bin/python3 testdata/gen_golden.py)", err)
	}
	if err := json.Unmarshal(data, into); err != nil {
		t.Fatalf("parsing %s: %v", name, err)
	}
}

// goldenValue is the deterministic value of element i of the state_dict entry name with the
// given shape, as testdata/gen_golden.py defines it.
func goldenValue(name string, shape []int, i int) float64 {
	s := 0
	for _, c := range []byte(name) {
		s += int(c)
	}
	u := math.Sin(0.7*float64(i) + 0.1*float64(s))
	fanIn := 1
	for _, d := range shape[1:] {
		fanIn *= d
	}
	switch {
	case name == "fc.weight":
		return u * 1.4 / math.Sqrt(float64(fanIn))
	case name == "fc.bias":
		return 0.05 * u
	case len(shape) == 4:
		return u * 2 / math.Sqrt(float64(fanIn))
	case hasSuffix(name, ".running_mean"):
		return 0.1 * u
	case hasSuffix(name, ".running_var"):
		return 1 + 0.15*(u+1)
	case hasSuffix(name, ".weight"):
		return 1 + 0.2*u
	default: // batch norm shift
		return 0.1 * u
	}
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

// fillGolden sets every entry of the network's state from goldenValue, rounded to its dtype.
func fillGolden(net *Network) {
	for _, e := range net.State() {
		shape := e.Value.Shape()
		values := make([]float64, shape.TotalSize())
		for i := range values {
			values[i] = goldenValue(e.Name, shape, i)
		}
		setFloats(e.Value, values)
	}
}

// goldenInput returns the input batch of step (phase) p: sin(0.013·i + 0.5 + p) + 0.25·cos(0.031·i + p).
func goldenInput(n int, p float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = math.Sin(0.013*float64(i)+0.5+p) + 0.25*math.Cos(0.031*float64(i)+p)
	}
	return x
}

// compareTensor checks got against a golden summary. tol is relative to the tensor's scale: an
// element may differ by tol·max(1, max |want|), and each sum by tol times the matching
// magnitude sum. It returns "" or a message with the max absolute difference.
func compareTensor(name string, got []float64, want summary, tol float64) string {
	size := 1
	for _, d := range want.Shape {
		size *= d
	}
	if len(got) != size {
		return fmt.Sprintf("%s: got %d values, want %d (shape %v)", name, len(got), size, want.Shape)
	}
	scale := 1.0
	for _, v := range want.Values {
		scale = math.Max(scale, math.Abs(v))
	}
	for _, s := range want.Samples {
		scale = math.Max(scale, math.Abs(s[1]))
	}
	var worst float64
	worstAt := -1
	check := func(i int, w float64) {
		if d := math.Abs(got[i] - w); d > worst || math.IsNaN(d) {
			worst, worstAt = d, i
		}
	}
	for i, w := range want.Values {
		check(i, w)
	}
	for _, s := range want.Samples {
		check(int(s[0]), s[1])
	}
	if worst > tol*scale || math.IsNaN(worst) {
		return fmt.Sprintf("%s: max abs difference %.3g at element %d (got %v), tolerance %.3g (%g × scale %.3g)",
			name, worst, worstAt, got[worstAt], tol*scale, tol, scale)
	}
	var sum, absSum, sqSum float64
	for _, v := range got {
		sum += v
		absSum += math.Abs(v)
		sqSum += v * v
	}
	for _, c := range []struct {
		quantity  string
		got, want float64
		magnitude float64
	}{
		{"sum", sum, want.Sum, want.AbsSum},
		{"abs sum", absSum, want.AbsSum, want.AbsSum},
		{"sum of squares", sqSum, want.SqSum, want.SqSum},
	} {
		allowed := tol * math.Max(c.magnitude, 1)
		if d := math.Abs(c.got - c.want); d > allowed || math.IsNaN(d) {
			return fmt.Sprintf("%s: %s is %v, want %v: difference %.3g, tolerance %.3g", name, c.quantity, c.got, c.want, d, allowed)
		}
	}
	return ""
}

func TestGoldenNames(t *testing.T) {
	var golden struct {
		Models []struct {
			Depth          int                 `json:"depth"`
			Classes        int                 `json:"classes"`
			ParameterCount int                 `json:"parameter_count"`
			Entries        [][]json.RawMessage `json:"entries"`
		} `json:"models"`
	}
	readGolden(t, "names.json", &golden)
	for _, m := range golden.Models {
		t.Run(fmt.Sprintf("resnet%d/%d classes", m.Depth, m.Classes), func(t *testing.T) {
			net := buildForTest(t, Config{Depth: m.Depth, Classes: m.Classes}, 1, 224)
			if got := net.ParamCount(); got != m.ParameterCount {
				t.Errorf("parameter count: got %d, want %d", got, m.ParameterCount)
			}
			state := net.State()
			if len(state) != len(m.Entries) {
				t.Fatalf("got %d state entries, want %d", len(state), len(m.Entries))
			}
			for i, raw := range m.Entries {
				var name, kind string
				var shape []int
				if err := json.Unmarshal(raw[0], &name); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(raw[1], &shape); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(raw[2], &kind); err != nil {
					t.Fatal(err)
				}
				e := state[i]
				if e.Name != name || !e.Value.Shape().Eq(tensor.Shape(shape)) || e.Buffer != (kind == "buffer") {
					t.Fatalf("entry %d: got %s %v buffer=%t, want %s %v %s", i, e.Name, e.Value.Shape(), e.Buffer, name, shape, kind)
				}
			}
		})
	}
}

// goldenTolerance is the relative tolerance of a comparison with PyTorch: float64 agrees to
// rounding error; float32 accumulates rounding over the depth of the network.
func goldenTolerance(dt tensor.Dtype) float64 {
	if dt == tensor.Float64 {
		return 1e-8
	}
	return 2e-3
}

var _ = graph.ToFloat64s
