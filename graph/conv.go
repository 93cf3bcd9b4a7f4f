package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Conv2d returns the convolution of x (N×C×H×W) with the filters w (Cout×C×KH×KW), without bias,
// in NCHW layout. inputGrad selects whether the backward pass computes the gradient for x. The
// first layer of a network reads data and can skip it, which saves the most expensive col2im.
func Conv2d(x, w *gorgonia.Node, geom ConvGeometry, inputGrad bool) (*gorgonia.Node, error) {
	if geom.KH < 1 || geom.KW < 1 || geom.SH < 1 || geom.SW < 1 || geom.PH < 0 || geom.PW < 0 {
		return nil, errors.Errorf("conv2d: invalid geometry %+v: kernel and stride must be at least 1 and padding at least 0", geom)
	}
	op := &convOp{geom: geom, inputGrad: inputGrad}
	return gorgonia.ApplyOp(op, x, w)
}

// convOp is the forward convolution. It writes NCHW output directly, one GEMM per group of
// images: out(Cout × g·Ho·Wo) = W(Cout × C·KH·KW) · col(C·KH·KW × g·Ho·Wo).
type convOp struct {
	geom      ConvGeometry
	inputGrad bool
	out       Buffer
}

var (
	_ gorgonia.Op              = (*convOp)(nil)
	_ gorgonia.SDOp            = (*convOp)(nil)
	_ gorgonia.Op              = (*convGradInputOp)(nil)
	_ gorgonia.Op              = (*convGradFilterOp)(nil)
	_ gorgonia.UsePreallocDoer = (*convOp)(nil)
)

func (op *convOp) Arity() int { return 2 }

func (op *convOp) Type() hm.Type {
	t := TensorType(4, 'a')
	return hm.NewFnType(t, t, t)
}

func (op *convOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	if len(ds) != 2 {
		return nil, errors.Errorf("conv2d: expected 2 inputs, got %d", len(ds))
	}
	xs, err := ShapeOf(ds[0])
	if err != nil {
		return nil, err
	}
	ws, err := ShapeOf(ds[1])
	if err != nil {
		return nil, err
	}
	return convOutShape(xs, ws, op.geom)
}

func convOutShape(xs, ws tensor.Shape, g ConvGeometry) (tensor.Shape, error) {
	if len(xs) != 4 || len(ws) != 4 {
		return nil, errors.Errorf("conv2d: expected 4-D input and filters, got input %v and filters %v", xs, ws)
	}
	if xs[1] != ws[1] {
		return nil, errors.Errorf("conv2d: input %v has %d channels but filters %v expect %d", xs, xs[1], ws, ws[1])
	}
	if ws[2] != g.KH || ws[3] != g.KW {
		return nil, errors.Errorf("conv2d: filters %v do not match the %dx%d kernel", ws, g.KH, g.KW)
	}
	if xs[2]+2*g.PH < g.KH || xs[3]+2*g.PW < g.KW {
		return nil, errors.Errorf("conv2d: input %v is smaller than the %dx%d kernel with padding %d", xs, g.KH, g.KW, g.PH)
	}
	ho, wo := g.OutSize(xs[2], xs[3])
	return tensor.Shape{xs[0], ws[0], ho, wo}, nil
}

func (op *convOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	dt, err := checkInputs("conv2d", 2, inputs)
	if err != nil {
		return nil, err
	}
	xs, ws := inputs[0].Shape(), inputs[1].Shape()
	shape, err := convOutShape(xs, ws, op.geom)
	if err != nil {
		return nil, err
	}
	out, err := op.out.Get(dt, shape)
	if err != nil {
		return nil, err
	}
	switch x := inputs[0].Data().(type) {
	case []float32:
		convForward(x, inputs[1].Data().([]float32), out.Data().([]float32), xs, ws[0], op.geom)
	case []float64:
		convForward(x, inputs[1].Data().([]float64), out.Data().([]float64), xs, ws[0], op.geom)
	}
	return out, nil
}

