package resnet

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/resnetgo/resnet/graph"
)

// Predictor runs a network forward in inference mode on batches of up to BatchSize images.
type Predictor struct {
	Net       *Network
	BatchSize int
	vm        gorgonia.VM
}

// NewPredictor builds a forward-only graph for cfg with input batch×C×height×width.
// When shared is non-nil the graph uses shared's weights and statistics (cfg is then ignored).
func NewPredictor(cfg *Config, shared *Network, batch, height, width int) (*Predictor, error) {
	var c Config
	if shared != nil {
		c = shared.Config
	} else {
		var err error
		if c, err = cfg.withDefaults(); err != nil {
			return nil, err
		}
	}
	if batch < 1 {
		return nil, errors.Errorf("predictor: invalid batch size %d", batch)
	}
	g := gorgonia.NewGraph()
	shape := tensor.Shape{batch, c.InChannels, height, width}
	x := gorgonia.NewTensor(g, c.Dtype, 4, gorgonia.WithShape(shape...), gorgonia.WithName("images"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(shape...), tensor.Of(c.Dtype))))
	var net *Network
	var err error
	if shared != nil {
		net, err = NewShared(g, x, shared)
	} else {
		net, err = New(g, x, &c)
	}
	if err != nil {
		return nil, err
	}
	// Forward only, so at most a few activations are alive at once.
	if _, err := graph.PlanMemory(g, net.Output); err != nil {
		return nil, errors.Wrap(err, "predictor")
	}
	return &Predictor{Net: net, BatchSize: batch, vm: gorgonia.NewTapeMachine(g)}, nil
}

// Close releases the machine.
func (p *Predictor) Close() error { return p.vm.Close() }

// Logits runs n images (n ≤ BatchSize, NCHW float32) in inference mode and returns n rows of
// outputs. A batch smaller than BatchSize is padded with zeros; in inference mode every image
// is computed independently, so the padding does not change the results.
func (p *Predictor) Logits(images []float32, n int) ([][]float64, error) {
	if n < 1 || n > p.BatchSize {
		return nil, errors.Errorf("predict: got %d images, want 1 to %d", n, p.BatchSize)
	}
	if err := fillInput(p.Net.Input, images, n); err != nil {
		return nil, err
	}
	p.Net.SetTraining(false)
	err := p.vm.RunAll()
	p.vm.Reset()
	if err != nil {
		return nil, err
	}
	all := graph.ToFloat64s(p.Net.Output.Value())
	k := p.Net.Output.Shape()[1]
	out := make([][]float64, n)
	for i := range out {
		out[i] = all[i*k : (i+1)*k]
	}
	return out, nil
}

// Softmax returns the probabilities of a row of logits.
func Softmax(logits []float64) []float64 {
	lse := logSumExp(logits)
	out := make([]float64, len(logits))
	for i, v := range logits {
		out[i] = math.Exp(v - lse)
	}
	return out
}
