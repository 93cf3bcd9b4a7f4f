package resnet

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/resnetgo/resnet/graph"
)

// TrainConfig sets up a Trainer.
type TrainConfig struct {
	// Model is the network to train. Classes must be set.
	Model Config
	// BatchSize is the number of images per training step. Required.
	BatchSize int
	// Height and Width of the input images in pixels. Required, at least MinInputSize.
	Height, Width int
	// LabelSmoothing ε replaces one-hot targets with (1-ε)·onehot + ε/K. Default 0.
	LabelSmoothing float64
	// Optimizer updates the weights. Required.
	Optimizer *SGD
}

// StepResult is the measurement of one training step on its batch.
type StepResult struct {
	Step     int     // index of the step, from 0
	Loss     float64 // CE + Penalty
	CE       float64 // mean cross-entropy
	Penalty  float64 // L2 penalty at the weights the forward pass used
	Accuracy float64 // fraction of the batch whose largest logit is the label
	LR       float64 // learning rate the update used
}

// Trainer runs training steps and evaluations of a network on a TapeMachine.
//
// It owns two graphs with the same weights: the training graph (batch BatchSize, forward and
// backward) and a forward-only evaluation graph of the same batch size. A training batch must
// have exactly BatchSize images, so a data loader should drop the last partial batch of an epoch
// (every image still takes part in later epochs, because the order is shuffled). Evaluation
// accepts any number of images: a partial batch is padded with zeros and the padding's outputs
// are ignored, which is exact because in inference mode each image is computed independently.
type Trainer struct {
	Net  *Network // training graph
	Eval *Network // evaluation graph, sharing Net's weights and statistics
	Opt  *SGD
	// Memory describes how the training graph's outputs share memory.
	Memory graph.MemoryPlan

	cfg      TrainConfig
	targets  *gorgonia.Node
	loss     *gorgonia.Node
	grads    gorgonia.Nodes
	machine  gorgonia.VM
	pred     *Predictor
	targetV  []float64
	gradVals []*tensor.Dense
	runMean  [][]float64
	runVar   [][]float64
}

// NewTrainer builds the training and evaluation graphs.
func NewTrainer(cfg TrainConfig) (*Trainer, error) {
	if cfg.Optimizer == nil {
		return nil, errors.New("trainer: Optimizer is nil: set an *SGD")
	}
	if cfg.BatchSize < 2 {
		return nil, errors.Errorf("trainer: invalid BatchSize %d: batch normalization in training mode needs at least 2 images", cfg.BatchSize)
	}
	if !(cfg.LabelSmoothing >= 0 && cfg.LabelSmoothing < 1) {
		return nil, errors.Errorf("trainer: invalid LabelSmoothing %v: use a value in [0, 1)", cfg.LabelSmoothing)
	}
	model, err := cfg.Model.withDefaults()
	if err != nil {
		return nil, err
	}
	if model.NoHead {
		return nil, errors.New("trainer: the model has NoHead set, but training needs the classifier")
	}
	cfg.Model = model

	g := gorgonia.NewGraph()
	x := gorgonia.NewTensor(g, model.Dtype, 4, gorgonia.WithShape(cfg.BatchSize, model.InChannels, cfg.Height, cfg.Width), gorgonia.WithName("images"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(cfg.BatchSize, model.InChannels, cfg.Height, cfg.Width), tensor.Of(model.Dtype))))
	net, err := New(g, x, &model)
	if err != nil {
		return nil, err
	}
	t := &Trainer{Net: net, Opt: cfg.Optimizer, cfg: cfg}
	t.targetV = make([]float64, cfg.BatchSize*model.Classes)
	t.targets = gorgonia.NewTensor(g, model.Dtype, 2, gorgonia.WithShape(cfg.BatchSize, model.Classes), gorgonia.WithName("targets"),
		gorgonia.WithValue(graph.NewDense(model.Dtype, tensor.Shape{cfg.BatchSize, model.Classes}, t.targetV)))
	if t.loss, err = CrossEntropy(net.Output, t.targets); err != nil {
		return nil, err
	}
	var wrt gorgonia.Nodes
	for _, p := range net.Params {
		wrt = append(wrt, p.Node)
	}
	if t.grads, err = gorgonia.Grad(t.loss, wrt...); err != nil {
		return nil, errors.Wrap(err, "trainer: building the backward pass")
	}
	// Activations live until the backward pass has read them, gradients until the next op
	// has, so outputs share memory. The step reads the loss, the logits and the gradients.
	if t.Memory, err = graph.PlanMemory(g, append(gorgonia.Nodes{t.loss, net.Output}, t.grads...)...); err != nil {
		return nil, errors.Wrap(err, "trainer")
	}
	t.machine = gorgonia.NewTapeMachine(g)

	if t.pred, err = NewPredictor(nil, net, cfg.BatchSize, cfg.Height, cfg.Width); err != nil {
		return nil, err
	}
	t.Eval = t.pred.Net
	return t, nil
}

// Close releases the machines.
func (t *Trainer) Close() error {
	t.machine.Close()
	return t.pred.Close()
}

// Step trains on one batch: images holds BatchSize images in NCHW order (float32, as the data
// loader produces them) and labels their classes. The weights are left unchanged when the loss
// is not finite, and the error names the step.
func (t *Trainer) Step(images []float32, labels []int) (StepResult, error) {
	return t.step(labels, func() error { return fillInput(t.Net.Input, images, len(labels)) })
}

