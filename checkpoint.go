package resnet

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/resnetgo/resnet/blocks"
	"github.com/resnetgo/resnet/graph/safetensors"
)

// CheckpointFormat is the value of the "format" metadata key of the checkpoints written here.
const CheckpointFormat = "resnetgo-checkpoint/1"

// momentumPrefix names the optimizer's momentum buffers inside a checkpoint, apart from the
// state_dict entries: "optimizer.momentum.layer1.0.conv1.weight".
const momentumPrefix = "optimizer.momentum."

// CheckpointInfo is the metadata a checkpoint stores besides the tensors.
type CheckpointInfo struct {
	Config  Config
	Classes []string // class names, index = label
	Epoch   int      // number of completed epochs
	// Extra holds caller data, such as training settings and metrics, as strings (often JSON).
	Extra map[string]string
}

// configJSON is the stored form of Config.
type configJSON struct {
	Depth           int     `json:"depth"`
	Classes         int     `json:"classes"`
	InChannels      int     `json:"in_channels"`
	BaseWidth       int     `json:"base_width"`
	Dtype           string  `json:"dtype"`
	StrideOn1x1     bool    `json:"stride_on_1x1"`
	PlainProjection bool    `json:"plain_projection"`
	ZeroInitLast    bool    `json:"zero_init_last_norm"`
	StemDropout     float64 `json:"stem_dropout"`
	HeadDropout     float64 `json:"head_dropout"`
	NoHead          bool    `json:"no_head"`
	Seed            uint64  `json:"seed"`
}

func encodeConfig(c Config) configJSON {
	return configJSON{
		Depth: c.Depth, Classes: c.Classes, InChannels: c.InChannels, BaseWidth: c.BaseWidth,
		Dtype: c.Dtype.Name(), StrideOn1x1: c.Block.StrideOn1x1, PlainProjection: c.Block.PlainProjection,
		ZeroInitLast: c.Block.ZeroInitLastNorm, StemDropout: c.StemDropout, HeadDropout: c.HeadDropout,
		NoHead: c.NoHead, Seed: c.Seed,
	}
}

func (j configJSON) config() (Config, error) {
	var dt tensor.Dtype
	switch j.Dtype {
	case "float32":
		dt = tensor.Float32
	case "float64":
		dt = tensor.Float64
	default:
		return Config{}, errors.Errorf("unsupported dtype %q in the stored config: want float32 or float64", j.Dtype)
	}
	return Config{
		Depth: j.Depth, Classes: j.Classes, InChannels: j.InChannels, BaseWidth: j.BaseWidth, Dtype: dt,
		Block:       blocks.Options{StrideOn1x1: j.StrideOn1x1, PlainProjection: j.PlainProjection, ZeroInitLastNorm: j.ZeroInitLast},
		StemDropout: j.StemDropout, HeadDropout: j.HeadDropout, NoHead: j.NoHead, Seed: j.Seed,
	}, nil
}

// SaveCheckpoint writes the network's parameters and running statistics under torchvision's
// state_dict names, the optimizer state when opt is non-nil, and info, to path in safetensors
// format. The write is atomic: a crash at any moment leaves the previous file complete.
func SaveCheckpoint(path string, net *Network, opt *SGD, info CheckpointInfo) error {
	var tensors []*safetensors.Tensor
	for _, e := range net.State() {
		tensors = append(tensors, toSafetensor(e.Name, e.Value))
	}
	meta := map[string]string{}
	for k, v := range info.Extra {
		meta[k] = v
	}
	cfg, err := json.Marshal(encodeConfig(net.Config))
	if err != nil {
		return errors.Wrap(err, "encoding the model config")
	}
	classes, err := json.Marshal(info.Classes)
	if err != nil {
		return errors.Wrap(err, "encoding the class names")
	}
	meta["format"] = CheckpointFormat
	meta["config"] = string(cfg)
	meta["classes"] = string(classes)
	meta["epoch"] = strconv.Itoa(info.Epoch)
	if opt != nil {
		state := opt.State()
		meta["optimizer_step"] = strconv.Itoa(state.Step)
		for _, p := range net.Params {
			if b, ok := state.Buffers[p.Name]; ok {
				tensors = append(tensors, safetensors.F64(momentumPrefix+p.Name, p.Value.Shape().Clone(), b))
			}
		}
	}
	return errors.Wrapf(safetensors.WriteFile(path, tensors, meta), "saving checkpoint %s", path)
}

func toSafetensor(name string, t *tensor.Dense) *safetensors.Tensor {
	shape := []int(t.Shape().Clone())
	if d, ok := t.Data().([]float32); ok {
		return safetensors.F32(name, shape, d)
	}
	return safetensors.F64(name, shape, t.Data().([]float64))
}

