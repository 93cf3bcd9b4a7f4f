package resnet

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/resnetgo/resnet/graph"
)

// BatchNorm defaults, as in PyTorch's nn.BatchNorm2d.
const (
	DefaultMomentum = 0.1
	DefaultEpsilon  = 1e-5
)

// BatchNorm is the state of one batch normalization layer over NCHW tensors: the running mean
// and variance per channel, and the mode switch it reads at run time.
//
// In training mode the layer normalizes each channel with the mean and biased variance of the
// batch (over N, H and W) and then updates the running statistics:
// running = (1-Momentum)·running + Momentum·batch, using the unbiased batch variance, as PyTorch
// does. In inference mode it normalizes with the running statistics and changes nothing.
// Several graphs may share one BatchNorm (and so one set of running statistics).
type BatchNorm struct {
	Name     string // torchvision module name, e.g. "layer1.0.bn2"
	Momentum float64
	Epsilon  float64

	mode        *graph.Mode
	runningMean *tensor.Dense
	runningVar  *tensor.Dense
}

// NewBatchNorm returns a layer for channels channels of dtype dt, with running mean 0 and
// running variance 1, PyTorch's defaults for momentum and epsilon, driven by mode.
func NewBatchNorm(name string, channels int, dt tensor.Dtype, mode *graph.Mode) *BatchNorm {
	ones := make([]float64, channels)
	for i := range ones {
		ones[i] = 1
	}
	return &BatchNorm{
		Name:        name,
		Momentum:    DefaultMomentum,
		Epsilon:     DefaultEpsilon,
		mode:        mode,
		runningMean: graph.NewDense(dt, tensor.Shape{channels}, make([]float64, channels)),
		runningVar:  graph.NewDense(dt, tensor.Shape{channels}, ones),
	}
}

// Channels returns the number of channels the layer normalizes.
func (bn *BatchNorm) Channels() int { return bn.runningMean.Shape()[0] }

// RunningMean and RunningVar return the running statistics. The tensors are the layer's own:
// training-mode runs update them in place.
func (bn *BatchNorm) RunningMean() *tensor.Dense { return bn.runningMean }

// RunningVar returns the running variance; see RunningMean.
func (bn *BatchNorm) RunningVar() *tensor.Dense { return bn.runningVar }

// SetRunningStats replaces the running mean and variance, for example from a checkpoint.
func (bn *BatchNorm) SetRunningStats(mean, variance []float64) error {
	c := bn.Channels()
	if len(mean) != c || len(variance) != c {
		return errors.Errorf("batch norm %s: got %d means and %d variances, want %d of each", bn.Name, len(mean), len(variance), c)
	}
	for i, v := range variance {
		if !(v >= 0) || math.IsInf(v, 0) {
			return errors.Errorf("batch norm %s: running variance %d is %v, want a finite value >= 0", bn.Name, i, v)
		}
	}
	setFloats(bn.runningMean, mean)
	setFloats(bn.runningVar, variance)
	return nil
}

func setFloats(t *tensor.Dense, values []float64) {
	switch d := t.Data().(type) {
	case []float32:
		for i, v := range values {
			d[i] = float32(v)
		}
	case []float64:
		copy(d, values)
	}
}

// Apply adds the normalization of x (N×C×H×W) with the learnable per-channel scale and shift
// (each of shape C) to x's graph.
func (bn *BatchNorm) Apply(x, scale, shift *gorgonia.Node) (*gorgonia.Node, error) {
	if x.Dims() != 4 {
		return nil, errors.Errorf("batch norm %s: expected a 4-D NCHW input, got shape %v", bn.Name, x.Shape())
	}
	if c := x.Shape()[1]; c != bn.Channels() {
		return nil, errors.Errorf("batch norm %s: input %v has %d channels, the layer has %d", bn.Name, x.Shape(), c, bn.Channels())
	}
	op := &batchNormOp{bn: bn, serial: graph.NextSerial()}
	return gorgonia.ApplyOp(op, x, scale, shift)
}

