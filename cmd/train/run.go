package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/resnetgo/resnet"
	"github.com/resnetgo/resnet/blocks"
	"github.com/resnetgo/resnet/cmd/internal/report"
	"github.com/resnetgo/resnet/dataset"
	"github.com/resnetgo/resnet/graph"
)

// Files in the output folder.
const (
	latestFile = "latest.safetensors"
	bestFile   = "best.safetensors"
	csvFile    = "metrics.csv"
	plotFile   = "metrics.png"
)

// partialEpoch carries the statistics of an epoch interrupted part way, so that a resumed run
// reports the whole epoch.
type partialEpoch struct {
	Steps   int     `json:"steps"`
	Images  int     `json:"images"`
	LossSum float64 `json:"loss_sum"`
	AccSum  float64 `json:"acc_sum"`
	Seconds float64 `json:"seconds"`
}

type run struct {
	s           settings
	classes     []string
	model       resnet.Config
	trainSrc    *dataset.Source
	valSrc      *dataset.Source
	trainLoader *dataset.Loader
	valLoader   *dataset.Loader
	tr          *resnet.Trainer

	rows      []report.EpochRow
	epoch     int // completed epochs
	partial   partialEpoch
	bestAcc   float64
	lastEval  resnet.EvalResult
	lastLabel []int
}

