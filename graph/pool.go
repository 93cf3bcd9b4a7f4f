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

// MaxPool2d returns the maximum over each window of x (N×C×H×W). Padding never wins: a window
// that overlaps the border takes the maximum of its pixels inside the image, as PyTorch does.
func MaxPool2d(x *gorgonia.Node, geom ConvGeometry) (*gorgonia.Node, error) {
	if geom.KH < 1 || geom.KW < 1 || geom.SH < 1 || geom.SW < 1 || geom.PH < 0 || geom.PW < 0 {
		return nil, errors.Errorf("max pool: invalid geometry %+v", geom)
	}
	if 2*geom.PH > geom.KH || 2*geom.PW > geom.KW {
		return nil, errors.Errorf("max pool: padding %dx%d must be at most half the %dx%d window", geom.PH, geom.PW, geom.KH, geom.KW)
	}
	return gorgonia.ApplyOp(&maxPoolOp{geom: geom}, x)
}

type maxPoolOp struct {
	geom ConvGeometry
	out  Buffer
}

var (
	_ gorgonia.SDOp = (*maxPoolOp)(nil)
	_ gorgonia.Op   = (*maxPoolGradOp)(nil)
	_ gorgonia.SDOp = (*globalAvgPoolOp)(nil)
	_ gorgonia.Op   = (*globalAvgPoolGradOp)(nil)
)

func poolOutShape(xs tensor.Shape, g ConvGeometry) (tensor.Shape, error) {
	if len(xs) != 4 {
		return nil, errors.Errorf("max pool: expected a 4-D input, got %v", xs)
	}
	if xs[2]+2*g.PH < g.KH || xs[3]+2*g.PW < g.KW {
		return nil, errors.Errorf("max pool: input %v is smaller than the %dx%d window", xs, g.KH, g.KW)
	}
	ho, wo := g.OutSize(xs[2], xs[3])
	return tensor.Shape{xs[0], xs[1], ho, wo}, nil
}

func (op *maxPoolOp) Arity() int { return 1 }
func (op *maxPoolOp) Type() hm.Type {
	t := TensorType(4, 'a')
	return hm.NewFnType(t, t)
}
func (op *maxPoolOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := ShapeOf(ds[0])
	if err != nil {
		return nil, err
	}
	return poolOutShape(xs, op.geom)
}
func (op *maxPoolOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	dt, err := checkInputs("max pool", 1, inputs)
	if err != nil {
		return nil, err
	}
	xs := inputs[0].Shape()
	ys, err := poolOutShape(xs, op.geom)
	if err != nil {
		return nil, err
	}
	out, err := op.out.Get(dt, ys)
	if err != nil {
		return nil, err
	}
	switch x := inputs[0].Data().(type) {
	case []float32:
		maxPool(x, out.Data().([]float32), nil, xs, op.geom)
	case []float64:
		maxPool(x, out.Data().([]float64), nil, xs, op.geom)
	}
	return out, nil
}
func (op *maxPoolOp) UsePreallocDo(_ gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.Do(inputs...)
}
func (op *maxPoolOp) ReturnsPtr() bool      { return false }
func (op *maxPoolOp) CallsExtern() bool     { return false }
func (op *maxPoolOp) OverwritesInput() int  { return -1 }
func (op *maxPoolOp) Hashcode() uint32      { return HashOf(op) }
func (op *maxPoolOp) OutputBuffer() *Buffer { return &op.out }
func (op *maxPoolOp) String() string        { return fmt.Sprintf("MaxPool2d%s", op.geom) }
func (op *maxPoolOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "MaxPool2d%s", op.geom) }
func (op *maxPoolOp) DiffWRT(int) []bool    { return []bool{true} }
func (op *maxPoolOp) SymDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := gorgonia.ApplyOp(&maxPoolGradOp{geom: op.geom}, inputs[0], grad)
	if err != nil {
		return nil, errors.Wrap(err, "max pool: building the gradient")
	}
	return gorgonia.Nodes{dx}, nil
}

