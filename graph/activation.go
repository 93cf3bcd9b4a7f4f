package graph

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ReLU returns max(x, 0) elementwise for a tensor of any rank.
func ReLU(x *gorgonia.Node) (*gorgonia.Node, error) {
	return gorgonia.ApplyOp(&reluOp{dims: x.Dims()}, x)
}

// ReLUInPlace is ReLU that writes its result over x's value instead of a buffer of its own,
// which saves one activation tensor per layer. Use it only when nothing else reads x: after a
// batch normalization, whose backward pass reads the normalization's input, not its output.
// x's value then holds the rectified numbers after a run.
func ReLUInPlace(x *gorgonia.Node) (*gorgonia.Node, error) {
	return gorgonia.ApplyOp(&reluOp{dims: x.Dims(), inPlace: true}, x)
}

type reluOp struct {
	dims    int
	inPlace bool
	out     Buffer
}

var (
	_ gorgonia.SDOp = (*reluOp)(nil)
	_ gorgonia.Op   = (*reluGradOp)(nil)
)

func (op *reluOp) Arity() int { return 1 }
func (op *reluOp) Type() hm.Type {
	t := TensorType(op.dims, 'a')
	return hm.NewFnType(t, t)
}
func (op *reluOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, err := ShapeOf(ds[0])
	return s.Clone(), err
}
func (op *reluOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	dt, err := checkInputs("relu", 1, inputs)
	if err != nil {
		return nil, err
	}
	var out gorgonia.Value
	if in, ok := inputs[0].(*tensor.Dense); ok && op.inPlace {
		out = in
	} else {
		if out, err = op.out.Get(dt, inputs[0].Shape()); err != nil {
			return nil, err
		}
	}
	switch x := inputs[0].Data().(type) {
	case []float32:
		relu(x, out.Data().([]float32))
	case []float64:
		relu(x, out.Data().([]float64))
	}
	return out, nil
}

func relu[T Float](x, y []T) {
	ParallelFor(len(x), len(x), func(lo, hi int) {
		for i, v := range x[lo:hi] {
			y[lo+i] = max(v, 0)
		}
	})
}

func (op *reluOp) UsePreallocDo(_ gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.Do(inputs...)
}
func (op *reluOp) ReturnsPtr() bool  { return false }
func (op *reluOp) CallsExtern() bool { return false }
func (op *reluOp) OverwritesInput() int {
	if op.inPlace {
		return 0
	}
	return -1
}
func (op *reluOp) Hashcode() uint32      { return HashOf(op) }
func (op *reluOp) OutputBuffer() *Buffer { return &op.out }
func (op *reluOp) String() string        { return "ReLU" }
func (op *reluOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "ReLU%d in-place=%t", op.dims, op.inPlace) }
func (op *reluOp) DiffWRT(int) []bool    { return []bool{true} }
func (op *reluOp) SymDiff(_ gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := gorgonia.ApplyOp(&reluGradOp{dims: op.dims}, output, grad)
	if err != nil {
		return nil, errors.Wrap(err, "relu: building the gradient")
	}
	return gorgonia.Nodes{dx}, nil
}

// reluGradOp computes dL/dx = dL/dy where y > 0 and 0 elsewhere, reading the ReLU output y. At
// x = 0 the gradient is 0, as in PyTorch.
type reluGradOp struct {
	dims int
	out  Buffer
}

func (op *reluGradOp) Arity() int { return 2 }
func (op *reluGradOp) Type() hm.Type {
	t := TensorType(op.dims, 'a')
	return hm.NewFnType(t, t, t)
}
func (op *reluGradOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, err := ShapeOf(ds[0])
	return s.Clone(), err
}
func (op *reluGradOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	dt, err := checkInputs("relu gradient", 2, inputs)
	if err != nil {
		return nil, err
	}
	out, err := op.out.Get(dt, inputs[0].Shape())
	if err != nil {
		return nil, err
	}
	switch y := inputs[0].Data().(type) {
	case []float32:
		reluGrad(y, inputs[1].Data().([]float32), out.Data().([]float32))
	case []float64:
		reluGrad(y, inputs[1].Data().([]float64), out.Data().([]float64))
	}
	return out, nil
}

// reluGrad sets dx = dy where y > 0 and 0 elsewhere. Often about half of a ReLU's outputs are
// zero, in no predictable pattern, so a branch per element mispredicts often. Instead, each
// element keeps or clears dy's bits with a mask made from y's bits: 4.4 times faster than the
// branch on such data (BenchmarkReLUGrad).
func reluGrad[T Float](y, dy, dx []T) {
	ParallelFor(len(y), len(y), func(lo, hi int) {
		switch yv := any(y[lo:hi]).(type) {
		case []float32:
			reluGrad32(yv, any(dy[lo:hi]).([]float32), any(dx[lo:hi]).([]float32))
		case []float64:
			reluGrad64(yv, any(dy[lo:hi]).([]float64), any(dx[lo:hi]).([]float64))
		}
	})
}