// batchNormOp computes y = (x - mean)·invstd·scale + shift per channel. Each run keeps the mean
// and 1/sqrt(var + eps) it used, and whether it ran in training mode, for the backward ops,
// which the tape always runs after the forward op.
type batchNormOp struct {
	bn     *BatchNorm
	serial uint64

	training bool
	mean     []float64
	invStd   []float64
	out      graph.Buffer

	// run counts forward runs. The per-channel sums Σdy and Σdy·x̂ that all three gradient ops
	// need are computed by the first of them after each forward run (sumsRun records which).
	run       uint64
	sumsRun   uint64
	sumDy     []float64
	sumDyXhat []float64
}

var (
	_ gorgonia.Op   = (*batchNormOp)(nil)
	_ gorgonia.SDOp = (*batchNormOp)(nil)
	_ gorgonia.Op   = (*batchNormGradOp)(nil)
)

func (op *batchNormOp) Arity() int { return 3 }

func (op *batchNormOp) Type() hm.Type {
	t4, t1 := graph.TensorType(4, 'a'), graph.TensorType(1, 'a')
	return hm.NewFnType(t4, t1, t1, t4)
}

func (op *batchNormOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := graph.ShapeOf(ds[0])
	if err != nil {
		return nil, err
	}
	c := op.bn.Channels()
	for i, param := range []string{"scale", "shift"} {
		s, err := graph.ShapeOf(ds[i+1])
		if err != nil {
			return nil, err
		}
		if len(s) != 1 || s[0] != c {
			return nil, errors.Errorf("batch norm %s: %s has shape %v, want (%d)", op.bn.Name, param, s, c)
		}
	}
	return xs.Clone(), nil
}

func (op *batchNormOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != 3 {
		return nil, errors.Errorf("batch norm %s: expected 3 inputs, got %d", op.bn.Name, len(inputs))
	}
	xs := inputs[0].Shape()
	n, c, hw := xs[0], xs[1], xs[2]*xs[3]
	op.training = op.bn.mode != nil && op.bn.mode.Training()
	if op.training && n*hw < 2 {
		return nil, errors.Errorf("batch norm %s: training mode needs more than one value per channel, got input shape %v; use a batch of at least 2 or inference mode", op.bn.Name, xs)
	}
	if len(op.mean) != c {
		op.mean, op.invStd = make([]float64, c), make([]float64, c)
		op.sumDy, op.sumDyXhat = make([]float64, c), make([]float64, c)
	}
	op.run++
	out, err := op.out.Get(inputs[0].Dtype(), xs)
	if err != nil {
		return nil, err
	}
	switch x := inputs[0].Data().(type) {
	case []float32:
		bnForward(op, x, inputs[1].Data().([]float32), inputs[2].Data().([]float32), out.Data().([]float32),
			op.bn.runningMean.Data().([]float32), op.bn.runningVar.Data().([]float32), n, c, hw)
	case []float64:
		bnForward(op, x, inputs[1].Data().([]float64), inputs[2].Data().([]float64), out.Data().([]float64),
			op.bn.runningMean.Data().([]float64), op.bn.runningVar.Data().([]float64), n, c, hw)
	default:
		return nil, errors.Errorf("batch norm %s: unsupported dtype %v", op.bn.Name, inputs[0].Dtype())
	}
	return out, nil
}

// bnForward normalizes x into y. Statistics are accumulated in float64 whatever the dtype.
func bnForward[T graph.Float](op *batchNormOp, x, scale, shift, y, runMean, runVar []T, n, c, hw int) {
	graph.ParallelFor(c, n*c*hw, func(lo, hi int) { bnForwardChannels(op, x, scale, shift, y, runMean, runVar, n, c, hw, lo, hi) })
}