func (op *convOp) UsePreallocDo(_ gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.Do(inputs...)
}

func (op *convOp) ReturnsPtr() bool      { return false }
func (op *convOp) CallsExtern() bool     { return false }
func (op *convOp) OverwritesInput() int  { return -1 }
func (op *convOp) Hashcode() uint32      { return HashOf(op) }
func (op *convOp) OutputBuffer() *Buffer { return &op.out }
func (op *convOp) String() string        { return fmt.Sprintf("Conv2d%s", op.geom) }
func (op *convOp) DiffWRT(int) []bool    { return []bool{op.inputGrad, true} }
func (op *convOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "Conv2d%s input-grad=%t", op.geom, op.inputGrad)
}

func (op *convOp) SymDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	x, w := inputs[0], inputs[1]
	dw, err := gorgonia.ApplyOp(&convGradFilterOp{geom: op.geom, wShape: w.Shape().Clone()}, x, grad)
	if err != nil {
		return nil, errors.Wrap(err, "conv2d: building the filter gradient")
	}
	var dx *gorgonia.Node
	if op.inputGrad {
		if dx, err = gorgonia.ApplyOp(&convGradInputOp{geom: op.geom, xShape: x.Shape().Clone()}, w, grad); err != nil {
			return nil, errors.Wrap(err, "conv2d: building the input gradient")
		}
	}
	return gorgonia.Nodes{dx, dw}, nil
}

func (g ConvGeometry) String() string {
	return fmt.Sprintf("(k=%dx%d s=%dx%d p=%dx%d)", g.KH, g.KW, g.SH, g.SW, g.PH, g.PW)
}

// convGradInputOp computes dL/dx from the filters and dL/dy: col = Wᵀ·dy, then col2im.
type convGradInputOp struct {
	geom   ConvGeometry
	xShape tensor.Shape
	out    Buffer
}

func (op *convGradInputOp) Arity() int { return 2 }
func (op *convGradInputOp) Type() hm.Type {
	t := TensorType(4, 'a')
	return hm.NewFnType(t, t, t)
}
func (op *convGradInputOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.xShape.Clone(), nil
}
func (op *convGradInputOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	dt, err := checkInputs("conv2d input gradient", 2, inputs)
	if err != nil {
		return nil, err
	}
	out, err := op.out.Get(dt, op.xShape)
	if err != nil {
		return nil, err
	}
	cout := inputs[0].Shape()[0]
	switch w := inputs[0].Data().(type) {
	case []float32:
		convBackwardInput(w, inputs[1].Data().([]float32), out.Data().([]float32), op.xShape, cout, op.geom)
	case []float64:
		convBackwardInput(w, inputs[1].Data().([]float64), out.Data().([]float64), op.xShape, cout, op.geom)
	}
	return out, nil
}
func (op *convGradInputOp) UsePreallocDo(_ gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.Do(inputs...)
}
func (op *convGradInputOp) ReturnsPtr() bool      { return false }
func (op *convGradInputOp) CallsExtern() bool     { return false }
func (op *convGradInputOp) OverwritesInput() int  { return -1 }
func (op *convGradInputOp) Hashcode() uint32      { return HashOf(op) }
func (op *convGradInputOp) OutputBuffer() *Buffer { return &op.out }
func (op *convGradInputOp) String() string        { return fmt.Sprintf("Conv2dGradInput%s", op.geom) }
func (op *convGradInputOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "Conv2dGradInput%s %v", op.geom, op.xShape)
}

// convGradFilterOp computes dL/dW = Σ over images of dy·colᵀ.
type convGradFilterOp struct {
	geom   ConvGeometry
	wShape tensor.Shape
	out    Buffer
}

