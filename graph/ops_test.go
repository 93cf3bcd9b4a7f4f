package graph

import (
	"fmt"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// wave returns deterministic, non-repeating test values in about [-1.25, 1.25].
func wave(n int, phase float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Sin(0.37*float64(i)+phase) + 0.25*math.Cos(1.3*float64(i))
	}
	return out
}

func input(g *gorgonia.ExprGraph, dt tensor.Dtype, name string, shape tensor.Shape, phase float64) *gorgonia.Node {
	v := NewDense(dt, shape, wave(shape.TotalSize(), phase))
	return gorgonia.NewTensor(g, dt, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name), gorgonia.WithValue(v))
}

// weightedSum returns Σ y·c with fixed coefficients c, a cost whose gradient reaches every output.
func weightedSum(t *testing.T, y *gorgonia.Node) *gorgonia.Node {
	t.Helper()
	c := gorgonia.NewTensor(y.Graph(), y.Dtype(), y.Dims(), gorgonia.WithShape(y.Shape()...), gorgonia.WithName("coeff"),
		gorgonia.WithValue(NewDense(y.Dtype(), y.Shape(), wave(y.Shape().TotalSize(), 2.1))))
	return gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(y, c))))
}

// tolerances for central differences: float64 with step 1e-6 is accurate to about 1e-8;
// float32 with step 1e-2 is limited by rounding of the cost, about 1e-2 relative.
func gradTolerance(dt tensor.Dtype) (step, tol float64) {
	if dt == tensor.Float64 {
		return 1e-6, 1e-6
	}
	return 1e-2, 2e-2
}

func checkOpGradients(t *testing.T, g *gorgonia.ExprGraph, cost *gorgonia.Node, wrt gorgonia.Nodes, dt tensor.Dtype) {
	t.Helper()
	step, tol := gradTolerance(dt)
	checkOpGradientsStep(t, g, cost, wrt, step, tol)
}

// checkOpGradientsStep is checkOpGradients with an explicit step, for ops with kinks (max pool)
// where a large step crosses from one winning input to another.
func checkOpGradientsStep(t *testing.T, g *gorgonia.ExprGraph, cost *gorgonia.Node, wrt gorgonia.Nodes, step, tol float64) {
	t.Helper()
	grads, err := gorgonia.Grad(cost, wrt...)
	if err != nil {
		t.Fatalf("Grad: %v", err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	diffs, err := CheckGradients(m, cost, wrt, grads, step, 60)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		if d.MaxRel > tol {
			t.Errorf("%s: max relative difference %.3g at element %d (max abs %.3g) over %d elements, tolerance %.g",
				d.Name, d.MaxRel, d.Index, d.MaxAbs, d.Checked, tol)
		}
	}
}

var dtypes = []tensor.Dtype{tensor.Float64, tensor.Float32}

func TestConvGradients(t *testing.T) {
	cases := []struct {
		name string
		x    tensor.Shape
		cout int
		geom ConvGeometry
	}{
		{"3x3 stride 1", tensor.Shape{2, 3, 5, 6}, 4, ConvGeometry{3, 3, 1, 1, 1, 1}},
		{"3x3 stride 2", tensor.Shape{2, 2, 7, 5}, 3, ConvGeometry{3, 3, 2, 2, 1, 1}},
		{"7x7 stride 2 pad 3", tensor.Shape{1, 2, 9, 9}, 2, ConvGeometry{7, 7, 2, 2, 3, 3}},
		{"1x1 stride 1", tensor.Shape{3, 4, 4, 4}, 5, ConvGeometry{1, 1, 1, 1, 0, 0}},
		{"1x1 stride 2", tensor.Shape{2, 3, 5, 5}, 4, ConvGeometry{1, 1, 2, 2, 0, 0}},
		{"1x1 large map", tensor.Shape{2, 2, 40, 40}, 2, ConvGeometry{1, 1, 1, 1, 0, 0}},
	}
	for _, dt := range dtypes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/%v", c.name, dt), func(t *testing.T) {
				g := gorgonia.NewGraph()
				x := input(g, dt, "x", c.x, 0.3)
				w := input(g, dt, "w", tensor.Shape{c.cout, c.x[1], c.geom.KH, c.geom.KW}, 1.7)
				y, err := Conv2d(x, w, c.geom, true)
				if err != nil {
					t.Fatal(err)
				}
				checkOpGradients(t, g, weightedSum(t, y), gorgonia.Nodes{x, w}, dt)
			})
		}
	}
}

