package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ReLU returns max(x, 0) elementwise for a tensor of any rank.
func ReLU(x *gorgonia.Node) (*gorgonia.Node, error) {
	return gorgonia.ApplyOp(&reluOp{dims: x.Dims()}, x)
}

type reluOp struct {
	dims int
	out  Buffer
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
	out := op.out.Get(dt, inputs[0].Shape())
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
func (op *reluOp) ReturnsPtr() bool      { return false }
func (op *reluOp) CallsExtern() bool     { return false }
func (op *reluOp) OverwritesInput() int  { return -1 }
func (op *reluOp) Hashcode() uint32      { return HashOf(op) }
func (op *reluOp) String() string        { return "ReLU" }
func (op *reluOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "ReLU%d", op.dims) }
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
	out := op.out.Get(dt, inputs[0].Shape())
	switch y := inputs[0].Data().(type) {
	case []float32:
		reluGrad(y, inputs[1].Data().([]float32), out.Data().([]float32))
	case []float64:
		reluGrad(y, inputs[1].Data().([]float64), out.Data().([]float64))
	}
	return out, nil
}

func reluGrad[T Float](y, dy, dx []T) {
	ParallelFor(len(y), len(y), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if y[i] > 0 {
				dx[i] = dy[i]
			} else {
				dx[i] = 0
			}
		}
	})
}

func (op *reluGradOp) UsePreallocDo(_ gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.Do(inputs...)
}
func (op *reluGradOp) ReturnsPtr() bool      { return false }
func (op *reluGradOp) CallsExtern() bool     { return false }
func (op *reluGradOp) OverwritesInput() int  { return -1 }
func (op *reluGradOp) Hashcode() uint32      { return HashOf(op) }
func (op *reluGradOp) String() string        { return "ReLUGrad" }
func (op *reluGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "ReLUGrad%d", op.dims) }