// step runs one training step after bind has written the images into the input tensor.
func (t *Trainer) step(labels []int, bind func() error) (StepResult, error) {
	res := StepResult{Step: t.Opt.Step(), LR: t.Opt.LR()}

	// Bind the batch.
	if len(labels) != t.cfg.BatchSize {
		return res, errors.Errorf("step %d: got %d labels, the training graph takes batches of exactly %d", res.Step, len(labels), t.cfg.BatchSize)
	}
	if err := bind(); err != nil {
		return res, errors.Wrapf(err, "step %d", res.Step)
	}
	if err := Targets(t.targetV, labels, t.cfg.Model.Classes, t.cfg.LabelSmoothing); err != nil {
		return res, errors.Wrapf(err, "step %d", res.Step)
	}
	setFloats(t.targets.Value().(*tensor.Dense), t.targetV)
	t.saveRunningStats()

	// Run forward and backward.
	t.Net.SetTraining(true)
	err := t.machine.RunAll()
	t.machine.Reset()
	if err != nil {
		t.restoreRunningStats()
		return res, errors.Wrapf(err, "step %d", res.Step)
	}
	if res.CE, err = graph.Scalar(t.loss.Value()); err != nil {
		return res, err
	}
	res.Penalty = t.Opt.Penalty(t.Net.Params)
	res.Loss = res.CE + res.Penalty
	res.Accuracy = accuracy(graph.ToFloat64s(t.Net.Output.Value()), labels, t.cfg.Model.Classes)
	if math.IsNaN(res.Loss) || math.IsInf(res.Loss, 0) {
		t.restoreRunningStats()
		return res, errors.Errorf("step %d: loss is %v (cross-entropy %v, penalty %v); the weights were kept as before this step: lower the learning rate", res.Step, res.Loss, res.CE, res.Penalty)
	}

	// Update.
	t.gradVals = t.gradVals[:0]
	for _, g := range t.grads {
		t.gradVals = append(t.gradVals, g.Value().(*tensor.Dense))
	}
	if err := t.Opt.Update(t.Net.Params, t.gradVals); err != nil {
		return res, errors.Wrapf(err, "step %d", res.Step)
	}
	return res, nil
}

// saveRunningStats copies the running statistics so that a failed step can put them back.
func (t *Trainer) saveRunningStats() {
	if t.runMean == nil {
		t.runMean = make([][]float64, len(t.Net.Norms))
		t.runVar = make([][]float64, len(t.Net.Norms))
	}
	for i, bn := range t.Net.Norms {
		t.runMean[i] = appendFloats(t.runMean[i][:0], bn.RunningMean())
		t.runVar[i] = appendFloats(t.runVar[i][:0], bn.RunningVar())
	}
}

func appendFloats(dst []float64, t *tensor.Dense) []float64 {
	switch d := t.Data().(type) {
	case []float32:
		for _, v := range d {
			dst = append(dst, float64(v))
		}
	case []float64:
		dst = append(dst, d...)
	}
	return dst
}

func (t *Trainer) restoreRunningStats() {
	for i, bn := range t.Net.Norms {
		setFloats(bn.RunningMean(), t.runMean[i])
		setFloats(bn.RunningVar(), t.runVar[i])
	}
}

// fillInput copies n images into the input node's tensor, zeroing the rest of the batch.
func fillInput(x *gorgonia.Node, images []float32, n int) error {
	s := x.Shape()
	per := s[1] * s[2] * s[3]
	if len(images) != n*per {
		return errors.Errorf("got %d input values, want %d images × %d values (shape %v)", len(images), n, per, s)
	}
	switch d := x.Value().Data().(type) {
	case []float32:
		copy(d, images)
		clear(d[len(images):])
	case []float64:
		for i, v := range images {
			d[i] = float64(v)
		}
		clear(d[len(images):])
	}
	return nil
}

func accuracy(logits []float64, labels []int, classes int) float64 {
	if len(labels) == 0 {
		return 0
	}
	correct := 0
	for i, label := range labels {
		if argmax(logits[i*classes:(i+1)*classes]) == label {
			correct++
		}
	}
	return float64(correct) / float64(len(labels))
}

func argmax(row []float64) int {
	best := 0
	for k, v := range row {
		if v > row[best] {
			best = k
		}
	}
	return best
}

// EvalResult is the loss and accuracy over an evaluation pass. Loss is the mean cross-entropy
// without label smoothing or penalty.
type EvalResult struct {
	Loss     float64
	Accuracy float64
	Images   int
	// Predictions holds the predicted class of every image, in order.
	Predictions []int
}

// Predict runs the evaluation graph in inference mode on n images (n ≤ BatchSize) and returns
// their logits, n rows of Classes values.
func (t *Trainer) Predict(images []float32, n int) ([][]float64, error) {
	return t.pred.Logits(images, n)
}

// Evaluate runs inference over batches from next, which returns images, labels and false when
// no batches remain. Batches may be smaller than BatchSize.
func (t *Trainer) Evaluate(next func() ([]float32, []int, bool)) (EvalResult, error) {
	var res EvalResult
	var lossSum float64
	for {
		images, labels, ok := next()
		if !ok {
			break
		}
		logits, err := t.Predict(images, len(labels))
		if err != nil {
			return res, errors.Wrapf(err, "evaluation batch at image %d", res.Images)
		}
		for i, row := range logits {
			label := labels[i]
			if label < 0 || label >= len(row) {
				return res, errors.Errorf("evaluation image %d: label %d is outside [0, %d)", res.Images+i, label, len(row))
			}
			lossSum += logSumExp(row) - row[label]
			p := argmax(row)
			res.Predictions = append(res.Predictions, p)
			if p == label {
				res.Accuracy++
			}
		}
		res.Images += len(labels)
	}
	if res.Images > 0 {
		res.Loss = lossSum / float64(res.Images)
		res.Accuracy /= float64(res.Images)
	}
	return res, nil
}