// newRun loads the data and builds the trainer. It returns nil when -scan or -dot did the job.
func newRun(s settings, o options) (*run, error) {
	var resumed *resnet.Checkpoint
	if o.resume != "" {
		ck, stored, err := readResume(o.resume)
		if err != nil {
			return nil, err
		}
		if o.set["epochs"] {
			stored.Epochs = s.Epochs
		}
		stored.Out = o.resume
		s, resumed = stored, ck
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	if resumed != nil && resumed.Info.Epoch >= s.Epochs {
		fmt.Printf("the run in %s has finished %d of %d epochs; to train further, give -resume %s a larger -epochs\n",
			s.Out, resumed.Info.Epoch, s.Epochs, s.Out)
		return nil, nil
	}
	if resumed == nil && !o.scan && o.dot == "" && o.dotFull == "" {
		if _, err := os.Stat(filepath.Join(s.Out, latestFile)); err == nil {
			return nil, errors.Errorf("%s already contains a run (%s): continue it with -resume %s, or choose another -out", s.Out, latestFile, s.Out)
		}
	}
	r := &run{s: s, bestAcc: -1}
	if err := r.loadSources(); err != nil {
		return nil, err
	}
	if o.scan {
		return nil, r.scan(os.Stdout, false)
	}
	r.model = resnet.Config{
		Depth: s.Depth, Classes: len(r.classes), BaseWidth: s.Width, InChannels: r.channels(),
		StemDropout: s.StemDropout, HeadDropout: s.HeadDropout, Seed: uint64(s.Seed),
		Block: blocks.Options{ZeroInitLastNorm: s.ZeroInit},
	}
	if o.dot != "" || o.dotFull != "" {
		return nil, r.writeDot(o)
	}
	if err := r.scan(os.Stdout, true); err != nil {
		return nil, err
	}
	if err := r.buildLoaders(); err != nil {
		return nil, err
	}
	if err := r.buildTrainer(); err != nil {
		return nil, err
	}
	if resumed != nil {
		if err := r.restore(resumed); err != nil {
			return nil, err
		}
	} else if s.Init != "" {
		if err := resnet.LoadWeights(r.tr.Net, s.Init, true); err != nil {
			return nil, err
		}
	}
	r.printRunTable(os.Stdout)
	return r, nil
}

func (r *run) channels() int {
	if r.s.Grayscale {
		return 1
	}
	return 3
}

// loadSources reads the folder listings and holds out a validation part when -val is empty.
func (r *run) loadSources() error {
	read := dataset.FromFolder
	if r.s.Flat {
		read = dataset.FromFlatFolder
	}
	train, err := read(r.s.TrainDir)
	if err != nil {
		return err
	}
	if r.s.ValDir == "" {
		if r.trainSrc, r.valSrc, err = train.Split(r.s.ValFraction, r.s.Seed); err != nil {
			return err
		}
	} else {
		r.trainSrc = train
		if r.valSrc, err = read(r.s.ValDir); err != nil {
			return err
		}
		if fmt.Sprint(r.valSrc.Classes) != fmt.Sprint(train.Classes) {
			return errors.Errorf("classes differ: %s has %v, %s has %v; give both folders the same class subfolders",
				r.s.TrainDir, train.Classes, r.s.ValDir, r.valSrc.Classes)
		}
	}
	r.classes = train.Classes
	if len(r.valSrc.Samples) == 0 {
		return errors.Errorf("the validation set is empty: give -val a folder with images, or raise -val-fraction")
	}
	if len(r.classes) < 2 {
		return errors.Errorf("%s has %d classes (%v): a classifier needs at least 2 class subfolders", r.s.TrainDir, len(r.classes), r.classes)
	}
	return nil
}

// scan decodes every image once, prints the data report and, when clean is set, removes the
// files that cannot be used so that no batch meets them.
func (r *run) scan(w io.Writer, clean bool) error {
	fmt.Fprintf(os.Stderr, "decoding %d images to check them ...\n", len(r.trainSrc.Samples)+len(r.valSrc.Samples))
	trainReport := dataset.Scan(r.trainSrc, r.s.Workers)
	valReport := dataset.Scan(r.valSrc, r.s.Workers)
	fmt.Fprintln(w, "training data:")
	trainReport.Print(w)
	fmt.Fprintln(w, "validation data:")
	valReport.Print(w)
	if trainReport.Total() == 0 {
		return errors.Errorf("%s: no image could be decoded; see the skipped files above", r.s.TrainDir)
	}
	if clean {
		r.trainSrc = r.trainSrc.Without(trainReport.Skipped)
		r.valSrc = r.valSrc.Without(valReport.Skipped)
	}
	return nil
}

func (r *run) buildLoaders() error {
	common := dataset.Config{
		Size: r.s.Size, Channels: r.channels(), BatchSize: r.s.Batch, Workers: r.s.Workers,
		Seed: r.s.Seed, CacheShortSide: r.s.Cache,
	}
	trainCfg := common
	trainCfg.Train, trainCfg.DropLast, trainCfg.ScaleMin = true, true, r.s.ScaleMin
	var err error
	if r.trainLoader, err = dataset.NewLoader(r.trainSrc, trainCfg); err != nil {
		return err
	}
	if r.trainLoader.BatchesPerEpoch() == 0 {
		return errors.Errorf("%d training images make no full batch of %d: lower -batch", len(r.trainSrc.Samples), r.s.Batch)
	}
	// The validation loader decodes every image each epoch instead of caching a downscaled copy,
	// so that cmd/predict, which reads the original files, reproduces its accuracy exactly.
	valCfg := common
	valCfg.CacheShortSide = 0
	r.valLoader, err = dataset.NewLoader(r.valSrc, valCfg)
	return err
}

func (r *run) stepsPerEpoch() int { return r.trainLoader.BatchesPerEpoch() }

func (r *run) schedule() resnet.Schedule {
	steps := r.stepsPerEpoch()
	switch r.s.Schedule {
	case "step":
		return resnet.StepDecay{Base: r.s.LR, StepSize: r.s.StepEpochs * steps, Gamma: r.s.StepGamma}
	case "constant":
		return resnet.ConstantLR(r.s.LR)
	}
	return resnet.WarmupCosine{
		Base: r.s.LR, Warmup: int(r.s.WarmupEpochs * float64(steps)), Total: r.s.Epochs * steps, StartFactor: 0.1,
	}
}

func (r *run) buildTrainer() error {
	var err error
	r.tr, err = resnet.NewTrainer(resnet.TrainConfig{
		Model: r.model, BatchSize: r.s.Batch, Height: r.s.Size, Width: r.s.Size,
		LabelSmoothing: r.s.LabelSmoothing,
		Optimizer: &resnet.SGD{
			Schedule: r.schedule(), Momentum: r.s.Momentum, Nesterov: r.s.Nesterov, WeightDecay: r.s.WeightDecay,
		},
	})
	return err
}

func (r *run) printRunTable(w io.Writer) {
	counts := make([]string, len(r.classes))
	for i, c := range r.trainSrc.Counts() {
		counts[i] = fmt.Sprintf("%s %d", r.classes[i], c)
	}
	sched := r.s.Schedule
	if sched == "cosine" {
		sched = fmt.Sprintf("cosine, %.3g warm-up epochs", r.s.WarmupEpochs)
	}
	report.PrintTable(w, "run", [][2]string{
		{"training images", fmt.Sprintf("%d (%v)", len(r.trainSrc.Samples), counts)},
		{"validation images", strconv.Itoa(len(r.valSrc.Samples))},
		{"model", fmt.Sprintf("ResNet-%d, width %d, %s parameters", r.s.Depth, r.s.Width, graph.Thousands(r.tr.Net.ParamCount()))},
		{"input", fmt.Sprintf("%d×%d×%d", r.channels(), r.s.Size, r.s.Size)},
		{"step memory", stepMemory(r.tr.Memory)},
		{"epochs", r.epochsLine()},
		{"optimizer", fmt.Sprintf("SGD lr %g (%s), momentum %g%s, weight decay %g", r.s.LR, sched, r.s.Momentum, map[bool]string{true: " Nesterov"}[r.s.Nesterov], r.s.WeightDecay)},
		{"regularization", fmt.Sprintf("label smoothing %g, dropout stem %g head %g", r.s.LabelSmoothing, r.s.StemDropout, r.s.HeadDropout)},
		{"output", r.s.Out},
	})
}

// epochsLine describes the epochs to run, with the step where a resumed run continues.
func (r *run) epochsLine() string {
	from := fmt.Sprintf("from epoch %d", r.epoch+1)
	if r.partial.Steps > 0 {
		from += fmt.Sprintf(", step %d", r.partial.Steps+1)
	}
	return fmt.Sprintf("%d %s, %d steps of %d images each", r.s.Epochs, from, r.stepsPerEpoch(), r.s.Batch)
}

// writeDot writes the requested Graphviz views.
func (r *run) writeDot(o options) error {
	g := gorgonia.NewGraph()
	shape := []int{r.s.Batch, r.channels(), r.s.Size, r.s.Size}
	x := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(shape...), gorgonia.WithName("images"))
	net, err := resnet.New(g, x, &r.model)
	if err != nil {
		return err
	}
	if o.dot != "" {
		if err := writeWith(o.dot, func(w io.Writer) error {
			return graph.WriteCompactDot(w, fmt.Sprintf("ResNet-%d", r.s.Depth), net.Layers)
		}); err != nil {
			return err
		}
		fmt.Printf("wrote %s; render it with: dot -Tsvg %s -o resnet.svg\n", o.dot, o.dot)
	}
	if o.dotFull != "" {
		// The full view includes the backward pass, as a training run builds it.
		cost := gorgonia.Must(gorgonia.Sum(net.Output))
		var wrt gorgonia.Nodes
		for _, p := range net.Params {
			wrt = append(wrt, p.Node)
		}
		if _, err := gorgonia.Grad(cost, wrt...); err != nil {
			return err
		}
		if err := writeWith(o.dotFull, func(w io.Writer) error { return graph.WriteFullDot(w, g) }); err != nil {
			return err
		}
		fmt.Printf("wrote %s (%d nodes)\n", o.dotFull, len(g.AllNodes()))
	}
	return nil
}

