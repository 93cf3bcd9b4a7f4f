package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"runtime"

	"github.com/pkg/errors"

	"github.com/resnetgo/resnet"
)

// settings are the run's options. They are stored in every checkpoint, so that -resume
// continues with the same ones.
type settings struct {
	TrainDir    string  `json:"train_dir"`
	ValDir      string  `json:"val_dir"`
	ValFraction float64 `json:"val_fraction"`
	Flat        bool    `json:"flat"`

	Depth       int     `json:"depth"`
	Width       int     `json:"width"`
	Size        int     `json:"size"`
	Grayscale   bool    `json:"grayscale"`
	ZeroInit    bool    `json:"zero_init_residual"`
	StemDropout float64 `json:"stem_dropout"`
	HeadDropout float64 `json:"head_dropout"`

	Epochs         int     `json:"epochs"`
	Batch          int     `json:"batch"`
	LR             float64 `json:"lr"`
	Schedule       string  `json:"schedule"`
	WarmupEpochs   float64 `json:"warmup_epochs"`
	StepEpochs     int     `json:"step_epochs"`
	StepGamma      float64 `json:"step_gamma"`
	Momentum       float64 `json:"momentum"`
	Nesterov       bool    `json:"nesterov"`
	WeightDecay    float64 `json:"weight_decay"`
	LabelSmoothing float64 `json:"label_smoothing"`
	ScaleMin       float64 `json:"scale_min"`

	Seed    int64  `json:"seed"`
	Workers int    `json:"workers"`
	Cache   int    `json:"cache"`
	Out     string `json:"out"`
	Init    string `json:"init"`
}

// options are the flags that are not stored with the run.
type options struct {
	resume  string
	scan    bool
	dot     string
	dotFull string
	// set holds the names of the flags given on the command line.
	set map[string]bool
}

func parseFlags(args []string) (settings, options, *flag.FlagSet, error) {
	var s settings
	var o options
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: go run ./cmd/train -train DIR [-val DIR] [flags]\n\n"+
			"Trains a ResNet on a folder of images with one subfolder per class, writing checkpoints,\n"+
			"a CSV of metrics and a plot to the output folder.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&s.TrainDir, "train", "", "training images: a `folder` with one subfolder per class (required)")
	fs.StringVar(&s.ValDir, "val", "", "validation images, a `folder` laid out like -train; when empty, -val-fraction of -train is held out")
	fs.Float64Var(&s.ValFraction, "val-fraction", 0.2, "fraction of -train held out for validation when -val is empty, stratified by class")
	fs.BoolVar(&s.Flat, "flat", false, "read -train and -val as flat folders whose file names start with the class (cat.1.jpg), as Kaggle's Dogs vs. Cats")

	fs.IntVar(&s.Depth, "depth", 50, "network depth: 18, 34, 50, 101 or 152")
	fs.IntVar(&s.Width, "width", 64, "base width, channels of the stem and first stage (64 as torchvision; smaller trains faster)")
	fs.IntVar(&s.Size, "size", 64, "input image side in `pixels`, at least 32; 64 suits a CPU, 224 is ImageNet's")
	fs.BoolVar(&s.Grayscale, "grayscale", false, "train on 1-channel (grayscale) images")
	fs.BoolVar(&s.ZeroInit, "zero-init-residual", true, "start the last batch norm scale of each residual block at 0, so every block begins as the identity (steadier from scratch; torchvision's default is false)")
	fs.Float64Var(&s.StemDropout, "stem-dropout", 0, "dropout rate after the stem's max pool, in [0, 1)")
	fs.Float64Var(&s.HeadDropout, "head-dropout", 0, "dropout rate before the classifier, in [0, 1)")

	fs.IntVar(&s.Epochs, "epochs", 10, "number of epochs (passes over the training images)")
	fs.IntVar(&s.Batch, "batch", 32, "images per training step (at least 2)")
	fs.Float64Var(&s.LR, "lr", 0.002, "peak learning rate")
	fs.StringVar(&s.Schedule, "schedule", "cosine", "learning-rate schedule: cosine (linear warm-up, then half cosine to 0), step, or constant")
	fs.Float64Var(&s.WarmupEpochs, "warmup", 0.5, "epochs of linear warm-up for -schedule cosine, from 0.1×lr to lr")
	fs.IntVar(&s.StepEpochs, "step-epochs", 10, "epochs between learning-rate drops for -schedule step")
	fs.Float64Var(&s.StepGamma, "step-gamma", 0.1, "factor of each learning-rate drop for -schedule step")
	fs.Float64Var(&s.Momentum, "momentum", 0.9, "SGD momentum (0 for plain SGD)")
	fs.BoolVar(&s.Nesterov, "nesterov", false, "use Nesterov momentum")
	fs.Float64Var(&s.WeightDecay, "weight-decay", 5e-4, "L2 penalty factor on convolution and classifier weights")
	fs.Float64Var(&s.LabelSmoothing, "label-smoothing", 0, "label smoothing in [0, 1)")
	fs.Float64Var(&s.ScaleMin, "crop-scale-min", 0.25, "smallest area fraction of the random resized crop (torchvision: 0.08)")

	fs.Int64Var(&s.Seed, "seed", 1, "seed of the initial weights, shuffling, augmentation and dropout")
	fs.IntVar(&s.Workers, "workers", runtime.NumCPU(), "image decoding goroutines")
	fs.IntVar(&s.Cache, "cache", -1, "keep decoded images in memory with this shorter side in `pixels`; -1 picks 1.15×size, 0 turns the cache off")
	fs.StringVar(&s.Out, "out", "runs/resnet", "output `folder` for checkpoints, metrics.csv and metrics.png")
	fs.StringVar(&s.Init, "init", "", "start from the weights in this safetensors `file` (a checkpoint or a torchvision state_dict); the classifier is re-created when the number of classes differs")

	fs.StringVar(&o.resume, "resume", "", "continue the run whose output folder is `DIR`, with its stored settings (-epochs may raise the total)")
	fs.BoolVar(&o.scan, "scan", false, "only read the data, print the data report and exit")
	fs.StringVar(&o.dot, "dot", "", "write the compact Graphviz view of the network to `FILE` and exit")
	fs.StringVar(&o.dotFull, "dot-full", "", "write the full Gorgonia graph (forward and backward) to `FILE` and exit")
	if err := fs.Parse(args); err != nil {
		return s, o, fs, err
	}
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if fs.NArg() > 0 {
		return s, o, fs, errors.Errorf("unexpected argument %q: every option is a flag, see -h", fs.Arg(0))
	}
	if s.Cache < 0 {
		s.Cache = s.Size * 115 / 100
	}
	return s, o, fs, nil
}