// maxPool writes the window maxima of x into y. When grad is non-nil it instead routes each
// output gradient grad[o] to the input position that won window o, adding into y, which then has
// the input's shape. The first maximum in scan order wins ties, so the routing is deterministic.
func maxPool[T Float](x, y, grad []T, xs tensor.Shape, g ConvGeometry) {
	n, c, h, w := xs[0], xs[1], xs[2], xs[3]
	ho, wo := g.OutSize(h, w)
	if grad != nil {
		clear(y)
	}
	for p := 0; p < n*c; p++ {
		plane := x[p*h*w : (p+1)*h*w]
		for oh := 0; oh < ho; oh++ {
			h0, h1 := max(oh*g.SH-g.PH, 0), min(oh*g.SH-g.PH+g.KH, h)
			for ow := 0; ow < wo; ow++ {
				w0, w1 := max(ow*g.SW-g.PW, 0), min(ow*g.SW-g.PW+g.KW, w)
				best, at := T(math.Inf(-1)), -1
				for ih := h0; ih < h1; ih++ {
					for iw := w0; iw < w1; iw++ {
						if v := plane[ih*w+iw]; v > best || at < 0 {
							best, at = v, ih*w+iw
						}
					}
				}
				o := (p*ho+oh)*wo + ow
				if grad == nil {
					y[o] = best
				} else {
					y[p*h*w+at] += grad[o]
				}
			}
		}
	}
}

// maxPoolGradOp computes dL/dx of a max pool from x and dL/dy.
type maxPoolGradOp struct {
	geom ConvGeometry
	out  Buffer
}

func (op *maxPoolGradOp) Arity() int { return 2 }
func (op *maxPoolGradOp) Type() hm.Type {
	t := TensorType(4, 'a')
	return hm.NewFnType(t, t, t)
}
func (op *maxPoolGradOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := ShapeOf(ds[0])
	return xs.Clone(), err
}
func (op *maxPoolGradOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	dt, err := checkInputs("max pool gradient", 2, inputs)
	if err != nil {
		return nil, err
	}
	xs := inputs[0].Shape()
	out, err := op.out.Get(dt, xs)
	if err != nil {
		return nil, err
	}
	switch x := inputs[0].Data().(type) {
	case []float32:
		maxPool(x, out.Data().([]float32), inputs[1].Data().([]float32), xs, op.geom)
	case []float64:
		maxPool(x, out.Data().([]float64), inputs[1].Data().([]float64), xs, op.geom)
	}
	return out, nil
}
func (op *maxPoolGradOp) UsePreallocDo(_ gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.Do(inputs...)
}
func (op *maxPoolGradOp) ReturnsPtr() bool      { return false }
func (op *maxPoolGradOp) CallsExtern() bool     { return false }
func (op *maxPoolGradOp) OverwritesInput() int  { return -1 }
func (op *maxPoolGradOp) Hashcode() uint32      { return HashOf(op) }
func (op *maxPoolGradOp) OutputBuffer() *Buffer { return &op.out }
func (op *maxPoolGradOp) String() string        { return fmt.Sprintf("MaxPool2dGrad%s", op.geom) }
func (op *maxPoolGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "MaxPool2dGrad%s", op.geom) }

// GlobalAvgPool returns the mean of x (N×C×H×W) over height and width, shaped N×C.
func GlobalAvgPool(x *gorgonia.Node) (*gorgonia.Node, error) {
	return gorgonia.ApplyOp(&globalAvgPoolOp{}, x)
}

type globalAvgPoolOp struct{ out Buffer }

