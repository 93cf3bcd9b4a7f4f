package resnet

import (
	"fmt"
	"sort"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/resnetgo/resnet/blocks"
	"github.com/resnetgo/resnet/graph"
)

// architecture is one row of the ResNet table (He et al. 2016, table 1): the block kind and the
// number of blocks in each of the four stages.
type architecture struct {
	kind   blocks.Kind
	stages [4]int
}

var architectures = map[int]architecture{
	18:  {blocks.BasicKind, [4]int{2, 2, 2, 2}},
	34:  {blocks.BasicKind, [4]int{3, 4, 6, 3}},
	50:  {blocks.BottleneckKind, [4]int{3, 4, 6, 3}},
	101: {blocks.BottleneckKind, [4]int{3, 4, 23, 3}},
	152: {blocks.BottleneckKind, [4]int{3, 8, 36, 3}},
}

// Depths returns the supported depths in increasing order.
func Depths() []int {
	var ds []int
	for d := range architectures {
		ds = append(ds, d)
	}
	sort.Ints(ds)
	return ds
}

// MinInputSize is the smallest input height and width accepted. The network reduces the input
// 32-fold, so at 32 pixels the last stage works on a 1×1 map; smaller inputs would be mostly
// padding.
const MinInputSize = 32

// Config selects the network. The zero value of each field means its default, except Classes,
// which must be set unless NoHead is.
type Config struct {
	// Depth is 18, 34, 50, 101 or 152. Default 50.
	Depth int
	// Classes is the number of outputs of the classifier. Required unless NoHead is set
	// (torchvision's default is ImageNet's 1000).
	Classes int
	// InChannels is 3 for RGB input or 1 for grayscale. Default 3.
	InChannels int
	// BaseWidth is the number of channels of the stem and the first stage; the later stages
	// double it. Default 64, as torchvision; smaller widths give small, fast test models.
	BaseWidth int
	// Dtype is tensor.Float32 or tensor.Float64. Default Float32.
	Dtype tensor.Dtype
	// Block holds the variant choices: stride placement in bottlenecks, the projection shortcut
	// with or without normalization, and zero-initialized last scales. The zero value is
	// torchvision's default ResNet.
	Block blocks.Options
	// StemDropout is the dropout rate after the stem's max pool; HeadDropout the rate before the
	// classifier. 0 (the default, and torchvision's) disables each one.
	StemDropout float64
	HeadDropout float64
	// NoHead leaves out the classifier: the output is then the pooled N×C features.
	NoHead bool
	// Seed drives the initial weights and the dropout masks. Default 0.
	Seed uint64
	// InputGrad makes the backward pass compute the gradient with respect to the input image.
	// Default false, which saves the most expensive step of the first layer's backward pass.
	InputGrad bool
}

// withDefaults returns the configuration with zero fields replaced by their defaults, or an
// error naming the first invalid field.
func (c *Config) withDefaults() (Config, error) {
	var out Config
	if c != nil {
		out = *c
	}
	if out.Depth == 0 {
		out.Depth = 50
	}
	if out.InChannels == 0 {
		out.InChannels = 3
	}
	if out.BaseWidth == 0 {
		out.BaseWidth = 64
	}
	if out.Dtype == (tensor.Dtype{}) {
		out.Dtype = tensor.Float32
	}
	if _, ok := architectures[out.Depth]; !ok {
		return out, errors.Errorf("unknown depth %d: use one of %v", out.Depth, Depths())
	}
	if out.InChannels < 1 {
		return out, errors.Errorf("invalid InChannels %d: use 3 for RGB or 1 for grayscale", out.InChannels)
	}
	if out.BaseWidth < 1 || out.BaseWidth > 4096 {
		return out, errors.Errorf("invalid BaseWidth %d: use a width from 1 to 4096 (64 is torchvision's)", out.BaseWidth)
	}
	if out.Dtype != tensor.Float32 && out.Dtype != tensor.Float64 {
		return out, errors.Errorf("unsupported Dtype %v: use tensor.Float32 or tensor.Float64", out.Dtype)
	}
	if !out.NoHead && out.Classes < 1 {
		return out, errors.Errorf("invalid Classes %d: set the number of classes (at least 1), or set NoHead for pooled features", out.Classes)
	}
	for _, r := range []struct {
		name string
		rate float64
	}{{"StemDropout", out.StemDropout}, {"HeadDropout", out.HeadDropout}} {
		if !(r.rate >= 0 && r.rate < 1) {
			return out, errors.Errorf("invalid %s %v: a dropout rate is the probability of dropping an activation and must lie in [0, 1)", r.name, r.rate)
		}
	}
	return out, nil
}

