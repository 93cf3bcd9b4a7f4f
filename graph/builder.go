package graph

import (
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ParamKind is the role of a learnable tensor. It decides the initialization and whether
// weight decay applies.
type ParamKind int

const (
	ConvWeight ParamKind = iota
	NormScale
	NormShift
	LinearWeight
	LinearBias
)

func (k ParamKind) String() string {
	switch k {
	case ConvWeight:
		return "conv weight"
	case NormScale:
		return "norm scale"
	case NormShift:
		return "norm shift"
	case LinearWeight:
		return "linear weight"
	case LinearBias:
		return "linear bias"
	}
	return "unknown"
}

// Param is a learnable tensor: a graph node bound to Value, which the optimizer updates in place.
// Name follows torchvision's state_dict naming, for example "layer2.0.downsample.1.weight".
type Param struct {
	Name  string
	Kind  ParamKind
	Node  *gorgonia.Node
	Value *tensor.Dense
}

// Layer records one layer for model summaries and the compact Graphviz view.
type Layer struct {
	Name   string       // torchvision module name, e.g. "layer3.4.conv2"
	Kind   string       // e.g. "Conv2d 3x3/2", "BatchNorm", "ReLU"
	Stage  string       // e.g. "stem", "layer3", "head"
	Block  string       // e.g. "layer3.4"; empty outside residual blocks
	Out    tensor.Shape // output shape
	Params int          // number of learnable values
	Inputs []string     // names of the layers whose outputs feed this one; "input" for the data
	Node   *gorgonia.Node
}

// Builder holds what every layer constructor needs: the graph, the element type, the mode
// switch, the generator for initial values, and the records of parameters and layers.
// Stage and Block label the layers added next.
type Builder struct {
	G      *gorgonia.ExprGraph
	Dtype  tensor.Dtype
	Mode   *Mode
	Rand   *rand.Rand
	Params []*Param
	Layers []*Layer
	Stage  string
	Block  string

	// Shared, when non-nil, supplies the value of every parameter by name instead of a fresh
	// initialization, so a second graph can run on the same weights.
	Shared map[string]*tensor.Dense

	// Norm builds the normalization layer that follows each convolution. zeroScale requests a
	// scale that starts at 0 (for the last normalization of a residual block).
	Norm func(b *Builder, x *gorgonia.Node, name string, zeroScale bool) (*gorgonia.Node, error)

	// Dropouts are the dropout layers added so far, in build order.
	Dropouts []Reseeder

	producer map[*gorgonia.Node]string
}

// NewBuilder returns a builder on g for element type dt, with initial values drawn from seed.
func NewBuilder(g *gorgonia.ExprGraph, dt tensor.Dtype, mode *Mode, seed uint64) (*Builder, error) {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, errors.Errorf("unsupported dtype %v: use tensor.Float32 or tensor.Float64", dt)
	}
	return &Builder{
		G:        g,
		Dtype:    dt,
		Mode:     mode,
		Rand:     rand.New(rand.NewPCG(seed, 0x5deece66d)),
		producer: map[*gorgonia.Node]string{},
	}, nil
}

// NewParam adds a learnable tensor. fill writes its initial values into data (float64, later
// converted to the builder's dtype); it is not called when Shared supplies the value.
func (b *Builder) NewParam(name string, kind ParamKind, shape tensor.Shape, fill func(data []float64)) (*Param, error) {
	var value *tensor.Dense
	if b.Shared != nil {
		v, ok := b.Shared[name]
		if !ok {
			return nil, errors.Errorf("shared weights have no tensor %q", name)
		}
		if !v.Shape().Eq(shape) || v.Dtype() != b.Dtype {
			return nil, errors.Errorf("shared tensor %q is %v %v, the layer needs %v %v", name, v.Dtype(), v.Shape(), b.Dtype, shape)
		}
		value = v
	} else {
		values := make([]float64, shape.TotalSize())
		fill(values)
		value = NewDense(b.Dtype, shape, values)
	}
	node := gorgonia.NewTensor(b.G, b.Dtype, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name), gorgonia.WithValue(value))
	p := &Param{Name: name, Kind: kind, Node: node, Value: value}
	b.Params = append(b.Params, p)
	return p, nil
}

// NewDense returns a tensor of dtype dt and the given shape holding values.
func NewDense(dt tensor.Dtype, shape tensor.Shape, values []float64) *tensor.Dense {
	if dt == tensor.Float32 {
		data := make([]float32, len(values))
		for i, v := range values {
			data[i] = float32(v)
		}
		return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(data))
	}
	data := make([]float64, len(values))
	copy(data, values)
	return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(data))
}

// Record adds a layer to the summary, naming its inputs by the layers that produced them.
func (b *Builder) Record(name, kind string, out *gorgonia.Node, params int, inputs ...*gorgonia.Node) {
	l := &Layer{Name: name, Kind: kind, Stage: b.Stage, Block: b.Block, Out: out.Shape().Clone(), Params: params, Node: out}
	for _, in := range inputs {
		src, ok := b.producer[in]
		if !ok {
			src = "input"
		}
		l.Inputs = append(l.Inputs, src)
	}
	b.producer[out] = name
	b.Layers = append(b.Layers, l)
}

