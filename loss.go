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

// CrossEntropy adds the mean over the batch of the cross-entropy between the softmax of logits
// (N×K) and the target distributions (N×K, each row summing to 1): -Σₖ tₖ·log softmax(x)ₖ.
// The log-softmax is computed as x - max(x) - log Σ exp(x - max(x)) in float64, so logits of
// any magnitude give a finite loss: logits (1000, 0) with target 1 give exactly 1000. Targets
// must have the dtype of logits. The Targets function fills a []float64, which graph.NewDense
// converts to either dtype.
func CrossEntropy(logits, targets *gorgonia.Node) (*gorgonia.Node, error) {
	if logits.Dims() != 2 || !logits.Shape().Eq(targets.Shape()) {
		return nil, errors.Errorf("cross-entropy: logits %v and targets %v must both be N×K", logits.Shape(), targets.Shape())
	}
	return gorgonia.ApplyOp(&crossEntropyOp{}, logits, targets)
}

// Targets writes into dst (N×K) the target distributions for labels: one-hot rows, or with
// label smoothing ε the rows (1-ε)·onehot + ε/K, as PyTorch's cross_entropy(label_smoothing=ε).
func Targets(dst []float64, labels []int, classes int, smoothing float64) error {
	if len(dst) != len(labels)*classes {
		return errors.Errorf("targets: buffer has %d values, want %d labels × %d classes", len(dst), len(labels), classes)
	}
	if !(smoothing >= 0 && smoothing < 1) {
		return errors.Errorf("invalid label smoothing %v: use a value in [0, 1)", smoothing)
	}
	off := smoothing / float64(classes)
	for i, label := range labels {
		if label < 0 || label >= classes {
			return errors.Errorf("targets: label %d of sample %d is outside [0, %d)", label, i, classes)
		}
		row := dst[i*classes : (i+1)*classes]
		for k := range row {
			row[k] = off
		}
		row[label] += 1 - smoothing
	}
	return nil
}

type crossEntropyOp struct{}

var (
	_ gorgonia.SDOp = crossEntropyOp{}
	_ gorgonia.Op   = (*crossEntropyGradOp)(nil)
)

func (op crossEntropyOp) Arity() int { return 2 }
func (op crossEntropyOp) Type() hm.Type {
	t := graph.TensorType(2, 'a')
	return hm.NewFnType(t, t, hm.TypeVariable('a'))
}
func (op crossEntropyOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}
func (op crossEntropyOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != 2 {
		return nil, errors.Errorf("cross-entropy: expected 2 inputs, got %d", len(inputs))
	}
	s := inputs[0].Shape()
	x, t := graph.ToFloat64s(inputs[0]), graph.ToFloat64s(inputs[1])
	var total float64
	for i := 0; i < s[0]; i++ {
		row, target := x[i*s[1]:(i+1)*s[1]], t[i*s[1]:(i+1)*s[1]]
		lse := logSumExp(row)
		for k, tk := range target {
			if tk != 0 {
				total += tk * (lse - row[k])
			}
		}
	}
	return graph.NewScalar(inputs[0].Dtype(), total/float64(s[0]))
}

// logSumExp returns log Σ exp(row) without overflow.
func logSumExp(row []float64) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, v)
	}
	var sum float64
	for _, v := range row {
		sum += math.Exp(v - m)
	}
	return m + math.Log(sum)
}

func (op crossEntropyOp) ReturnsPtr() bool      { return false }
func (op crossEntropyOp) CallsExtern() bool     { return false }
func (op crossEntropyOp) OverwritesInput() int  { return -1 }
func (op crossEntropyOp) Hashcode() uint32      { return graph.HashOf(op) }
func (op crossEntropyOp) String() string        { return "CrossEntropy" }
func (op crossEntropyOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "CrossEntropy") }

// DiffWRT reports a gradient for the logits only: the targets are data.
func (op crossEntropyOp) DiffWRT(int) []bool { return []bool{true, false} }
func (op crossEntropyOp) SymDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := gorgonia.ApplyOp(&crossEntropyGradOp{}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, errors.Wrap(err, "cross-entropy: building the gradient")
	}
	return gorgonia.Nodes{dx, nil}, nil
}

// crossEntropyGradOp computes dL/dlogits = g·(softmax(x) - t)/N.
type crossEntropyGradOp struct{ out graph.Buffer }

func (op *crossEntropyGradOp) Arity() int { return 3 }
func (op *crossEntropyGradOp) Type() hm.Type {
	t := graph.TensorType(2, 'a')
	return hm.NewFnType(t, t, hm.TypeVariable('a'), t)
}
func (op *crossEntropyGradOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, err := graph.ShapeOf(ds[0])
	return s.Clone(), err
}
func (op *crossEntropyGradOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if len(inputs) != 3 {
		return nil, errors.Errorf("cross-entropy gradient: expected 3 inputs, got %d", len(inputs))
	}
	s := inputs[0].Shape()
	g, err := graph.Scalar(inputs[2])
	if err != nil {
		return nil, errors.Wrap(err, "cross-entropy gradient")
	}
	x, t := graph.ToFloat64s(inputs[0]), graph.ToFloat64s(inputs[1])
	dx := make([]float64, len(x))
	n, k := s[0], s[1]
	for i := 0; i < n; i++ {
		row := x[i*k : (i+1)*k]
		lse := logSumExp(row)
		for j := range row {
			dx[i*k+j] = g * (math.Exp(row[j]-lse) - t[i*k+j]) / float64(n)
		}
	}
	out, err := op.out.Get(inputs[0].Dtype(), s)
	if err != nil {
		return nil, err
	}
	switch d := out.Data().(type) {
	case []float32:
		for i, v := range dx {
			d[i] = float32(v)
		}
	case []float64:
		copy(d, dx)
	}
	return out, nil
}
func (op *crossEntropyGradOp) UsePreallocDo(_ gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	return op.Do(inputs...)
}
func (op *crossEntropyGradOp) ReturnsPtr() bool            { return false }
func (op *crossEntropyGradOp) CallsExtern() bool           { return false }
func (op *crossEntropyGradOp) OverwritesInput() int        { return -1 }
func (op *crossEntropyGradOp) Hashcode() uint32            { return graph.HashOf(op) }
func (op *crossEntropyGradOp) OutputBuffer() *graph.Buffer { return &op.out }
func (op *crossEntropyGradOp) String() string              { return "CrossEntropyGrad" }
func (op *crossEntropyGradOp) WriteHash(h hash.Hash)       { fmt.Fprint(h, "CrossEntropyGrad") }