// Checkpoint is a checkpoint file read into memory.
type Checkpoint struct {
	Path string
	Info CheckpointInfo
	// OptimizerStep is the stored step count; HasOptimizer reports whether momentum or a step
	// count was stored.
	OptimizerStep int
	HasOptimizer  bool
	file          *safetensors.File
}

// ReadCheckpoint reads a checkpoint written by SaveCheckpoint. Any problem, such as a truncated
// file or missing metadata, is an error that names the file.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	f, err := safetensors.Read(path)
	if err != nil {
		return nil, err
	}
	if f.Metadata["format"] != CheckpointFormat {
		return nil, errors.Errorf("checkpoint %s: format is %q, want %q; use -init for a plain state_dict file", path, f.Metadata["format"], CheckpointFormat)
	}
	c := &Checkpoint{Path: path, file: f, Info: CheckpointInfo{Extra: map[string]string{}}}
	var cj configJSON
	if err := json.Unmarshal([]byte(f.Metadata["config"]), &cj); err != nil {
		return nil, errors.Wrapf(err, "checkpoint %s: invalid config metadata", path)
	}
	if c.Info.Config, err = cj.config(); err != nil {
		return nil, errors.Wrapf(err, "checkpoint %s", path)
	}
	if err := json.Unmarshal([]byte(f.Metadata["classes"]), &c.Info.Classes); err != nil {
		return nil, errors.Wrapf(err, "checkpoint %s: invalid classes metadata", path)
	}
	if c.Info.Epoch, err = strconv.Atoi(f.Metadata["epoch"]); err != nil {
		return nil, errors.Wrapf(err, "checkpoint %s: invalid epoch metadata", path)
	}
	if s, ok := f.Metadata["optimizer_step"]; ok {
		if c.OptimizerStep, err = strconv.Atoi(s); err != nil {
			return nil, errors.Wrapf(err, "checkpoint %s: invalid optimizer_step metadata", path)
		}
		c.HasOptimizer = true
	}
	for k, v := range f.Metadata {
		switch k {
		case "format", "config", "classes", "epoch", "optimizer_step":
		default:
			c.Info.Extra[k] = v
		}
	}
	return c, nil
}

// Restore loads the checkpoint's weights and running statistics into net, and its optimizer
// state into opt when opt is non-nil. Every entry of net's state must be present with the same
// shape; the error names the first tensor that is missing or misshapen.
func (c *Checkpoint) Restore(net *Network, opt *SGD) error {
	if err := loadState(net, c.file, c.Path, false); err != nil {
		return err
	}
	if opt == nil {
		return nil
	}
	state := SGDState{Step: c.OptimizerStep, Buffers: map[string][]float64{}}
	for _, name := range c.file.Names {
		if !strings.HasPrefix(name, momentumPrefix) {
			continue
		}
		values, err := c.file.Tensors[name].Float64s()
		if err != nil {
			return errors.Wrapf(err, "checkpoint %s: tensor %s", c.Path, name)
		}
		state.Buffers[strings.TrimPrefix(name, momentumPrefix)] = values
	}
	return errors.Wrapf(opt.SetState(state, net.Params), "checkpoint %s", c.Path)
}

// LoadWeights loads parameters and running statistics by torchvision name from a safetensors
// file, such as a torchvision state_dict saved with the safetensors package. With newHead set,
// the classifier (fc.weight, fc.bias) keeps its fresh initialization when the file's classifier
// has another shape, so a network pretrained on 1000 classes can be fine-tuned on 2. Entries
// the network does not have (num_batches_tracked) are ignored.
func LoadWeights(net *Network, path string, newHead bool) error {
	f, err := safetensors.Read(path)
	if err != nil {
		return err
	}
	return loadState(net, f, path, newHead)
}

func loadState(net *Network, f *safetensors.File, path string, newHead bool) error {
	for _, e := range net.State() {
		t, ok := f.Tensors[e.Name]
		if !ok {
			return errors.Errorf("%s: tensor %s is missing; the file does not hold a ResNet-%d with this configuration", path, e.Name, net.Config.Depth)
		}
		want := e.Value.Shape()
		if !tensor.Shape(t.Shape).Eq(want) {
			if newHead && strings.HasPrefix(e.Name, "fc.") {
				continue
			}
			return errors.Errorf("%s: tensor %s has shape %v, the network needs %v; check the depth, width and number of classes", path, e.Name, t.Shape, want)
		}
		values, err := t.Float64s()
		if err != nil {
			return errors.Wrapf(err, "%s: tensor %s", path, e.Name)
		}
		if e.Buffer && strings.HasSuffix(e.Name, ".running_var") {
			for i, v := range values {
				if !(v >= 0) {
					return errors.Errorf("%s: tensor %s contains the invalid variance %v at index %d; a variance must be >= 0", path, e.Name, v, i)
				}
			}
		}
		setFloats(e.Value, values)
	}
	return nil
}