// bnForwardChannels is bnForward for channels lo to hi-1.
func bnForwardChannels[T graph.Float](op *batchNormOp, x, scale, shift, y, runMean, runVar []T, n, c, hw, lo, hi int) {
	m := float64(n * hw)
	for ch := lo; ch < hi; ch++ {
		var mean, variance float64
		if op.training {
			var total float64
			for i := 0; i < n; i++ {
				total += sum(x[(i*c+ch)*hw : (i*c+ch+1)*hw])
			}
			mean = total / m
			var sq float64
			for i := 0; i < n; i++ {
				sq += sumSquaredDev(x[(i*c+ch)*hw:(i*c+ch+1)*hw], mean)
			}
			variance = sq / m
			mom := op.bn.Momentum
			runMean[ch] = T((1-mom)*float64(runMean[ch]) + mom*mean)
			runVar[ch] = T((1-mom)*float64(runVar[ch]) + mom*sq/(m-1))
		} else {
			mean, variance = float64(runMean[ch]), float64(runVar[ch])
		}
		invStd := 1 / math.Sqrt(variance+op.bn.Epsilon)
		op.mean[ch], op.invStd[ch] = mean, invStd

		a := float64(scale[ch]) * invStd
		b := float64(shift[ch]) - mean*a
		for i := 0; i < n; i++ {
			off := (i*c + ch) * hw
			src, dst := x[off:off+hw], y[off:off+hw]
			for j, v := range src {
				dst[j] = T(float64(v)*a + b)
			}
		}
	}
}

func (op *batchNormOp) UsePreallocDo(_ gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.Do(inputs...)
}
func (op *batchNormOp) ReturnsPtr() bool            { return false }
func (op *batchNormOp) CallsExtern() bool           { return false }
func (op *batchNormOp) OverwritesInput() int        { return -1 }
func (op *batchNormOp) Hashcode() uint32            { return graph.HashOf(op) }
func (op *batchNormOp) OutputBuffer() *graph.Buffer { return &op.out }
func (op *batchNormOp) String() string              { return fmt.Sprintf("BatchNorm(%s)", op.bn.Name) }
func (op *batchNormOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "BatchNorm name=%q channels=%d momentum=%v eps=%v serial=%d",
		op.bn.Name, op.bn.Channels(), op.bn.Momentum, op.bn.Epsilon, op.serial)
}

// DiffWRT reports that the output depends differentiably on x, scale and shift. The running
// statistics are state, not inputs.
func (op *batchNormOp) DiffWRT(int) []bool { return []bool{true, true, true} }

func (op *batchNormOp) SymDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	x, scale := inputs[0], inputs[1]
	grads := make(gorgonia.Nodes, 3)
	for i, part := range []bnGradPart{bnGradInput, bnGradScale, bnGradShift} {
		g, err := gorgonia.ApplyOp(&batchNormGradOp{fwd: op, part: part}, x, scale, grad)
		if err != nil {
			return nil, errors.Wrapf(err, "batch norm %s: building the %s gradient", op.bn.Name, part)
		}
		grads[i] = g
	}
	return grads, nil
}

// bnGradPart selects which gradient a batchNormGradOp computes.
type bnGradPart int

const (
	bnGradInput bnGradPart = iota
	bnGradScale
	bnGradShift
)

func (p bnGradPart) String() string {
	return [...]string{"input", "scale", "shift"}[p]
}

// batchNormGradOp computes one of the three gradients of a batch normalization from x, scale
// and dL/dy, with x̂ = (x - mean)·invstd from the forward op's latest run and M = N·H·W:
//
//	dL/dshift = Σ dy
//	dL/dscale = Σ dy·x̂
//	dL/dx     = scale·invstd·(dy - Σdy/M - x̂·Σ(dy·x̂)/M)  in training mode
//	dL/dx     = scale·invstd·dy                            in inference mode
//
// In training mode the mean and variance depend on x, which gives the two subtracted terms; in
// inference mode they are constants.
type batchNormGradOp struct {
	fwd  *batchNormOp
	part bnGradPart
	out  graph.Buffer
}

func (op *batchNormGradOp) Arity() int { return 3 }
func (op *batchNormGradOp) Type() hm.Type {
	t4, t1 := graph.TensorType(4, 'a'), graph.TensorType(1, 'a')
	if op.part == bnGradInput {
		return hm.NewFnType(t4, t1, t4, t4)
	}
	return hm.NewFnType(t4, t1, t4, t1)
}
func (op *batchNormGradOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	if op.part == bnGradInput {
		s, err := graph.ShapeOf(ds[0])
		return s.Clone(), err
	}
	return tensor.Shape{op.fwd.bn.Channels()}, nil
}
func (op *batchNormGradOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != 3 {
		return nil, errors.Errorf("batch norm %s: gradient expected 3 inputs, got %d", op.fwd.bn.Name, len(inputs))
	}
	xs := inputs[0].Shape()
	n, c, hw := xs[0], xs[1], xs[2]*xs[3]
	shape := tensor.Shape{c}
	if op.part == bnGradInput {
		shape = xs
	}
	out, err := op.out.Get(inputs[0].Dtype(), shape)
	if err != nil {
		return nil, err
	}
	switch x := inputs[0].Data().(type) {
	case []float32:
		bnBackward(op, x, inputs[1].Data().([]float32), inputs[2].Data().([]float32), out.Data().([]float32), n, c, hw)
	case []float64:
		bnBackward(op, x, inputs[1].Data().([]float64), inputs[2].Data().([]float64), out.Data().([]float64), n, c, hw)
	default:
		return nil, errors.Errorf("batch norm %s: unsupported dtype %v", op.fwd.bn.Name, inputs[0].Dtype())
	}
	return out, nil
}