func (op *convGradFilterOp) Arity() int { return 2 }
func (op *convGradFilterOp) Type() hm.Type {
	t := TensorType(4, 'a')
	return hm.NewFnType(t, t, t)
}
func (op *convGradFilterOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.wShape.Clone(), nil
}
func (op *convGradFilterOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	dt, err := checkInputs("conv2d filter gradient", 2, inputs)
	if err != nil {
		return nil, err
	}
	out, err := op.out.Get(dt, op.wShape)
	if err != nil {
		return nil, err
	}
	xs := inputs[0].Shape()
	switch x := inputs[0].Data().(type) {
	case []float32:
		convBackwardFilter(x, inputs[1].Data().([]float32), out.Data().([]float32), xs, op.wShape[0], op.geom)
	case []float64:
		convBackwardFilter(x, inputs[1].Data().([]float64), out.Data().([]float64), xs, op.wShape[0], op.geom)
	}
	return out, nil
}
func (op *convGradFilterOp) UsePreallocDo(_ gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.Do(inputs...)
}
func (op *convGradFilterOp) ReturnsPtr() bool      { return false }
func (op *convGradFilterOp) CallsExtern() bool     { return false }
func (op *convGradFilterOp) OverwritesInput() int  { return -1 }
func (op *convGradFilterOp) Hashcode() uint32      { return HashOf(op) }
func (op *convGradFilterOp) OutputBuffer() *Buffer { return &op.out }
func (op *convGradFilterOp) String() string        { return fmt.Sprintf("Conv2dGradFilter%s", op.geom) }
func (op *convGradFilterOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "Conv2dGradFilter%s %v", op.geom, op.wShape)
}

// groupSize returns how many images share one GEMM. Late stages have tiny feature maps (7×7 at
// 224 pixels, 2×2 at 64), and a GEMM with so few columns runs far below peak, so images are
// gathered until a group has at least 1024 columns.
func groupSize(n, hw int) int {
	g := (1024 + hw - 1) / hw
	return max(1, min(g, n))
}

// convForward computes y = conv(x, w) for x of shape xs and cout filters.
func convForward[T Float](x, w, y []T, xs tensor.Shape, cout int, g ConvGeometry) {
	n, c, h, wd := xs[0], xs[1], xs[2], xs[3]
	ho, wo := g.OutSize(h, wd)
	hw, chw, ckk := ho*wo, c*h*wd, c*g.KH*g.KW
	group := groupSize(n, hw)

	if group == 1 && g.pointwise() {
		for i := 0; i < n; i++ {
			matmul(false, false, cout, hw, ckk, w, ckk, x[i*chw:(i+1)*chw], hw, 0, y[i*cout*hw:(i+1)*cout*hw], hw)
		}
		return
	}

	col := getScratch[T](ckk * group * hw)
	defer putScratch(col)
	var tmp []T
	if group > 1 {
		tmp = getScratch[T](cout * group * hw)
		defer putScratch(tmp)
	}
	for n0 := 0; n0 < n; n0 += group {
		gs := min(group, n-n0)
		cols := gs * hw
		for s := 0; s < gs; s++ {
			img := x[(n0+s)*chw : (n0+s+1)*chw]
			im2col(img, c, h, wd, g, col[s*hw:], cols)
		}
		if gs == 1 {
			matmul(false, false, cout, hw, ckk, w, ckk, col, hw, 0, y[n0*cout*hw:(n0+1)*cout*hw], hw)
			continue
		}
		matmul(false, false, cout, cols, ckk, w, ckk, col, cols, 0, tmp, cols)
		scatterGroup(tmp, y[n0*cout*hw:], gs, cout, hw)
	}
}

// scatterGroup copies a (rows × gs·hw) group matrix into gs consecutive images of rows×hw each.
func scatterGroup[T Float](src, dst []T, gs, rows, hw int) {
	cols := gs * hw
	ParallelFor(rows, rows*cols, func(lo, hi int) {
		for s := 0; s < gs; s++ {
			img := dst[s*rows*hw:]
			for r := lo; r < hi; r++ {
				copy(img[r*hw:(r+1)*hw], src[r*cols+s*hw:r*cols+(s+1)*hw])
			}
		}
	})
}