// reluGrad32 is reluGrad for float32. Read as a signed integer, a float is greater than zero
// exactly when y > 0 (+0 is 0, negative numbers and -0 are negative), and NaN with its sign bit
// clear counts as positive.
func reluGrad32(y, dy, dx []float32) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	for i, v := range y {
		s := int32(math.Float32bits(v))
		mask := uint32((-s & ^s) >> 31) // all ones when s > 0, else zero
		dx[i] = math.Float32frombits(math.Float32bits(dy[i]) & mask)
	}
}

// reluGrad64 is reluGrad32 for float64.
func reluGrad64(y, dy, dx []float64) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	for i, v := range y {
		s := int64(math.Float64bits(v))
		mask := uint64((-s & ^s) >> 63)
		dx[i] = math.Float64frombits(math.Float64bits(dy[i]) & mask)
	}
}

func (op *reluGradOp) UsePreallocDo(_ gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.Do(inputs...)
}
func (op *reluGradOp) ReturnsPtr() bool      { return false }
func (op *reluGradOp) CallsExtern() bool     { return false }
func (op *reluGradOp) OverwritesInput() int  { return -1 }
func (op *reluGradOp) Hashcode() uint32      { return HashOf(op) }
func (op *reluGradOp) OutputBuffer() *Buffer { return &op.out }
func (op *reluGradOp) String() string        { return "ReLUGrad" }
func (op *reluGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "ReLUGrad%d", op.dims) }

// AddReLU returns max(x + y, 0) for two tensors of equal shape: the join of a residual block in
// one op, without a separate tensor for the sum.
func AddReLU(x, y *gorgonia.Node) (*gorgonia.Node, error) {
	if !x.Shape().Eq(y.Shape()) {
		return nil, errors.Errorf("add+relu: shapes %v and %v differ", x.Shape(), y.Shape())
	}
	return gorgonia.ApplyOp(&addReluOp{dims: x.Dims()}, x, y)
}

type addReluOp struct {
	dims int
	out  Buffer
}

var _ gorgonia.SDOp = (*addReluOp)(nil)

func (op *addReluOp) Arity() int { return 2 }
func (op *addReluOp) Type() hm.Type {
	t := TensorType(op.dims, 'a')
	return hm.NewFnType(t, t, t)
}
func (op *addReluOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, err := ShapeOf(ds[0])
	return s.Clone(), err
}
func (op *addReluOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	dt, err := checkInputs("add+relu", 2, inputs)
	if err != nil {
		return nil, err
	}
	if !inputs[0].Shape().Eq(inputs[1].Shape()) {
		return nil, errors.Errorf("add+relu: shapes %v and %v differ", inputs[0].Shape(), inputs[1].Shape())
	}
	out, err := op.out.Get(dt, inputs[0].Shape())
	if err != nil {
		return nil, err
	}
	switch x := inputs[0].Data().(type) {
	case []float32:
		addRelu(x, inputs[1].Data().([]float32), out.Data().([]float32))
	case []float64:
		addRelu(x, inputs[1].Data().([]float64), out.Data().([]float64))
	}
	return out, nil
}

func addRelu[T Float](x, y, z []T) {
	ParallelFor(len(x), len(x), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			z[i] = max(x[i]+y[i], 0)
		}
	})
}

func (op *addReluOp) UsePreallocDo(_ gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.Do(inputs...)
}
func (op *addReluOp) ReturnsPtr() bool      { return false }
func (op *addReluOp) CallsExtern() bool     { return false }
func (op *addReluOp) OverwritesInput() int  { return -1 }
func (op *addReluOp) Hashcode() uint32      { return HashOf(op) }
func (op *addReluOp) OutputBuffer() *Buffer { return &op.out }
func (op *addReluOp) String() string        { return "AddReLU" }
func (op *addReluOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "AddReLU%d", op.dims) }
func (op *addReluOp) DiffWRT(int) []bool    { return []bool{true, true} }

// SymDiff returns the same node for both inputs: d(x+y)/dx = d(x+y)/dy = 1.
func (op *addReluOp) SymDiff(_ gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	d, err := gorgonia.ApplyOp(&reluGradOp{dims: op.dims}, output, grad)
	if err != nil {
		return nil, errors.Wrap(err, "add+relu: building the gradient")
	}
	return gorgonia.Nodes{d, d}, nil
}