// naiveConv is a direct seven-loop convolution, the reference for the im2col and GEMM path.
func naiveConv(x, w []float64, xs tensor.Shape, cout int, g ConvGeometry) []float64 {
	n, c, h, wd := xs[0], xs[1], xs[2], xs[3]
	ho, wo := g.OutSize(h, wd)
	y := make([]float64, n*cout*ho*wo)
	for b := 0; b < n; b++ {
		for o := 0; o < cout; o++ {
			for oh := 0; oh < ho; oh++ {
				for ow := 0; ow < wo; ow++ {
					var s float64
					for ci := 0; ci < c; ci++ {
						for i := 0; i < g.KH; i++ {
							for j := 0; j < g.KW; j++ {
								ih, iw := oh*g.SH-g.PH+i, ow*g.SW-g.PW+j
								if ih < 0 || ih >= h || iw < 0 || iw >= wd {
									continue
								}
								s += x[((b*c+ci)*h+ih)*wd+iw] * w[((o*c+ci)*g.KH+i)*g.KW+j]
							}
						}
					}
					y[((b*cout+o)*ho+oh)*wo+ow] = s
				}
			}
		}
	}
	return y
}

func TestConvForwardMatchesNaive(t *testing.T) {
	cases := []struct {
		name string
		x    tensor.Shape
		cout int
		geom ConvGeometry
	}{
		{"3x3 grouped images", tensor.Shape{5, 3, 6, 7}, 4, ConvGeometry{3, 3, 1, 1, 1, 1}},
		{"3x3 stride 2 odd size", tensor.Shape{3, 2, 9, 11}, 3, ConvGeometry{3, 3, 2, 2, 1, 1}},
		{"1x1 grouped", tensor.Shape{4, 6, 3, 3}, 2, ConvGeometry{1, 1, 1, 1, 0, 0}},
		{"1x1 one image per group", tensor.Shape{2, 3, 40, 40}, 2, ConvGeometry{1, 1, 1, 1, 0, 0}},
		{"kernel wider than image", tensor.Shape{1, 1, 2, 2}, 1, ConvGeometry{7, 7, 2, 2, 3, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x, w := wave(c.x.TotalSize(), 0.1), wave(c.cout*c.x[1]*c.geom.KH*c.geom.KW, 0.9)
			want := naiveConv(x, w, c.x, c.cout, c.geom)
			got := make([]float64, len(want))
			convForward(x, w, got, c.x, c.cout, c.geom)
			var worst float64
			for i := range want {
				worst = math.Max(worst, math.Abs(got[i]-want[i]))
			}
			if worst > 1e-12 {
				t.Errorf("max abs difference %.3g from the direct convolution, tolerance 1e-12", worst)
			}
		})
	}
}