// gatherGroup is the inverse of scatterGroup.
func gatherGroup[T Float](src, dst []T, gs, rows, hw int) {
	cols := gs * hw
	ParallelFor(rows, rows*cols, func(lo, hi int) {
		for s := 0; s < gs; s++ {
			img := src[s*rows*hw:]
			for r := lo; r < hi; r++ {
				copy(dst[r*cols+s*hw:r*cols+(s+1)*hw], img[r*hw:(r+1)*hw])
			}
		}
	})
}

// convBackwardInput computes dx (shape xs) from the filters w and the output gradient dy.
func convBackwardInput[T Float](w, dy, dx []T, xs tensor.Shape, cout int, g ConvGeometry) {
	n, c, h, wd := xs[0], xs[1], xs[2], xs[3]
	ho, wo := g.OutSize(h, wd)
	hw, chw, ckk := ho*wo, c*h*wd, c*g.KH*g.KW
	group := groupSize(n, hw)

	if group == 1 && g.pointwise() {
		for i := 0; i < n; i++ {
			matmul(true, false, ckk, hw, cout, w, ckk, dy[i*cout*hw:(i+1)*cout*hw], hw, 0, dx[i*chw:(i+1)*chw], hw)
		}
		return
	}

	col := getScratch[T](ckk * group * hw)
	defer putScratch(col)
	var dyg []T
	if group > 1 {
		dyg = getScratch[T](cout * group * hw)
		defer putScratch(dyg)
	}
	for n0 := 0; n0 < n; n0 += group {
		gs := min(group, n-n0)
		cols := gs * hw
		src := dy[n0*cout*hw : (n0+1)*cout*hw]
		if gs > 1 {
			gatherGroup(dy[n0*cout*hw:], dyg, gs, cout, hw)
			src = dyg
		}
		if g.pointwise() {
			matmul(true, false, ckk, cols, cout, w, ckk, src, cols, 0, col, cols)
			scatterGroup(col, dx[n0*chw:], gs, c, hw)
			continue
		}
		matmul(true, false, ckk, cols, cout, w, ckk, src, cols, 0, col, cols)
		for s := 0; s < gs; s++ {
			img := dx[(n0+s)*chw : (n0+s+1)*chw]
			clear(img)
			col2im(col[s*hw:], cols, c, h, wd, g, img)
		}
	}
}

// convBackwardFilter computes dw (cout×C×KH×KW) from the input x and the output gradient dy.
func convBackwardFilter[T Float](x, dy, dw []T, xs tensor.Shape, cout int, g ConvGeometry) {
	n, c, h, wd := xs[0], xs[1], xs[2], xs[3]
	ho, wo := g.OutSize(h, wd)
	hw, chw, ckk := ho*wo, c*h*wd, c*g.KH*g.KW
	group := groupSize(n, hw)

	var col, dyg []T
	if !(group == 1 && g.pointwise()) {
		col = getScratch[T](ckk * group * hw)
		defer putScratch(col)
	}
	if group > 1 {
		dyg = getScratch[T](cout * group * hw)
		defer putScratch(dyg)
	}
	var beta T
	for n0 := 0; n0 < n; n0 += group {
		gs := min(group, n-n0)
		cols := gs * hw
		src := dy[n0*cout*hw : (n0+1)*cout*hw]
		if gs > 1 {
			gatherGroup(dy[n0*cout*hw:], dyg, gs, cout, hw)
			src = dyg
		}
		patches := col
		switch {
		case gs == 1 && g.pointwise():
			patches = x[n0*chw : (n0+1)*chw]
		case g.pointwise():
			gatherGroup(x[n0*chw:], col, gs, c, hw)
		default:
			for s := 0; s < gs; s++ {
				im2col(x[(n0+s)*chw:(n0+s+1)*chw], c, h, wd, g, col[s*hw:], cols)
			}
		}
		matmul(false, true, cout, ckk, cols, src, cols, patches, cols, beta, dw, ckk)
		beta = 1
	}
}
