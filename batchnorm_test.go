package resnet

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/resnetgo/resnet/graph"
)

func wave(n int, phase float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Sin(0.37*float64(i)+phase) + 0.25*math.Cos(1.3*float64(i))
	}
	return out
}

func constNode(g *gorgonia.ExprGraph, dt tensor.Dtype, name string, shape tensor.Shape, values []float64) *gorgonia.Node {
	return gorgonia.NewTensor(g, dt, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name),
		gorgonia.WithValue(graph.NewDense(dt, shape, values)))
}

func weightedSum(y *gorgonia.Node) *gorgonia.Node {
	c := constNode(y.Graph(), y.Dtype(), "coeff", y.Shape(), wave(y.Shape().TotalSize(), 2.1))
	return gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(y, c))))
}

// bnFixture builds y = BatchNorm(x) with non-trivial scale, shift and running statistics.
func bnFixture(dt tensor.Dtype, xs tensor.Shape, training bool) (*gorgonia.ExprGraph, *BatchNorm, gorgonia.Nodes, *gorgonia.Node, error) {
	g := gorgonia.NewGraph()
	c := xs[1]
	x := constNode(g, dt, "x", xs, wave(xs.TotalSize(), 0.4))
	scale := constNode(g, dt, "scale", tensor.Shape{c}, wave(c, 1.1))
	shift := constNode(g, dt, "shift", tensor.Shape{c}, wave(c, 2.9))
	mode := &graph.Mode{}
	mode.SetTraining(training)
	bn := NewBatchNorm("bn", c, dt, mode)
	variance := make([]float64, c)
	for i := range variance {
		variance[i] = 0.5 + float64(i)/float64(c)
	}
	if err := bn.SetRunningStats(wave(c, 0.5), variance); err != nil {
		return nil, nil, nil, nil, err
	}
	y, err := bn.Apply(x, scale, shift)
	return g, bn, gorgonia.Nodes{x, scale, shift}, y, err
}

func TestBatchNormGradients(t *testing.T) {
	// Central differences: float64 with step 1e-6 agrees to about 1e-8; float32 with step 1e-2
	// is limited by rounding of the cost to about 1e-3 relative.
	tolerances := map[tensor.Dtype][2]float64{tensor.Float64: {1e-6, 1e-6}, tensor.Float32: {1e-2, 2e-2}}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, training := range []bool{true, false} {
			for _, xs := range []tensor.Shape{{3, 4, 3, 2}, {2, 3, 1, 1}} {
				t.Run(fmt.Sprintf("%v/training=%t/%v", dt, training, xs), func(t *testing.T) {
					g, _, wrt, y, err := bnFixture(dt, xs, training)
					if err != nil {
						t.Fatal(err)
					}
					cost := weightedSum(y)
					grads, err := gorgonia.Grad(cost, wrt...)
					if err != nil {
						t.Fatal(err)
					}
					m := gorgonia.NewTapeMachine(g)
					defer m.Close()
					tol := tolerances[dt]
					diffs, err := graph.CheckGradients(m, cost, wrt, grads, tol[0], 100)
					if err != nil {
						t.Fatal(err)
					}
					for _, d := range diffs {
						if d.MaxRel > tol[1] {
							t.Errorf("%s: max relative difference %.3g at element %d over %d elements, tolerance %g", d.Name, d.MaxRel, d.Index, d.Checked, tol[1])
						}
					}
				})
			}
		}
	}
}

// TestBatchNormForward checks the outputs and running statistics against values computed here
// by hand from the definition (PyTorch's BatchNorm2d: biased variance to normalize, unbiased to
// update, momentum 0.1, epsilon 1e-5).
func TestBatchNormForward(t *testing.T) {
	xs := tensor.Shape{2, 2, 1, 2}
	// Channel 0 holds 1, 2 (image 0) and 3, 6 (image 1); channel 1 holds -1, -1, 1, 1.
	x := []float64{1, 2, -1, -1, 3, 6, 1, 1}
	g := gorgonia.NewGraph()
	xn := constNode(g, tensor.Float64, "x", xs, x)
	scale := constNode(g, tensor.Float64, "scale", tensor.Shape{2}, []float64{2, 1})
	shift := constNode(g, tensor.Float64, "shift", tensor.Shape{2}, []float64{0.5, 0})
	mode := &graph.Mode{}
	bn := NewBatchNorm("bn", 2, tensor.Float64, mode)
	y, err := bn.Apply(xn, scale, shift)
	if err != nil {
		t.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()

	mode.SetTraining(true)
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	// Channel 0: mean 3, biased variance 3.5, unbiased 14/3. Channel 1: mean 0, variance 1, 4/3.
	inv0, inv1 := 1/math.Sqrt(3.5+1e-5), 1/math.Sqrt(1+1e-5)
	want := []float64{
		2*(1-3)*inv0 + 0.5, 2*(2-3)*inv0 + 0.5, -inv1, -inv1,
		2*(3-3)*inv0 + 0.5, 2*(6-3)*inv0 + 0.5, inv1, inv1,
	}
	assertClose(t, "training output", graph.ToFloat64s(y.Value()), want, 1e-12)
	assertClose(t, "running mean", graph.ToFloat64s(bn.RunningMean()), []float64{0.3, 0}, 1e-12)
	assertClose(t, "running var", graph.ToFloat64s(bn.RunningVar()), []float64{0.9 + 0.1*14.0/3, 0.9 + 0.1*4.0/3}, 1e-12)

	// Inference mode uses the running statistics and leaves them unchanged.
	mode.SetTraining(false)
	m.Reset()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	rm, rv := 0.3, 0.9+0.1*14.0/3
	got := graph.ToFloat64s(y.Value())
	if w := 2*(1-rm)/math.Sqrt(rv+1e-5) + 0.5; math.Abs(got[0]-w) > 1e-12 {
		t.Errorf("inference output 0: got %v, want %v", got[0], w)
	}
	assertClose(t, "running mean after inference", graph.ToFloat64s(bn.RunningMean()), []float64{0.3, 0}, 1e-12)
}

func assertClose(t *testing.T, quantity string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", quantity, len(got), len(want))
	}
	worst, at := 0.0, 0
	for i := range got {
		if d := math.Abs(got[i] - want[i]); d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	if worst > tol || math.IsNaN(worst) {
		t.Errorf("%s: max abs difference %.3g at %d (got %v, want %v), tolerance %g", quantity, worst, at, got[at], want[at], tol)
	}
}

func TestBatchNormSingleValueIsError(t *testing.T) {
	g, _, _, _, err := bnFixture(tensor.Float32, tensor.Shape{1, 3, 1, 1}, true)
	if err != nil {
		t.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	err = m.RunAll()
	if err == nil || !strings.Contains(err.Error(), "more than one value per channel") {
		t.Fatalf("got error %v, want one that says training needs more than one value per channel", err)
	}
}

func TestBatchNormRejectsBadStats(t *testing.T) {
	bn := NewBatchNorm("layer1.0.bn1", 2, tensor.Float32, &graph.Mode{})
	cases := []struct {
		name       string
		mean, vars []float64
	}{
		{"wrong length", []float64{0}, []float64{1}},
		{"negative variance", []float64{0, 0}, []float64{1, -1}},
		{"NaN variance", []float64{0, 0}, []float64{math.NaN(), 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := bn.SetRunningStats(c.mean, c.vars); err == nil || !strings.Contains(err.Error(), "layer1.0.bn1") {
				t.Errorf("got %v, want an error naming the layer", err)
			}
		})
	}
}
