package graph

import (
	"fmt"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// residualNet builds a small network with the shapes of memory reuse that ResNet has: an
// in-place ReLU, a value read twice (whose gradients Gorgonia sums), a join, pooling, a
// Gorgonia op, and the backward pass. It returns the graph, its cost and the gradients.
func residualNet(t *testing.T, dt tensor.Dtype) (*gorgonia.ExprGraph, *gorgonia.Node, gorgonia.Nodes) {
	t.Helper()
	g := gorgonia.NewGraph()
	x := input(g, dt, "x", tensor.Shape{2, 3, 9, 9}, 0.2)
	w1 := input(g, dt, "w1", tensor.Shape{4, 3, 3, 3}, 0.7)
	w2 := input(g, dt, "w2", tensor.Shape{4, 4, 3, 3}, 1.3)
	w3 := input(g, dt, "w3", tensor.Shape{4, 4, 1, 1}, 2.9)
	same := ConvGeometry{3, 3, 1, 1, 1, 1}
	h1 := gorgonia.Must(ReLUInPlace(gorgonia.Must(Conv2d(x, w1, same, true))))
	h2 := gorgonia.Must(ReLU(gorgonia.Must(Conv2d(h1, w2, same, true))))
	h3 := gorgonia.Must(AddReLU(gorgonia.Must(Conv2d(h2, w3, ConvGeometry{1, 1, 1, 1, 0, 0}, true)), h1))
	h4 := gorgonia.Must(MaxPool2d(gorgonia.Must(gorgonia.HadamardProd(h3, h3)), ConvGeometry{3, 3, 2, 2, 1, 1}))
	cost := weightedSum(t, gorgonia.Must(GlobalAvgPool(h4)))
	grads, err := gorgonia.Grad(cost, x, w1, w2, w3)
	if err != nil {
		t.Fatal(err)
	}
	return g, cost, grads
}

func TestPlanMemoryKeepsResults(t *testing.T) {
	for _, dt := range dtypes {
		t.Run(fmt.Sprint(dt), func(t *testing.T) {
			results := make([][][]float64, 2)
			for i, planned := range []bool{false, true} {
				g, cost, grads := residualNet(t, dt)
				if planned {
					plan, err := PlanMemory(g)
					if err != nil {
						t.Fatal(err)
					}
					if plan.Planned == 0 || plan.ArenaBytes >= plan.SeparateBytes {
						t.Fatalf("plan %v shares nothing", plan)
					}
					t.Log(plan)
				}
				m := gorgonia.NewTapeMachine(g)
				// Two runs: the second reads memory the first left behind.
				for run := 0; run < 2; run++ {
					if err := m.RunAll(); err != nil {
						t.Fatal(err)
					}
					m.Reset()
				}
				m.Close()
				results[i] = append(results[i], ToFloat64s(cost.Value()))
				for _, gr := range grads {
					results[i] = append(results[i], ToFloat64s(gr.Value()))
				}
			}
			for k := range results[0] {
				for j, want := range results[0][k] {
					if got := results[1][k][j]; got != want {
						t.Fatalf("result %d element %d: %v with a plan, %v without", k, j, got, want)
					}
				}
			}
		})
	}
}

func TestPlanMemoryKeepsNamedNodes(t *testing.T) {
	g := gorgonia.NewGraph()
	x := input(g, tensor.Float64, "x", tensor.Shape{2, 3, 4, 4}, 0.2)
	a := gorgonia.Must(ReLU(x))
	b := gorgonia.Must(MaxPool2d(a, ConvGeometry{2, 2, 2, 2, 0, 0}))
	c := gorgonia.Must(ReLU(b))
	d := gorgonia.Must(GlobalAvgPool(c))
	if _, err := PlanMemory(g, a); err != nil {
		t.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	// a is kept although later outputs could have reused its memory; d is a root.
	for i, v := range ToFloat64s(a.Value()) {
		if want := max(ToFloat64s(x.Value())[i], 0); v != want {
			t.Fatalf("kept node element %d = %v, want %v", i, v, want)
		}
	}
	if len(ToFloat64s(d.Value())) != 6 {
		t.Fatalf("root has shape %v", d.Shape())
	}
}

func TestPlanMemoryRejectsAnotherOrder(t *testing.T) {
	g, _, _ := residualNet(t, tensor.Float64)
	if _, err := PlanMemory(g); err != nil {
		t.Fatal(err)
	}
	var planned []*Buffer
	for _, n := range g.AllNodes() {
		if op, ok := n.Op().(BufferedOp); ok && op.OutputBuffer().plan != nil {
			planned = append(planned, op.OutputBuffer())
		}
	}
	if len(planned) < 3 {
		t.Fatalf("only %d planned buffers", len(planned))
	}

	first, later, last := planned[0], planned[0], planned[0]
	for _, b := range planned {
		if b.pos < first.pos {
			first = b
		}
		if b.pos > last.pos {
			last = b
		}
	}
	for _, b := range planned {
		if b != first && b != last {
			later = b
		}
	}

	dt, shape := tensor.Float64, last.t.Shape()
	if _, err := last.Get(dt, shape); err != nil {
		t.Fatal(err)
	}
	if _, err := later.Get(dt, later.t.Shape()); err == nil || !strings.Contains(err.Error(), "TapeMachine") {
		t.Fatalf("an op out of the planned order gave %v, want an error naming the TapeMachine", err)
	}

	// The earliest op starts a new run.
	if _, err := first.Get(dt, first.t.Shape()); err != nil {
		t.Fatal(err)
	}
}

func TestMemoryPlanString(t *testing.T) {
	cases := []struct {
		plan MemoryPlan
		want string
	}{
		{MemoryPlan{279, 2_703_900_000, 7_691_000_000}, "279 outputs in a 2.70 GB arena (7.69 GB with a buffer each)"},
		{MemoryPlan{279, 354_000_000, 1_002_000_000}, "279 outputs in a 354 MB arena (1.00 GB with a buffer each)"},
		{MemoryPlan{13, 40_960, 99_840}, "13 outputs in a 41 kB arena (100 kB with a buffer each)"},
	}
	for _, c := range cases {
		if got := c.plan.String(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

func TestPlanMemoryRejectsAddedNodes(t *testing.T) {
	g, cost, _ := residualNet(t, tensor.Float64)
	if _, err := PlanMemory(g); err != nil {
		t.Fatal(err)
	}
	gorgonia.Must(gorgonia.Neg(cost))
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err == nil || !strings.Contains(err.Error(), "call PlanMemory again") {
		t.Fatalf("a run after adding a node gave %v, want an error asking to plan again", err)
	}
}

func TestPlanMemoryRejectsForeignNode(t *testing.T) {
	g, _, _ := residualNet(t, tensor.Float64)
	other := gorgonia.NewGraph()
	stray := input(other, tensor.Float64, "stray", tensor.Shape{2}, 0)
	if _, err := PlanMemory(g, stray); err == nil || !strings.Contains(err.Error(), "not in the graph") {
		t.Fatalf("got %v, want an error about a node outside the graph", err)
	}
}
