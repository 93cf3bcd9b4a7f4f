package graph

import (
	"fmt"
	"hash"
	"math/rand/v2"
	"sync/atomic"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Mode is the switch between training and inference that mode-dependent ops (dropout, batch
// normalization) read each time they run, so switching needs no rebuild of the graph.
// The zero value is inference mode.
type Mode struct{ training atomic.Bool }

// SetTraining selects training mode (true) or inference mode (false).
func (m *Mode) SetTraining(on bool) { m.training.Store(on) }

// Training reports whether training mode is selected.
func (m *Mode) Training() bool { return m.training.Load() }

// Dropout returns x with each element zeroed with probability rate and the survivors scaled by
// 1/(1-rate) in training mode, and x unchanged in inference mode. The mask comes from a generator
// seeded with seed, so a run is reproducible. rate must lie in [0, 1).
func Dropout(x *gorgonia.Node, rate float64, mode *Mode, seed uint64) (*gorgonia.Node, error) {
	y, _, err := dropout(x, rate, mode, seed)
	return y, err
}

// Reseeder restarts the random mask sequence of a dropout layer.
type Reseeder interface {
	Reseed(seed uint64)
}

func dropout(x *gorgonia.Node, rate float64, mode *Mode, seed uint64) (*gorgonia.Node, *dropoutOp, error) {
	if !(rate >= 0 && rate < 1) {
		return nil, nil, errors.Errorf("dropout: rate %v is outside [0, 1): it is the probability of dropping an activation", rate)
	}
	if mode == nil {
		return nil, nil, errors.New("dropout: mode is nil: pass the network's *graph.Mode")
	}
	op := &dropoutOp{
		rate:   rate,
		dims:   x.Dims(),
		mode:   mode,
		rng:    rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		serial: NextSerial(),
	}
	y, err := gorgonia.ApplyOp(op, x)
	return y, op, err
}

// Reseed restarts the mask sequence from seed, so that a resumed run draws the same masks as an
// uninterrupted one.
func (op *dropoutOp) Reseed(seed uint64) { op.rng = rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// dropoutOp keeps the mask of its last training-mode run for the backward pass. The mask holds
// 0 or 1/(1-rate) per element; masked is false after an inference-mode run, when the gradient
// passes unchanged.
type dropoutOp struct {
	rate   float64
	dims   int
	mode   *Mode
	rng    *rand.Rand
	serial uint64

	mask32 []float32
	mask64 []float64
	masked bool
	out    Buffer
}

var (
	_ gorgonia.SDOp = (*dropoutOp)(nil)
	_ gorgonia.Op   = (*dropoutGradOp)(nil)
)

func (op *dropoutOp) Arity() int { return 1 }
func (op *dropoutOp) Type() hm.Type {
	t := TensorType(op.dims, 'a')
	return hm.NewFnType(t, t)
}
func (op *dropoutOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, err := ShapeOf(ds[0])
	return s.Clone(), err
}
func (op *dropoutOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	dt, err := checkInputs("dropout", 1, inputs)
	if err != nil {
		return nil, err
	}
	out, err := op.out.Get(dt, inputs[0].Shape())
	if err != nil {
		return nil, err
	}
	op.masked = op.mode.Training() && op.rate > 0
	switch x := inputs[0].Data().(type) {
	case []float32:
		op.mask32 = dropoutForward(x, out.Data().([]float32), op.mask32, op.masked, op.rate, op.rng)
	case []float64:
		op.mask64 = dropoutForward(x, out.Data().([]float64), op.mask64, op.masked, op.rate, op.rng)
	}
	return out, nil
}

func dropoutForward[T Float](x, y, mask []T, masked bool, rate float64, rng *rand.Rand) []T {
	if !masked {
		copy(y, x)
		return mask
	}
	if cap(mask) < len(x) {
		mask = make([]T, len(x))
	}
	mask = mask[:len(x)]
	keep := T(1 / (1 - rate))
	for i := range mask {
		if rng.Float64() < rate {
			mask[i] = 0
		} else {
			mask[i] = keep
		}
		y[i] = x[i] * mask[i]
	}
	return mask
}

func (op *dropoutOp) UsePreallocDo(_ gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.Do(inputs...)
}
func (op *dropoutOp) ReturnsPtr() bool      { return false }
func (op *dropoutOp) CallsExtern() bool     { return false }
func (op *dropoutOp) OverwritesInput() int  { return -1 }
func (op *dropoutOp) Hashcode() uint32      { return HashOf(op) }
func (op *dropoutOp) OutputBuffer() *Buffer { return &op.out }
func (op *dropoutOp) String() string        { return fmt.Sprintf("Dropout(%g)", op.rate) }
func (op *dropoutOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "Dropout rate=%v dims=%d serial=%d", op.rate, op.dims, op.serial)
}
func (op *dropoutOp) DiffWRT(int) []bool { return []bool{true} }
func (op *dropoutOp) SymDiff(_ gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := gorgonia.ApplyOp(&dropoutGradOp{fwd: op}, grad)
	if err != nil {
		return nil, errors.Wrap(err, "dropout: building the gradient")
	}
	return gorgonia.Nodes{dx}, nil
}

// dropoutGradOp multiplies dL/dy by the mask of the forward op's latest run, which the tape
// always executes before the backward pass.
type dropoutGradOp struct {
	fwd *dropoutOp
	out Buffer
}

func (op *dropoutGradOp) Arity() int { return 1 }
func (op *dropoutGradOp) Type() hm.Type {
	t := TensorType(op.fwd.dims, 'a')
	return hm.NewFnType(t, t)
}
func (op *dropoutGradOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, err := ShapeOf(ds[0])
	return s.Clone(), err
}
func (op *dropoutGradOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	dt, err := checkInputs("dropout gradient", 1, inputs)
	if err != nil {
		return nil, err
	}
	out, err := op.out.Get(dt, inputs[0].Shape())
	if err != nil {
		return nil, err
	}
	switch dy := inputs[0].Data().(type) {
	case []float32:
		applyMask(dy, out.Data().([]float32), op.fwd.mask32, op.fwd.masked)
	case []float64:
		applyMask(dy, out.Data().([]float64), op.fwd.mask64, op.fwd.masked)
	}
	return out, nil
}

func applyMask[T Float](dy, dx, mask []T, masked bool) {
	if !masked {
		copy(dx, dy)
		return
	}
	for i := range dy {
		dx[i] = dy[i] * mask[i]
	}
}

func (op *dropoutGradOp) UsePreallocDo(_ gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.Do(inputs...)
}
func (op *dropoutGradOp) ReturnsPtr() bool      { return false }
func (op *dropoutGradOp) CallsExtern() bool     { return false }
func (op *dropoutGradOp) OverwritesInput() int  { return -1 }
func (op *dropoutGradOp) Hashcode() uint32      { return HashOf(op) }
func (op *dropoutGradOp) OutputBuffer() *Buffer { return &op.out }
func (op *dropoutGradOp) String() string        { return fmt.Sprintf("DropoutGrad(%g)", op.fwd.rate) }
func (op *dropoutGradOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "DropoutGrad serial=%d", op.fwd.serial)
}