func bnBackward[T graph.Float](op *batchNormGradOp, x, scale, dy, out []T, n, c, hw int) {
	f := op.fwd
	if f.sumsRun != f.run {
		graph.ParallelFor(c, n*c*hw, func(lo, hi int) { bnSums(f, x, dy, n, c, hw, lo, hi) })
		f.sumsRun = f.run
	}
	switch op.part {
	case bnGradShift:
		for ch := range out {
			out[ch] = T(f.sumDy[ch])
		}
		return
	case bnGradScale:
		for ch := range out {
			out[ch] = T(f.sumDyXhat[ch])
		}
		return
	}
	graph.ParallelFor(c, n*c*hw, func(lo, hi int) { bnInputGrad(f, x, scale, dy, out, n, c, hw, lo, hi) })
}

// bnSums computes Σdy and Σdy·x̂ of channels lo to hi-1.
func bnSums[T graph.Float](f *batchNormOp, x, dy []T, n, c, hw, lo, hi int) {
	for ch := lo; ch < hi; ch++ {
		mean, invStd := f.mean[ch], f.invStd[ch]
		var sumDy, sumDyXhat float64
		for i := 0; i < n; i++ {
			off := (i*c + ch) * hw
			g, gDev := sumGradAndDev(x[off:off+hw], dy[off:off+hw], mean)
			sumDy += g
			sumDyXhat += gDev
		}
		f.sumDy[ch], f.sumDyXhat[ch] = sumDy, sumDyXhat*invStd
	}
}

// bnInputGrad computes dL/dx of channels lo to hi-1.
func bnInputGrad[T graph.Float](f *batchNormOp, x, scale, dy, dx []T, n, c, hw, lo, hi int) {
	m := float64(n * hw)
	for ch := lo; ch < hi; ch++ {
		mean, invStd := f.mean[ch], f.invStd[ch]
		k := float64(scale[ch]) * invStd
		meanDy, meanDyXhat := f.sumDy[ch]/m, f.sumDyXhat[ch]/m
		if !f.training {
			meanDy, meanDyXhat = 0, 0
		}
		// dx = k·(dy - meanDy - x̂·meanDyXhat) with x̂ = (x - mean)·invStd, as a·dy + b·x + d.
		a, b := k, -k*meanDyXhat*invStd
		d := -k*meanDy + k*meanDyXhat*invStd*mean
		for i := 0; i < n; i++ {
			off := (i*c + ch) * hw
			xp, gp, out := x[off:off+hw], dy[off:off+hw], dx[off:off+hw]
			for j, g := range gp {
				out[j] = T(a*float64(g) + b*float64(xp[j]) + d)
			}
		}
	}
}

func (op *batchNormGradOp) UsePreallocDo(_ gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.Do(inputs...)
}
func (op *batchNormGradOp) ReturnsPtr() bool            { return false }
func (op *batchNormGradOp) CallsExtern() bool           { return false }
func (op *batchNormGradOp) OverwritesInput() int        { return -1 }
func (op *batchNormGradOp) Hashcode() uint32            { return graph.HashOf(op) }
func (op *batchNormGradOp) OutputBuffer() *graph.Buffer { return &op.out }
func (op *batchNormGradOp) String() string {
	return fmt.Sprintf("BatchNormGrad(%s, %s)", op.fwd.bn.Name, op.part)
}
func (op *batchNormGradOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "BatchNormGrad part=%d serial=%d", op.part, op.fwd.serial)
}