func (op *globalAvgPoolOp) Arity() int { return 1 }
func (op *globalAvgPoolOp) Type() hm.Type {
	return hm.NewFnType(TensorType(4, 'a'), TensorType(2, 'a'))
}
func (op *globalAvgPoolOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := ShapeOf(ds[0])
	if err != nil {
		return nil, err
	}
	if len(xs) != 4 {
		return nil, errors.Errorf("global average pool: expected a 4-D input, got %v", xs)
	}
	return tensor.Shape{xs[0], xs[1]}, nil
}
func (op *globalAvgPoolOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	dt, err := checkInputs("global average pool", 1, inputs)
	if err != nil {
		return nil, err
	}
	xs := inputs[0].Shape()
	out, err := op.out.Get(dt, tensor.Shape{xs[0], xs[1]})
	if err != nil {
		return nil, err
	}
	switch x := inputs[0].Data().(type) {
	case []float32:
		avgPlanes(x, out.Data().([]float32), xs[2]*xs[3])
	case []float64:
		avgPlanes(x, out.Data().([]float64), xs[2]*xs[3])
	}
	return out, nil
}

func avgPlanes[T Float](x, y []T, hw int) {
	for p := range y {
		var s T
		for _, v := range x[p*hw : (p+1)*hw] {
			s += v
		}
		y[p] = s / T(hw)
	}
}

func (op *globalAvgPoolOp) UsePreallocDo(_ gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.Do(inputs...)
}
func (op *globalAvgPoolOp) ReturnsPtr() bool      { return false }
func (op *globalAvgPoolOp) CallsExtern() bool     { return false }
func (op *globalAvgPoolOp) OverwritesInput() int  { return -1 }
func (op *globalAvgPoolOp) Hashcode() uint32      { return HashOf(op) }
func (op *globalAvgPoolOp) OutputBuffer() *Buffer { return &op.out }
func (op *globalAvgPoolOp) String() string        { return "GlobalAvgPool" }
func (op *globalAvgPoolOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "GlobalAvgPool") }
func (op *globalAvgPoolOp) DiffWRT(int) []bool    { return []bool{true} }
func (op *globalAvgPoolOp) SymDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := gorgonia.ApplyOp(&globalAvgPoolGradOp{xShape: inputs[0].Shape().Clone()}, grad)
	if err != nil {
		return nil, errors.Wrap(err, "global average pool: building the gradient")
	}
	return gorgonia.Nodes{dx}, nil
}

// globalAvgPoolGradOp spreads dL/dy (N×C) evenly over each H×W plane.
type globalAvgPoolGradOp struct {
	xShape tensor.Shape
	out    Buffer
}

func (op *globalAvgPoolGradOp) Arity() int { return 1 }
func (op *globalAvgPoolGradOp) Type() hm.Type {
	return hm.NewFnType(TensorType(2, 'a'), TensorType(4, 'a'))
}
func (op *globalAvgPoolGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.xShape.Clone(), nil
}
func (op *globalAvgPoolGradOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	dt, err := checkInputs("global average pool gradient", 1, inputs)
	if err != nil {
		return nil, err
	}
	out, err := op.out.Get(dt, op.xShape)
	if err != nil {
		return nil, err
	}
	hw := op.xShape[2] * op.xShape[3]
	switch dy := inputs[0].Data().(type) {
	case []float32:
		spreadPlanes(dy, out.Data().([]float32), hw)
	case []float64:
		spreadPlanes(dy, out.Data().([]float64), hw)
	}
	return out, nil
}

func spreadPlanes[T Float](dy, dx []T, hw int) {
	for p, g := range dy {
		v := g / T(hw)
		plane := dx[p*hw : (p+1)*hw]
		for i := range plane {
			plane[i] = v
		}
	}
}

func (op *globalAvgPoolGradOp) UsePreallocDo(_ gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.Do(inputs...)
}
func (op *globalAvgPoolGradOp) ReturnsPtr() bool      { return false }
func (op *globalAvgPoolGradOp) CallsExtern() bool     { return false }
func (op *globalAvgPoolGradOp) OverwritesInput() int  { return -1 }
func (op *globalAvgPoolGradOp) Hashcode() uint32      { return HashOf(op) }
func (op *globalAvgPoolGradOp) OutputBuffer() *Buffer { return &op.out }
func (op *globalAvgPoolGradOp) String() string        { return "GlobalAvgPoolGrad" }
func (op *globalAvgPoolGradOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "GlobalAvgPoolGrad%v", op.xShape)
}