// Entry is one tensor of the network's state, named and ordered as in torchvision's
// state_dict: the learnable parameters and the batch norm running statistics (buffers).
type Entry struct {
	Name   string
	Value  *tensor.Dense
	Buffer bool // true for running_mean and running_var
}

// Network is a ResNet built on a caller's graph.
//
// Output is the logits (N×Classes), or the pooled features (N×C) when Config.NoHead is set.
// Params are the learnable nodes in torchvision order; their values are the tensors the
// optimizer updates in place. Norms are the batch norm layers with their running statistics.
// Layers describe every layer for summaries and the Graphviz export.
type Network struct {
	Config Config
	Graph  *gorgonia.ExprGraph
	Input  *gorgonia.Node
	Output *gorgonia.Node
	Params []*graph.Param
	Norms  []*BatchNorm
	Layers []*graph.Layer
	Mode   *graph.Mode

	// buffers maps the name of each batch norm's shift (".bias"), the last of its parameters,
	// to its running statistics, which follow it in torchvision's state_dict order.
	buffers  map[string][]Entry
	shared   *Network
	dropouts []graph.Reseeder
}

// New builds the network described by cfg on g, reading the input node x (N×C×H×W).
// A nil cfg means every default, which is an error because Classes has none; see Config.
// The network starts in inference mode; call SetTraining(true) before training steps.
func New(g *gorgonia.ExprGraph, x *gorgonia.Node, cfg *Config) (*Network, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return build(g, x, c, nil)
}

// NewShared builds a second network like src on graph g and input x, sharing src's parameter
// tensors, running statistics and mode: an update through either network shows in both. Use it
// for a graph with another batch size, or a forward-only graph for evaluation.
func NewShared(g *gorgonia.ExprGraph, x *gorgonia.Node, src *Network) (*Network, error) {
	return build(g, x, src.Config, src)
}

func build(g *gorgonia.ExprGraph, x *gorgonia.Node, cfg Config, src *Network) (*Network, error) {
	if g == nil || x == nil {
		return nil, errors.New("resnet: graph and input node must not be nil")
	}
	if err := checkInput(x.Shape(), cfg); err != nil {
		return nil, err
	}
	mode := &graph.Mode{}
	if src != nil {
		mode = src.Mode
	}
	b, err := graph.NewBuilder(g, cfg.Dtype, mode, cfg.Seed)
	if err != nil {
		return nil, err
	}
	net := &Network{Config: cfg, Graph: g, Input: x, Mode: mode, shared: src}
	if src != nil {
		b.Shared = map[string]*tensor.Dense{}
		for _, p := range src.Params {
			b.Shared[p.Name] = p.Value
		}
	}
	b.Norm = net.norm

	out, err := net.layers(b, x)
	if err != nil {
		return nil, err
	}
	net.Output = out
	net.Params = b.Params
	net.Layers = b.Layers
	net.dropouts = b.Dropouts
	return net, nil
}

// checkInput rejects inputs the network cannot process, naming the shape and what is allowed.
func checkInput(s tensor.Shape, cfg Config) error {
	if len(s) != 4 {
		return errors.Errorf("input shape %v: want 4 dimensions (batch, channels, height, width)", s)
	}
	if s[0] < 1 {
		return errors.Errorf("input shape %v: batch size must be at least 1", s)
	}
	if s[1] != cfg.InChannels {
		return errors.Errorf("input shape %v has %d channels, the network expects InChannels = %d", s, s[1], cfg.InChannels)
	}
	if s[2] < MinInputSize || s[3] < MinInputSize {
		return errors.Errorf("input shape %v: height and width must be at least %d", s, MinInputSize)
	}
	return nil
}

