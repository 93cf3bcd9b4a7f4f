package resnet

import (
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/resnetgo/resnet/graph"
)

func crossEntropyOf(t *testing.T, dt tensor.Dtype, logits []float64, classes int, labels []int, smoothing float64) float64 {
	t.Helper()
	g := gorgonia.NewGraph()
	shape := tensor.Shape{len(labels), classes}
	x := constNode(g, dt, "logits", shape, logits)
	targets := make([]float64, len(logits))
	if err := Targets(targets, labels, classes, smoothing); err != nil {
		t.Fatal(err)
	}
	tn := constNode(g, dt, "targets", shape, targets)
	loss, err := CrossEntropy(x, tn)
	if err != nil {
		t.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	v, err := graph.Scalar(loss.Value())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCrossEntropyLargeLogits(t *testing.T) {
	cases := []struct {
		name    string
		dt      tensor.Dtype
		logits  []float64
		classes int
		labels  []int
		want    float64
	}{
		{"1000 vs 0, wrong class", tensor.Float64, []float64{1000, 0}, 2, []int{1}, 1000},
		{"float32 90 2 -2", tensor.Float32, []float64{90, 2, -2}, 3, []int{2}, 92},
		{"1e8 right class", tensor.Float64, []float64{1e8, 0, -1e8}, 3, []int{0}, 0},
		{"1e8 wrong class", tensor.Float64, []float64{1e8, 0, -1e8}, 3, []int{2}, 2e8},
		{"equal logits", tensor.Float32, []float64{5, 5, 5, 5}, 4, []int{3}, math.Log(4)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := crossEntropyOf(t, c.dt, c.logits, c.classes, c.labels, 0)
			if math.IsNaN(got) || math.Abs(got-c.want) > 1e-6*math.Max(1, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestCrossEntropyGradient(t *testing.T) {
	for _, smoothing := range []float64{0, 0.1} {
		g := gorgonia.NewGraph()
		shape := tensor.Shape{4, 5}
		x := constNode(g, tensor.Float64, "logits", shape, wave(20, 0.3))
		targets := make([]float64, 20)
		if err := Targets(targets, []int{0, 3, 1, 4}, 5, smoothing); err != nil {
			t.Fatal(err)
		}
		loss, err := CrossEntropy(x, constNode(g, tensor.Float64, "targets", shape, targets))
		if err != nil {
			t.Fatal(err)
		}
		grads, err := gorgonia.Grad(loss, x)
		if err != nil {
			t.Fatal(err)
		}
		m := gorgonia.NewTapeMachine(g)
		diffs, err := graph.CheckGradients(m, loss, gorgonia.Nodes{x}, grads, 1e-6, 20)
		m.Close()
		if err != nil {
			t.Fatal(err)
		}
		if d := diffs[0]; d.MaxRel > 1e-7 {
			t.Errorf("smoothing %v: max relative difference %.3g from central differences, tolerance 1e-7", smoothing, d.MaxRel)
		}
	}
}

func TestTargetsRejectsBadLabels(t *testing.T) {
	dst := make([]float64, 6)
	cases := []struct {
		name      string
		labels    []int
		smoothing float64
	}{
		{"label too large", []int{0, 3}, 0},
		{"negative label", []int{-1, 0}, 0},
		{"smoothing 1", []int{0, 1}, 1},
		{"wrong count", []int{0}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := Targets(dst, c.labels, 3, c.smoothing); err == nil {
				t.Error("got no error, want one")
			}
		})
	}
}
