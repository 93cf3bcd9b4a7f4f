package blocks

import (
	"fmt"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"

	"github.com/resnetgo/resnet/graph"
)

// Kind is the type of residual block a stage is made of.
type Kind int

const (
	// BasicKind is two 3×3 convolutions (ResNet-18 and 34).
	BasicKind Kind = iota
	// BottleneckKind is 1×1 reduce, 3×3, 1×1 expand by 4 (ResNet-50, 101 and 152).
	BottleneckKind
)

// Expansion returns the ratio of a block's output channels to its planes.
func (k Kind) Expansion() int {
	if k == BottleneckKind {
		return 4
	}
	return 1
}

func (k Kind) String() string {
	if k == BottleneckKind {
		return "bottleneck"
	}
	return "basic"
}

// Options are the architecture choices that vary between ResNet variants.
type Options struct {
	// StrideOn1x1 puts the stride of a downsampling bottleneck on its first 1×1 convolution, as
	// in He et al. 2016. The default (false) puts it on the 3×3 convolution, as torchvision does
	// ("ResNet v1.5"), which is slightly more accurate at a little more compute.
	StrideOn1x1 bool
	// PlainProjection makes the projection shortcut a bare 1×1 convolution. The default (false)
	// follows it with batch normalization, as torchvision does.
	PlainProjection bool
	// ZeroInitLastNorm starts the scale of each block's last normalization at 0, so every block
	// begins as the identity (Goyal et al. 2017). torchvision calls it zero_init_residual.
	ZeroInitLastNorm bool
}

// Build adds one block of the given kind to b. name is its torchvision prefix ("layer2.0"),
// planes its inner width and stride the stride of its first spatial reduction.
func Build(kind Kind, b *graph.Builder, x *gorgonia.Node, name string, planes, stride int, opt Options) (*gorgonia.Node, error) {
	if b.Norm == nil {
		return nil, errors.New("blocks: the builder has no Norm function")
	}
	b.Block = name
	defer func() { b.Block = "" }()
	if kind == BottleneckKind {
		return bottleneck(b, x, name, planes, stride, opt)
	}
	return basic(b, x, name, planes, stride, opt)
}

// convNorm adds convolution, then normalization, then an optional ReLU, with torchvision names
// (name.convI, name.bnI, name.reluI for I = index).
func convNorm(b *graph.Builder, x *gorgonia.Node, name string, index, cout, k, stride int, relu, zeroScale bool) (*gorgonia.Node, error) {
	y, err := b.Conv(x, fmt.Sprintf("%s.conv%d", name, index), cout, k, stride, k/2, true)
	if err != nil {
		return nil, err
	}
	if y, err = b.Norm(b, y, fmt.Sprintf("%s.bn%d", name, index), zeroScale); err != nil {
		return nil, err
	}
	if !relu {
		return y, nil
	}
	// Nothing but the ReLU reads a normalization's output, so the ReLU can overwrite it.
	return b.ReLUInPlace(y, fmt.Sprintf("%s.relu%d", name, index))
}

// shortcut returns x itself when the block keeps its shape, and otherwise the projection
// 1×1 convolution with the block's stride (plus normalization unless opt.PlainProjection).
func shortcut(b *graph.Builder, x *gorgonia.Node, name string, cout, stride int, opt Options) (*gorgonia.Node, error) {
	if stride == 1 && x.Shape()[1] == cout {
		return x, nil
	}
	y, err := b.Conv(x, name+".downsample.0", cout, 1, stride, 0, true)
	if err != nil || opt.PlainProjection {
		return y, err
	}
	return b.Norm(b, y, name+".downsample.1", false)
}

// join adds the residual sum and the final ReLU, fused in one op.
func join(b *graph.Builder, main, short *gorgonia.Node, name string) (*gorgonia.Node, error) {
	return b.AddReLU(main, short, name+".relu")
}

func basic(b *graph.Builder, x *gorgonia.Node, name string, planes, stride int, opt Options) (*gorgonia.Node, error) {
	y, err := convNorm(b, x, name, 1, planes, 3, stride, true, false)
	if err != nil {
		return nil, err
	}
	if y, err = convNorm(b, y, name, 2, planes, 3, 1, false, opt.ZeroInitLastNorm); err != nil {
		return nil, err
	}
	short, err := shortcut(b, x, name, planes, stride, opt)
	if err != nil {
		return nil, err
	}
	return join(b, y, short, name)
}

func bottleneck(b *graph.Builder, x *gorgonia.Node, name string, planes, stride int, opt Options) (*gorgonia.Node, error) {
	stride1, stride3 := 1, stride
	if opt.StrideOn1x1 {
		stride1, stride3 = stride, 1
	}
	y, err := convNorm(b, x, name, 1, planes, 1, stride1, true, false)
	if err != nil {
		return nil, err
	}
	if y, err = convNorm(b, y, name, 2, planes, 3, stride3, true, false); err != nil {
		return nil, err
	}
	out := planes * BottleneckKind.Expansion()
	if y, err = convNorm(b, y, name, 3, out, 1, 1, false, opt.ZeroInitLastNorm); err != nil {
		return nil, err
	}
	short, err := shortcut(b, x, name, out, stride, opt)
	if err != nil {
		return nil, err
	}
	return join(b, y, short, name)
}
