package blocks

import (
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/resnetgo/resnet/graph"
)

// identityNorm replaces batch normalization, which has its own gradient test in the root
// package. Here only the block structure is under test.
func identityNorm(_ *graph.Builder, x *gorgonia.Node, _ string, _ bool) (*gorgonia.Node, error) {
	return x, nil
}

func TestBlockGradients(t *testing.T) {
	cases := []struct {
		name           string
		kind           Kind
		in, planes     int
		stride         int
		opt            Options
		wantProjection bool
	}{
		{"basic identity", BasicKind, 4, 4, 1, Options{}, false},
		{"basic projection", BasicKind, 3, 4, 2, Options{}, true},
		{"bottleneck projection", BottleneckKind, 4, 2, 1, Options{}, true},
		{"bottleneck stride on 1x1", BottleneckKind, 4, 2, 2, Options{StrideOn1x1: true, PlainProjection: true}, true},
		{"bottleneck identity", BottleneckKind, 8, 2, 1, Options{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := gorgonia.NewGraph()
			shape := tensor.Shape{2, c.in, 6, 5}
			values := make([]float64, shape.TotalSize())
			for i := range values {
				values[i] = math.Sin(0.37*float64(i)) + 0.3
			}
			x := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(shape...), gorgonia.WithName("x"),
				gorgonia.WithValue(graph.NewDense(tensor.Float64, shape, values)))
			b, err := graph.NewBuilder(g, tensor.Float64, &graph.Mode{}, 3)
			if err != nil {
				t.Fatal(err)
			}
			b.Norm = identityNorm
			y, err := Build(c.kind, b, x, "layer1.0", c.planes, c.stride, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			wantC := c.planes * c.kind.Expansion()
			if y.Shape()[1] != wantC {
				t.Fatalf("output shape %v, want %d channels", y.Shape(), wantC)
			}
			projection := false
			for _, p := range b.Params {
				if p.Name == "layer1.0.downsample.0.weight" {
					projection = true
				}
			}
			if projection != c.wantProjection {
				t.Errorf("projection shortcut: got %t, want %t", projection, c.wantProjection)
			}

			coeff := make([]float64, y.Shape().TotalSize())
			for i := range coeff {
				coeff[i] = math.Cos(0.5*float64(i) + 0.2)
			}
			cn := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(y.Shape()...), gorgonia.WithName("coeff"),
				gorgonia.WithValue(graph.NewDense(tensor.Float64, y.Shape(), coeff)))
			cost := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(y, cn))))
			wrt := gorgonia.Nodes{x}
			for _, p := range b.Params {
				wrt = append(wrt, p.Node)
			}
			grads, err := gorgonia.Grad(cost, wrt...)
			if err != nil {
				t.Fatal(err)
			}
			m := gorgonia.NewTapeMachine(g)
			defer m.Close()
			// Central differences in float64 with step 1e-6: the cost is piecewise linear in
			// each weight (ReLU), so away from kinks the estimate is exact up to rounding.
			diffs, err := graph.CheckGradients(m, cost, wrt, grads, 1e-6, 40)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diffs {
				if d.MaxRel > 1e-6 {
					t.Errorf("%s: max relative difference %.3g at element %d, tolerance 1e-6", d.Name, d.MaxRel, d.Index)
				}
			}
		})
	}
}

func TestKindExpansion(t *testing.T) {
	for _, c := range []struct {
		kind Kind
		want int
	}{{BasicKind, 1}, {BottleneckKind, 4}} {
		if got := c.kind.Expansion(); got != c.want {
			t.Errorf("%v: expansion %d, want %d", c.kind, got, c.want)
		}
	}
}