// Conv adds a bias-free convolution with cout filters of size k×k, initialized as torchvision
// does: Kaiming normal with fan_out mode and the ReLU gain, std = sqrt(2 / (cout·k·k)).
// inputGrad false skips the input gradient (for a first layer that reads data).
func (b *Builder) Conv(x *gorgonia.Node, name string, cout, k, stride, pad int, inputGrad bool) (*gorgonia.Node, error) {
	if x.Dims() != 4 {
		return nil, errors.Errorf("%s: expected a 4-D NCHW input, got shape %v", name, x.Shape())
	}
	cin := x.Shape()[1]
	std := math.Sqrt(2 / float64(cout*k*k))
	w, err := b.NewParam(name+".weight", ConvWeight, tensor.Shape{cout, cin, k, k}, func(d []float64) {
		for i := range d {
			d[i] = b.Rand.NormFloat64() * std
		}
	})
	if err != nil {
		return nil, err
	}
	y, err := Conv2d(x, w.Node, ConvGeometry{KH: k, KW: k, SH: stride, SW: stride, PH: pad, PW: pad}, inputGrad)
	if err != nil {
		return nil, errors.Wrapf(err, "%s", name)
	}
	kind := "Conv2d " + itoa(k) + "x" + itoa(k)
	if stride != 1 {
		kind += "/" + itoa(stride)
	}
	b.Record(name, kind, y, cout*cin*k*k, x)
	return y, nil
}

// ReLU adds a rectifier; name labels it in summaries.
func (b *Builder) ReLU(x *gorgonia.Node, name string) (*gorgonia.Node, error) {
	y, err := ReLU(x)
	if err != nil {
		return nil, errors.Wrapf(err, "%s", name)
	}
	b.Record(name, "ReLU", y, 0, x)
	return y, nil
}

// ReLUInPlace adds a rectifier that overwrites x's value; see the function ReLUInPlace.
func (b *Builder) ReLUInPlace(x *gorgonia.Node, name string) (*gorgonia.Node, error) {
	y, err := ReLUInPlace(x)
	if err != nil {
		return nil, errors.Wrapf(err, "%s", name)
	}
	b.Record(name, "ReLU", y, 0, x)
	return y, nil
}

// AddReLU adds the residual join max(x + y, 0) as one op, recorded as one layer.
func (b *Builder) AddReLU(x, y *gorgonia.Node, name string) (*gorgonia.Node, error) {
	z, err := AddReLU(x, y)
	if err != nil {
		return nil, errors.Wrapf(err, "%s", name)
	}
	b.Record(name, "Add+ReLU", z, 0, x, y)
	return z, nil
}

// MaxPool adds a k×k max pool.
func (b *Builder) MaxPool(x *gorgonia.Node, name string, k, stride, pad int) (*gorgonia.Node, error) {
	y, err := MaxPool2d(x, ConvGeometry{KH: k, KW: k, SH: stride, SW: stride, PH: pad, PW: pad})
	if err != nil {
		return nil, errors.Wrapf(err, "%s", name)
	}
	b.Record(name, "MaxPool "+itoa(k)+"x"+itoa(k)+"/"+itoa(stride), y, 0, x)
	return y, nil
}

// GlobalAvgPool adds an average over height and width (N×C×H×W to N×C).
func (b *Builder) GlobalAvgPool(x *gorgonia.Node, name string) (*gorgonia.Node, error) {
	y, err := GlobalAvgPool(x)
	if err != nil {
		return nil, errors.Wrapf(err, "%s", name)
	}
	b.Record(name, "GlobalAvgPool", y, 0, x)
	return y, nil
}

// Dropout adds dropout with the given rate, driven by the builder's mode.
func (b *Builder) Dropout(x *gorgonia.Node, name string, rate float64) (*gorgonia.Node, error) {
	y, op, err := dropout(x, rate, b.Mode, b.Rand.Uint64())
	if err != nil {
		return nil, errors.Wrapf(err, "%s", name)
	}
	b.Dropouts = append(b.Dropouts, op)
	b.Record(name, "Dropout "+ftoa(rate), y, 0, x)
	return y, nil
}

// Add adds the elementwise sum of two tensors of equal shape (the residual connection).
func (b *Builder) Add(x, y *gorgonia.Node, name string) (*gorgonia.Node, error) {
	if !x.Shape().Eq(y.Shape()) {
		return nil, errors.Errorf("%s: cannot add shapes %v and %v", name, x.Shape(), y.Shape())
	}
	z, err := gorgonia.Add(x, y)
	if err != nil {
		return nil, errors.Wrapf(err, "%s", name)
	}
	b.Record(name, "Add", z, 0, x, y)
	return z, nil
}

// Linear adds y = x·Wᵀ + bias with W of shape (out, in), initialized as PyTorch's nn.Linear:
// weight and bias uniform in ±1/sqrt(in).
func (b *Builder) Linear(x *gorgonia.Node, name string, out int) (*gorgonia.Node, error) {
	if x.Dims() != 2 {
		return nil, errors.Errorf("%s: expected a 2-D input, got shape %v", name, x.Shape())
	}
	in := x.Shape()[1]
	bound := 1 / math.Sqrt(float64(in))
	uniform := func(d []float64) {
		for i := range d {
			d[i] = (2*b.Rand.Float64() - 1) * bound
		}
	}
	w, err := b.NewParam(name+".weight", LinearWeight, tensor.Shape{out, in}, uniform)
	if err != nil {
		return nil, err
	}
	bias, err := b.NewParam(name+".bias", LinearBias, tensor.Shape{out}, uniform)
	if err != nil {
		return nil, err
	}
	xw, err := gorgonia.Mul(x, gorgonia.Must(gorgonia.Transpose(w.Node)))
	if err != nil {
		return nil, errors.Wrapf(err, "%s", name)
	}
	y, err := gorgonia.BroadcastAdd(xw, bias.Node, nil, []byte{0})
	if err != nil {
		return nil, errors.Wrapf(err, "%s", name)
	}
	b.Record(name, "Linear", y, out*in+out, x)
	return y, nil
}
