package graph

import (
	"fmt"
	"hash"
	"hash/fnv"
	"sync/atomic"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Float is the element type every op of this module supports.
type Float interface{ ~float32 | ~float64 }

// opSerial numbers stateful op instances, so that two such ops with equal settings still hash
// differently and Gorgonia never merges their nodes.
var opSerial atomic.Uint64

// NextSerial returns a process-wide unique number for a stateful op instance.
func NextSerial() uint64 { return opSerial.Add(1) }

// TensorType returns the Gorgonia type of a tensor with dims dimensions and element type a.
func TensorType(dims int, a hm.TypeVariable) hm.Type {
	return &gorgonia.TensorType{Dims: dims, Of: a}
}

// HashOf returns the 32-bit FNV-1a hash that an op's WriteHash writes.
func HashOf(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// ShapeOf returns the shape behind a DimSizer passed to InferShape.
func ShapeOf(ds gorgonia.DimSizer) (tensor.Shape, error) {
	switch s := ds.(type) {
	case tensor.Shape:
		return s, nil
	case interface{ Shape() tensor.Shape }:
		return s.Shape(), nil
	}
	return nil, errors.Errorf("cannot read a shape from %T", ds)
}

// Buffer is an output tensor that an op reuses from one run to the next, so that a training loop
// allocates its activations once instead of at every step. The op that owns the buffer overwrites
// it at each run: a caller who needs a value after the next run must copy it.
//
// By itself every buffer lives as long as its graph, so a training step holds all activations and
// gradients at once. PlanMemory places the buffers of a graph in one arena where outputs whose
// lifetimes do not overlap share memory.
type Buffer struct {
	t    *tensor.Dense
	plan *memoryPlan // set by PlanMemory
	pos  int         // the op's step in the plan
}

// Get returns the buffer with the given dtype and shape, allocating it when either changed.
// The contents are left as the previous run wrote them. For a planned buffer it returns an error
// when the op runs out of the planned order.
func (b *Buffer) Get(dt tensor.Dtype, shape tensor.Shape) (*tensor.Dense, error) {
	if b.plan != nil {
		if err := b.plan.enter(b.pos); err != nil {
			return nil, err
		}
	}
	if b.t == nil || b.t.Dtype() != dt || !b.t.Shape().Eq(shape) {
		b.t = tensor.New(tensor.WithShape(shape.Clone()...), tensor.Of(dt))
		b.plan = nil // the op no longer writes into the plan's memory
	}
	return b.t, nil
}

// Scalar returns the single number held by v, which may be a Gorgonia scalar or a tensor of size 1.
func Scalar(v gorgonia.Value) (float64, error) {
	switch d := v.Data().(type) {
	case float32:
		return float64(d), nil
	case float64:
		return d, nil
	case []float32:
		if len(d) == 1 {
			return float64(d[0]), nil
		}
	case []float64:
		if len(d) == 1 {
			return d[0], nil
		}
	}
	return 0, errors.Errorf("expected a scalar value, got %v of shape %v", v.Dtype(), v.Shape())
}

// NewScalar returns a Gorgonia scalar value of dtype dt.
func NewScalar(dt tensor.Dtype, x float64) (gorgonia.Value, error) {
	switch dt {
	case tensor.Float32:
		return gorgonia.NewF32(float32(x)), nil
	case tensor.Float64:
		return gorgonia.NewF64(x), nil
	}
	return nil, errors.Errorf("unsupported dtype %v: use tensor.Float32 or tensor.Float64", dt)
}

// checkInputs verifies the number of inputs of an op and that all of them are tensors of one
// supported dtype, which it returns.
func checkInputs(op string, want int, inputs []gorgonia.Value) (tensor.Dtype, error) {
	if len(inputs) != want {
		return tensor.Dtype{}, errors.Errorf("%s: expected %d inputs, got %d", op, want, len(inputs))
	}
	dt := inputs[0].Dtype()
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return dt, errors.Errorf("%s: unsupported dtype %v: use float32 or float64", op, dt)
	}
	for i, in := range inputs {
		if in.Dtype() != dt {
			return dt, errors.Errorf("%s: input %d has dtype %v, input 0 has %v", op, i, in.Dtype(), dt)
		}
	}
	return dt, nil
}

// shapeString formats a shape as "(2, 3, 4)" for error messages and summaries.
func shapeString(s tensor.Shape) string {
	out := "("
	for i, d := range s {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprint(d)
	}
	return out + ")"
}

// ShapeString formats a shape as "(2, 3, 4)".
func ShapeString(s tensor.Shape) string { return shapeString(s) }