// layers adds the stem, the four stages and the head, checking the shape after each.
func (net *Network) layers(b *graph.Builder, x *gorgonia.Node) (*gorgonia.Node, error) {
	cfg := net.Config
	arch := architectures[cfg.Depth]
	n, h, w := x.Shape()[0], x.Shape()[2], x.Shape()[3]

	b.Stage = "stem"
	y, err := b.Conv(x, "conv1", cfg.BaseWidth, 7, 2, 3, cfg.InputGrad)
	if err != nil {
		return nil, err
	}
	if y, err = b.Norm(b, y, "bn1", false); err != nil {
		return nil, err
	}
	if y, err = b.ReLUInPlace(y, "relu"); err != nil {
		return nil, err
	}
	if y, err = b.MaxPool(y, "maxpool", 3, 2, 1); err != nil {
		return nil, err
	}
	h, w = halve(halve(h)), halve(halve(w))
	if err := expectShape(y, "stem", n, cfg.BaseWidth, h, w); err != nil {
		return nil, err
	}
	if cfg.StemDropout > 0 {
		if y, err = b.Dropout(y, "stem_dropout", cfg.StemDropout); err != nil {
			return nil, err
		}
	}

	channels := 0
	for s, count := range arch.stages {
		stage := fmt.Sprintf("layer%d", s+1)
		b.Stage = stage
		planes := cfg.BaseWidth << s
		stride := 1
		if s > 0 {
			stride = 2
			h, w = halve(h), halve(w)
		}
		for i := 0; i < count; i++ {
			if y, err = blocks.Build(arch.kind, b, y, fmt.Sprintf("%s.%d", stage, i), planes, stride, cfg.Block); err != nil {
				return nil, err
			}
			stride = 1
		}
		channels = planes * arch.kind.Expansion()
		if err := expectShape(y, stage, n, channels, h, w); err != nil {
			return nil, err
		}
	}

	b.Stage = "head"
	if y, err = b.GlobalAvgPool(y, "avgpool"); err != nil {
		return nil, err
	}
	if cfg.NoHead {
		return y, nil
	}
	if cfg.HeadDropout > 0 {
		if y, err = b.Dropout(y, "head_dropout", cfg.HeadDropout); err != nil {
			return nil, err
		}
	}
	return b.Linear(y, "fc", cfg.Classes)
}

// halve returns the output size of a stride-2 layer with "same" padding: ceil(n/2).
func halve(n int) int { return (n + 1) / 2 }

func expectShape(y *gorgonia.Node, where string, dims ...int) error {
	want := tensor.Shape(dims)
	if !y.Shape().Eq(want) {
		return errors.Errorf("after %s: got shape %v, want %v", where, y.Shape(), want)
	}
	return nil
}

// norm is the builder's normalization layer: a BatchNorm with learnable scale (".weight") and
// shift (".bias"), recorded in torchvision's state_dict order.
func (net *Network) norm(b *graph.Builder, x *gorgonia.Node, name string, zeroScale bool) (*gorgonia.Node, error) {
	c := x.Shape()[1]
	var bn *BatchNorm
	if net.shared != nil {
		bn = net.shared.Norm(name)
		if bn == nil {
			return nil, errors.Errorf("shared network has no batch norm %q", name)
		}
	} else {
		bn = NewBatchNorm(name, c, net.Config.Dtype, net.Mode)
	}
	scale, err := b.NewParam(name+".weight", graph.NormScale, tensor.Shape{c}, func(d []float64) {
		if zeroScale {
			return
		}
		for i := range d {
			d[i] = 1
		}
	})
	if err != nil {
		return nil, err
	}
	shift, err := b.NewParam(name+".bias", graph.NormShift, tensor.Shape{c}, func([]float64) {})
	if err != nil {
		return nil, err
	}
	y, err := bn.Apply(x, scale.Node, shift.Node)
	if err != nil {
		return nil, err
	}
	b.Record(name, "BatchNorm", y, 2*c, x)
	net.Norms = append(net.Norms, bn)
	if net.buffers == nil {
		net.buffers = map[string][]Entry{}
	}
	net.buffers[shift.Name] = []Entry{
		{Name: name + ".running_mean", Value: bn.RunningMean(), Buffer: true},
		{Name: name + ".running_var", Value: bn.RunningVar(), Buffer: true},
	}
	return y, nil
}

// Norm returns the batch norm layer with the given torchvision name, or nil.
func (net *Network) Norm(name string) *BatchNorm {
	for _, bn := range net.Norms {
		if bn.Name == name {
			return bn
		}
	}
	return nil
}

// SetTraining switches the network (and every network sharing its mode) between training mode
// (batch statistics, dropout active) and inference mode. No rebuild is needed.
func (net *Network) SetTraining(on bool) { net.Mode.SetTraining(on) }

// ReseedDropout restarts every dropout layer's mask sequence from seed (each layer from its own
// value derived from seed). A trainer calls it at the start of each epoch with a seed derived from
// the run's seed and the epoch, so that a resumed run draws the same masks.
func (net *Network) ReseedDropout(seed uint64) {
	for i, d := range net.dropouts {
		d.Reseed(seed + uint64(i)*0x9e3779b97f4a7c15)
	}
}

// ParamCount returns the number of learnable values.
func (net *Network) ParamCount() int {
	total := 0
	for _, p := range net.Params {
		total += p.Value.Shape().TotalSize()
	}
	return total
}

// State returns every parameter and running statistic in torchvision's state_dict order
// (num_batches_tracked, which PyTorch uses only when momentum is None, is left out).
func (net *Network) State() []Entry {
	var out []Entry
	for _, p := range net.Params {
		out = append(out, Entry{Name: p.Name, Value: p.Value})
		out = append(out, net.buffers[p.Name]...)
	}
	return out
}