func TestPoolAndReLUGradients(t *testing.T) {
	for _, dt := range dtypes {
		t.Run(fmt.Sprintf("max pool/%v", dt), func(t *testing.T) {
			g := gorgonia.NewGraph()
			x := input(g, dt, "x", tensor.Shape{2, 2, 7, 6}, 0.2)
			y, err := MaxPool2d(x, ConvGeometry{3, 3, 2, 2, 1, 1})
			if err != nil {
				t.Fatal(err)
			}
			// For these values a 1e-2 step moves some window's maximum to another input, so the
			// difference quotient spans the kink. A 1e-3 step does not.
			checkOpGradientsStep(t, g, weightedSum(t, y), gorgonia.Nodes{x}, 1e-3, 2e-2)
		})
		t.Run(fmt.Sprintf("global average pool/%v", dt), func(t *testing.T) {
			g := gorgonia.NewGraph()
			x := input(g, dt, "x", tensor.Shape{2, 3, 4, 5}, 0.2)
			y, err := GlobalAvgPool(x)
			if err != nil {
				t.Fatal(err)
			}
			checkOpGradients(t, g, weightedSum(t, y), gorgonia.Nodes{x}, dt)
		})
		t.Run(fmt.Sprintf("add+relu/%v", dt), func(t *testing.T) {
			g := gorgonia.NewGraph()
			x := input(g, dt, "x", tensor.Shape{3, 7}, 0.2)
			y := input(g, dt, "y", tensor.Shape{3, 7}, 1.9)
			z, err := AddReLU(x, y)
			if err != nil {
				t.Fatal(err)
			}
			checkOpGradients(t, g, weightedSum(t, z), gorgonia.Nodes{x, y}, dt)
		})
		t.Run(fmt.Sprintf("relu in place/%v", dt), func(t *testing.T) {
			g := gorgonia.NewGraph()
			x := input(g, dt, "x", tensor.Shape{3, 7}, 0.2)
			// The in-place ReLU must read a computed value, as after a batch norm, not a leaf.
			y, err := ReLUInPlace(gorgonia.Must(gorgonia.Add(x, x)))
			if err != nil {
				t.Fatal(err)
			}
			checkOpGradients(t, g, weightedSum(t, y), gorgonia.Nodes{x}, dt)
		})
		t.Run(fmt.Sprintf("relu/%v", dt), func(t *testing.T) {
			g := gorgonia.NewGraph()
			x := input(g, dt, "x", tensor.Shape{3, 7}, 0.2)
			y, err := ReLU(x)
			if err != nil {
				t.Fatal(err)
			}
			checkOpGradients(t, g, weightedSum(t, y), gorgonia.Nodes{x}, dt)
		})
	}
}

func TestMaxPoolIgnoresPadding(t *testing.T) {
	g := gorgonia.NewGraph()
	v := NewDense(tensor.Float64, tensor.Shape{1, 1, 2, 2}, []float64{-4, -3, -2, -1})
	x := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(1, 1, 2, 2), gorgonia.WithValue(v))
	y, err := MaxPool2d(x, ConvGeometry{3, 3, 2, 2, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	if got := ToFloat64s(y.Value()); len(got) != 1 || got[0] != -1 {
		t.Errorf("got %v, want [-1]: padding must not win over negative pixels", got)
	}
}

func TestDropout(t *testing.T) {
	g := gorgonia.NewGraph()
	shape := tensor.Shape{100, 100}
	ones := make([]float64, shape.TotalSize())
	for i := range ones {
		ones[i] = 1
	}
	x := gorgonia.NewTensor(g, tensor.Float64, 2, gorgonia.WithShape(shape...), gorgonia.WithValue(NewDense(tensor.Float64, shape, ones)))
	mode := &Mode{}
	y, err := Dropout(x, 0.3, mode, 7)
	if err != nil {
		t.Fatal(err)
	}
	cost := gorgonia.Must(gorgonia.Sum(y))
	grads, err := gorgonia.Grad(cost, x)
	if err != nil {
		t.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()

	mode.SetTraining(true)
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	out, dx := ToFloat64s(y.Value()), ToFloat64s(grads[0].Value())
	zeros := 0
	for i, v := range out {
		switch {
		case v == 0:
			zeros++
		case math.Abs(v-1/0.7) > 1e-12:
			t.Fatalf("survivor %d is %v, want 1/(1-0.3) = %v", i, v, 1/0.7)
		}
		if dx[i] != v {
			t.Fatalf("gradient %d is %v, want the mask value %v", i, dx[i], v)
		}
	}
	if frac := float64(zeros) / float64(len(out)); math.Abs(frac-0.3) > 0.03 {
		t.Errorf("dropped fraction %.3f, want 0.3 ± 0.03 over %d elements", frac, len(out))
	}

	mode.SetTraining(false)
	m.Reset()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	for i, v := range ToFloat64s(y.Value()) {
		if v != 1 {
			t.Fatalf("inference mode element %d is %v, want 1 (identity)", i, v)
		}
	}
}

func TestDropoutRejectsBadRate(t *testing.T) {
	for _, rate := range []float64{-0.1, 1, 1.5, math.NaN()} {
		g := gorgonia.NewGraph()
		x := input(g, tensor.Float32, "x", tensor.Shape{2, 2}, 0)
		if _, err := Dropout(x, rate, &Mode{}, 1); err == nil {
			t.Errorf("rate %v: got no error, want one", rate)
		}
	}
}