// check rejects settings that cannot work, naming the flag.
func (s settings) check() error {
	switch {
	case s.TrainDir == "":
		return errors.New("-train is required: a folder with one subfolder per class")
	case s.ValDir == "" && !(s.ValFraction > 0 && s.ValFraction < 1):
		return errors.Errorf("-val-fraction %v: use a value between 0 and 1, or give -val", s.ValFraction)
	case !validDepth(s.Depth):
		return errors.Errorf("-depth %d: use one of %v", s.Depth, resnet.Depths())
	case s.Size < resnet.MinInputSize:
		return errors.Errorf("-size %d: use at least %d pixels", s.Size, resnet.MinInputSize)
	case s.Width < 1:
		return errors.Errorf("-width %d: use a positive width (64 as torchvision)", s.Width)
	case s.Epochs < 1:
		return errors.Errorf("-epochs %d: use at least 1", s.Epochs)
	case s.Batch < 2:
		return errors.Errorf("-batch %d: batch normalization needs at least 2 images per step", s.Batch)
	case !(s.LR > 0):
		return errors.Errorf("-lr %v: use a positive learning rate", s.LR)
	case s.Schedule != "cosine" && s.Schedule != "step" && s.Schedule != "constant":
		return errors.Errorf("-schedule %q: use cosine, step or constant", s.Schedule)
	case s.Momentum < 0 || s.Momentum >= 1:
		return errors.Errorf("-momentum %v: use a value in [0, 1)", s.Momentum)
	case s.WeightDecay < 0:
		return errors.Errorf("-weight-decay %v: use a value >= 0", s.WeightDecay)
	case s.Workers < 1:
		return errors.Errorf("-workers %d: use at least 1", s.Workers)
	case s.Cache != 0 && s.Cache < s.Size:
		return errors.Errorf("-cache %d is smaller than -size %d: use at least the image size, or 0 to turn the cache off", s.Cache, s.Size)
	case !(s.ScaleMin > 0 && s.ScaleMin <= 1):
		return errors.Errorf("-crop-scale-min %v: use a value in (0, 1]", s.ScaleMin)
	}
	return nil
}

func validDepth(d int) bool {
	for _, ok := range resnet.Depths() {
		if d == ok {
			return true
		}
	}
	return false
}

func (s settings) encode() string {
	b, _ := json.Marshal(s)
	return string(b)
}
