package resnet

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/resnetgo/resnet/graph"
)

// Schedule gives the learning rate of each optimizer step, counted from 0.
type Schedule interface {
	LR(step int) float64
}

// ConstantLR is a fixed learning rate.
type ConstantLR float64

// LR returns the constant.
func (c ConstantLR) LR(int) float64 { return float64(c) }

// StepDecay multiplies Base by Gamma every StepSize steps, as PyTorch's StepLR.
type StepDecay struct {
	Base     float64
	StepSize int
	Gamma    float64
}

// LR returns Base·Gamma^⌊step/StepSize⌋.
func (s StepDecay) LR(step int) float64 {
	return s.Base * math.Pow(s.Gamma, float64(step/max(1, s.StepSize)))
}

// WarmupCosine rises linearly from StartFactor·Base to Base over Warmup steps, then follows a
// half cosine from Base down to Min at step Total, as PyTorch's LinearLR followed by
// CosineAnnealingLR(T_max = Total - Warmup). Steps past Total stay at Min.
type WarmupCosine struct {
	Base        float64
	Min         float64
	Warmup      int
	Total       int
	StartFactor float64
}

// LR returns the rate of step.
func (s WarmupCosine) LR(step int) float64 {
	if step < s.Warmup {
		return s.Base * (s.StartFactor + (1-s.StartFactor)*float64(step)/float64(s.Warmup))
	}
	span := s.Total - s.Warmup
	if span <= 0 || step >= s.Total {
		return s.Min
	}
	progress := float64(step-s.Warmup) / float64(span)
	return s.Min + (s.Base-s.Min)*(1+math.Cos(math.Pi*progress))/2
}

// SGD is stochastic gradient descent with optional momentum, Nesterov momentum and weight decay,
// in PyTorch's formulation (torch.optim.SGD with dampening 0), so equal settings follow the same
// trajectory:
//
//	g = grad + WeightDecay·w            (for parameters that Decays selects)
//	b = g at the first step, then b = Momentum·b + g
//	d = g + Momentum·b if Nesterov, else b
//	w = w - lr·d
//
// Weight decay here is the gradient of the L2 penalty WeightDecay/2·Σw², whose value Penalty
// returns: the trainer adds it to the cross-entropy, so the loss it reports is the regularized one
// while the graph itself computes only the cross-entropy.
type SGD struct {
	Schedule    Schedule
	Momentum    float64
	Nesterov    bool
	WeightDecay float64
	// DecayAll applies weight decay to every parameter. By default it covers convolution and
	// classifier weights only, and leaves batch norm scales and shifts and all biases alone.
	DecayAll bool

	step    int
	buffers map[string][]float64
}

// Decays reports whether weight decay applies to p.
func (o *SGD) Decays(p *graph.Param) bool {
	if o.DecayAll {
		return true
	}
	return p.Kind == graph.ConvWeight || p.Kind == graph.LinearWeight
}

// Step returns the number of updates made so far.
func (o *SGD) Step() int { return o.step }

// LR returns the learning rate the next update will use.
func (o *SGD) LR() float64 { return o.Schedule.LR(o.step) }

// Penalty returns WeightDecay/2·Σw² over the parameters that Decays selects.
func (o *SGD) Penalty(params []*graph.Param) float64 {
	if o.WeightDecay == 0 {
		return 0
	}
	var sum float64
	for _, p := range params {
		if !o.Decays(p) {
			continue
		}
		switch w := p.Value.Data().(type) {
		case []float32:
			sum += sumSquares(w)
		case []float64:
			sum += sumSquares(w)
		}
	}
	return o.WeightDecay / 2 * sum
}

// Update applies one step to params, given their gradients in the same order, and advances the
// schedule. Gradients are read, never accumulated: each call uses only the values passed.
func (o *SGD) Update(params []*graph.Param, grads []*tensor.Dense) error {
	if o.Schedule == nil {
		return errors.New("sgd: no learning-rate schedule set")
	}
	if len(params) != len(grads) {
		return errors.Errorf("sgd: %d parameters but %d gradients", len(params), len(grads))
	}
	if o.buffers == nil {
		o.buffers = map[string][]float64{}
	}
	lr := o.Schedule.LR(o.step)
	for i, p := range params {
		decay := 0.0
		if o.Decays(p) {
			decay = o.WeightDecay
		}
		var buf []float64
		if o.Momentum != 0 {
			buf = o.buffers[p.Name]
			if buf == nil {
				buf = make([]float64, p.Value.Shape().TotalSize())
				o.buffers[p.Name] = buf
			}
		}
		switch w := p.Value.Data().(type) {
		case []float32:
			g, ok := grads[i].Data().([]float32)
			if !ok || len(g) != len(w) {
				return errors.Errorf("sgd: gradient of %s does not match its %v float32 value", p.Name, p.Value.Shape())
			}
			sgdUpdate(w, g, buf, lr, decay, o.Momentum, o.Nesterov, o.step == 0)
		case []float64:
			g, ok := grads[i].Data().([]float64)
			if !ok || len(g) != len(w) {
				return errors.Errorf("sgd: gradient of %s does not match its %v float64 value", p.Name, p.Value.Shape())
			}
			sgdUpdate(w, g, buf, lr, decay, o.Momentum, o.Nesterov, o.step == 0)
		}
	}
	o.step++
	return nil
}

func sumSquares[T graph.Float](w []T) float64 { return sumSquaredDev(w, 0) }

func sgdUpdate[T graph.Float](w, grad []T, buf []float64, lr, decay, momentum float64, nesterov, first bool) {
	for j := range w {
		g := float64(grad[j]) + decay*float64(w[j])
		d := g
		if buf != nil {
			if first {
				buf[j] = g
			} else {
				buf[j] = momentum*buf[j] + g
			}
			d = buf[j]
			if nesterov {
				d = g + momentum*buf[j]
			}
		}
		w[j] = T(float64(w[j]) - lr*d)
	}
}

// SGDState is the optimizer state a checkpoint needs to resume exactly: the number of steps taken
// and the momentum buffer of each parameter, by name.
type SGDState struct {
	Step    int
	Buffers map[string][]float64
}

// State returns a copy of the optimizer state.
func (o *SGD) State() SGDState {
	s := SGDState{Step: o.step, Buffers: map[string][]float64{}}
	for name, b := range o.buffers {
		s.Buffers[name] = append([]float64(nil), b...)
	}
	return s
}

// SetState restores a state returned by State. Buffers for names not in params are rejected.
func (o *SGD) SetState(s SGDState, params []*graph.Param) error {
	sizes := map[string]int{}
	for _, p := range params {
		sizes[p.Name] = p.Value.Shape().TotalSize()
	}
	buffers := map[string][]float64{}
	for name, b := range s.Buffers {
		n, ok := sizes[name]
		if !ok {
			return errors.Errorf("optimizer state has a momentum buffer for %q, which the model does not have", name)
		}
		if len(b) != n {
			return errors.Errorf("optimizer state: momentum buffer of %s has %d values, the parameter has %d", name, len(b), n)
		}
		buffers[name] = append([]float64(nil), b...)
	}
	if s.Step < 0 {
		return errors.Errorf("optimizer state: step %d is negative", s.Step)
	}
	o.step, o.buffers = s.Step, buffers
	return nil
}