func writeWith(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return errors.Wrapf(err, "writing %s", path)
	}
	return errors.Wrapf(f.Close(), "writing %s", path)
}

// train runs the remaining epochs. On cancellation it saves a checkpoint and returns ctx's
// error.
func (r *run) train(ctx context.Context) error {
	if err := os.MkdirAll(r.s.Out, 0o755); err != nil {
		return errors.Wrapf(err, "creating the output folder")
	}
	report.EpochHeader(os.Stdout)
	for r.epoch < r.s.Epochs {
		if err := r.trainEpoch(ctx); err != nil {
			if errors.Is(err, context.Canceled) {
				if saveErr := r.save(latestFile, true); saveErr != nil {
					return saveErr
				}
			}
			return err
		}
	}
	if r.lastLabel != nil {
		fmt.Println()
		fmt.Printf("validation confusion matrix after epoch %d (rows: true class, columns: predicted):\n", r.epoch)
		return report.PrintConfusion(os.Stdout, r.classes, confusion(len(r.classes), r.lastLabel, r.lastEval.Predictions))
	}
	return nil
}

func (r *run) trainEpoch(ctx context.Context) error {
	steps := r.stepsPerEpoch()
	progress := report.NewProgress(os.Stderr, steps, fmt.Sprintf("epoch %d/%d", r.epoch+1, r.s.Epochs))
	it := r.trainLoader.Epoch(r.epoch)
	p := r.partial
	lr := r.tr.Opt.Schedule.LR(r.epoch * steps)
	// The progress bar times this call only, so it counts the images trained since the call
	// started, not those of an interrupted run's earlier part.
	imagesNow := 0
	res, err := r.tr.TrainEpoch(ctx, r.epoch, it, p.Steps, func(done int, step resnet.StepResult) {
		p.Steps++
		p.LossSum += step.CE
		p.AccSum += step.Accuracy
		imagesNow += r.s.Batch
		progress.Update(done, imagesNow, p.LossSum/float64(p.Steps), p.AccSum/float64(p.Steps))
	})
	it.Close()
	p.Images += res.Images
	p.Seconds += res.Seconds
	r.partial = p
	if err != nil {
		progress.Finish()
		return err
	}
	progress.Finish()

	eval := r.valLoader.Epoch(0)
	r.lastEval, r.lastLabel, err = r.tr.EvaluateEpoch(eval)
	eval.Close()
	if err != nil {
		return err
	}
	row := report.EpochRow{
		Epoch: r.epoch + 1, TrainLoss: p.LossSum / float64(max(p.Steps, 1)), TrainAcc: p.AccSum / float64(max(p.Steps, 1)),
		ValLoss: r.lastEval.Loss, ValAcc: r.lastEval.Accuracy, LR: lr,
		ImagesPerSec: float64(p.Images) / math.Max(p.Seconds, 1e-9), Seconds: p.Seconds,
	}
	report.EpochLine(os.Stdout, row)
	r.rows = append(r.rows, row)
	r.epoch++
	r.partial = partialEpoch{}

	if err := report.WriteCSV(filepath.Join(r.s.Out, csvFile), r.rows); err != nil {
		return err
	}
	if err := report.PlotPNG(filepath.Join(r.s.Out, plotFile), r.rows); err != nil {
		return err
	}
	if err := r.save(latestFile, true); err != nil {
		return err
	}
	if row.ValAcc > r.bestAcc {
		r.bestAcc = row.ValAcc
		return r.save(bestFile, false)
	}
	return nil
}

func confusion(classes int, labels, predictions []int) [][]int {
	m := make([][]int, classes)
	for i := range m {
		m[i] = make([]int, classes)
	}
	for i, l := range labels {
		m[l][predictions[i]]++
	}
	return m
}

// stepMemory describes the memory plan of a training step for the run table.
func stepMemory(p graph.MemoryPlan) string {
	return fmt.Sprintf("activations and gradients use %s together (%s with a buffer each); weights, optimizer state and cached images come on top",
		graph.ByteSize(p.ArenaBytes), graph.ByteSize(p.SeparateBytes))
}
