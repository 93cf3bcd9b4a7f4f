package graph

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// GradDiff is the worst disagreement between an analytic gradient and its central difference
// estimate over the checked elements of one tensor.
type GradDiff struct {
	Name    string
	Checked int     // number of elements compared
	MaxAbs  float64 // max |analytic - numeric|
	MaxRel  float64 // max |analytic - numeric| / max(1, |numeric|)
	Index   int     // flat index where MaxRel occurs
}

// CheckGradients compares the gradients that machine computes for wrt (in grads, as returned by
// gorgonia.Grad) with central differences (f(v+step) - f(v-step)) / (2·step) of the scalar cost,
// on at most perTensor evenly spaced elements of each tensor. Every wrt node must be bound to a
// *tensor.Dense that the machine reads, so that perturbing it in place changes the cost.
// The network must be deterministic: dropout off, and batch norm in training mode is fine (its
// running statistics change, its output does not).
func CheckGradients(machine gorgonia.VM, cost *gorgonia.Node, wrt, grads gorgonia.Nodes, step float64, perTensor int) ([]GradDiff, error) {
	run := func() (float64, error) {
		machine.Reset()
		if err := machine.RunAll(); err != nil {
			return 0, err
		}
		return Scalar(cost.Value())
	}
	if _, err := run(); err != nil {
		return nil, errors.Wrap(err, "gradient check: first run")
	}
	analytic := make([][]float64, len(wrt))
	for i, g := range grads {
		analytic[i] = ToFloat64s(g.Value())
	}

	out := make([]GradDiff, len(wrt))
	for i, n := range wrt {
		v, ok := n.Value().(*tensor.Dense)
		if !ok {
			return nil, errors.Errorf("gradient check: %s is not bound to a *tensor.Dense", n.Name())
		}
		size := v.Shape().TotalSize()
		stride := max(1, size/perTensor)
		d := GradDiff{Name: n.Name()}
		for j := 0; j < size; j += stride {
			orig := at(v, j)
			set(v, j, orig+step)
			plus, err := run()
			if err != nil {
				return nil, err
			}
			set(v, j, orig-step)
			minus, err := run()
			if err != nil {
				return nil, err
			}
			set(v, j, orig)
			numeric := (plus - minus) / (2 * step)
			abs := math.Abs(analytic[i][j] - numeric)
			rel := abs / math.Max(1, math.Abs(numeric))
			d.Checked++
			d.MaxAbs = math.Max(d.MaxAbs, abs)
			if rel > d.MaxRel || d.Checked == 1 {
				d.MaxRel, d.Index = rel, j
			}
		}
		out[i] = d
	}
	if _, err := run(); err != nil {
		return nil, err
	}
	return out, nil
}

func at(t *tensor.Dense, i int) float64 {
	switch d := t.Data().(type) {
	case []float32:
		return float64(d[i])
	case []float64:
		return d[i]
	}
	return math.NaN()
}

func set(t *tensor.Dense, i int, v float64) {
	switch d := t.Data().(type) {
	case []float32:
		d[i] = float32(v)
	case []float64:
		d[i] = v
	}
}

// ToFloat64s returns a copy of v's elements as float64. A scalar gives a slice of one.
func ToFloat64s(v gorgonia.Value) []float64 {
	switch d := v.Data().(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case []float64:
		return append([]float64(nil), d...)
	case float32:
		return []float64{float64(d)}
	case float64:
		return []float64{d}
	}
	return nil
}
