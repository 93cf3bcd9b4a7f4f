package resnet

import (
	"math"
	"testing"

	"github.com/resnetgo/resnet/graph"
	"gorgonia.org/tensor"
)

type trainGolden struct {
	Settings struct {
		goldenModel
		Steps    int             `json:"steps"`
		LR       float64         `json:"lr"`
		Momentum float64         `json:"momentum"`
		Nesterov bool            `json:"nesterov"`
		Lam      float64         `json:"lam"`
		Schedule *goldenSchedule `json:"schedule"`
	} `json:"settings"`
	Steps []struct {
		Step     int     `json:"step"`
		Labels   []int   `json:"labels"`
		Loss     float64 `json:"loss"`
		CE       float64 `json:"ce"`
		Penalty  float64 `json:"penalty"`
		Accuracy float64 `json:"accuracy"`
		LR       float64 `json:"lr"`
	} `json:"steps"`
	Params  map[string]summary `json:"params"`
	Running map[string]summary `json:"running"`
}

type goldenSchedule struct {
	Kind        string  `json:"kind"`
	Base        float64 `json:"base"`
	StepSize    int     `json:"step_size"`
	Gamma       float64 `json:"gamma"`
	Total       int     `json:"total"`
	Warmup      int     `json:"warmup"`
	StartFactor float64 `json:"start_factor"`
	EtaMin      float64 `json:"eta_min"`
}

func (s goldenSchedule) schedule() Schedule {
	if s.Kind == "step" {
		return StepDecay{Base: s.Base, StepSize: s.StepSize, Gamma: s.Gamma}
	}
	return WarmupCosine{Base: s.Base, Min: s.EtaMin, Warmup: s.Warmup, Total: s.Total, StartFactor: s.StartFactor}
}

// TestGoldenTraining runs SGD steps from the generator's starting weights and compares the loss
// of every step and every parameter and running statistic after the last step with PyTorch.
func TestGoldenTraining(t *testing.T) {
	for _, name := range []string{"train_sgd_f64", "train_sgd_f32", "train_nesterov_f64", "train_plain_f64"} {
		t.Run(name, func(t *testing.T) {
			var golden trainGolden
			readGolden(t, name+".json", &golden)
			s := golden.Settings
			var sched Schedule = ConstantLR(s.LR)
			if s.Schedule != nil {
				sched = s.Schedule.schedule()
			}
			cfg := s.goldenModel.config()
			tr, err := NewTrainer(TrainConfig{
				Model: cfg, BatchSize: s.Batch, Height: s.Size, Width: s.Size,
				Optimizer: &SGD{Schedule: sched, Momentum: s.Momentum, Nesterov: s.Nesterov, WeightDecay: s.Lam},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			fillGolden(tr.Net)
			// float64 agrees with PyTorch to rounding. The float32 run starts from the same
			// rounded weights, and float32 rounding then moves it away from the float64
			// reference; 1e-3 of each tensor's scale bounds that drift over three steps.
			tol := 1e-8
			if cfg.Dtype.Name() == "float32" {
				tol = 1e-3
			}

			per := s.InChannels * s.Size * s.Size
			for i, want := range golden.Steps {
				labels := make([]int, s.Batch)
				for n := range labels {
					labels[n] = (n + i) % s.Classes
				}
				// Bind the input at the model's precision: Step would round it to float32.
				got, err := tr.step(labels, func() error {
					setFloats(tr.Net.Input.Value().(*tensor.Dense), goldenInput(s.Batch*per, float64(i)))
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range []struct {
					quantity  string
					got, want float64
				}{
					{"loss", got.Loss, want.Loss}, {"cross-entropy", got.CE, want.CE}, {"penalty", got.Penalty, want.Penalty},
					{"accuracy", got.Accuracy, want.Accuracy}, {"learning rate", got.LR, want.LR},
				} {
					if d := math.Abs(c.got - c.want); d > tol*math.Max(1, math.Abs(c.want)) || math.IsNaN(d) {
						t.Errorf("step %d %s: got %v, want %v (difference %.3g, tolerance %.3g)", i, c.quantity, c.got, c.want, d, tol*math.Max(1, math.Abs(c.want)))
					}
				}
			}
			for _, e := range tr.Net.State() {
				want, ok := golden.Params[e.Name]
				if e.Buffer {
					want, ok = golden.Running[e.Name]
				}
				if !ok {
					t.Errorf("no golden value for %s", e.Name)
					continue
				}
				if msg := compareTensor(e.Name+" after the last step", graph.ToFloat64s(e.Value), want, tol); msg != "" {
					t.Error(msg)
				}
			}
		})
	}
}

func TestGoldenSchedules(t *testing.T) {
	var golden struct {
		Schedules []struct {
			Name     string         `json:"name"`
			Settings goldenSchedule `json:"settings"`
			LR       []float64      `json:"lr"`
		} `json:"schedules"`
	}
	readGolden(t, "schedules.json", &golden)
	for _, c := range golden.Schedules {
		t.Run(c.Name, func(t *testing.T) {
			s := c.Settings.schedule()
			for step, want := range c.LR {
				if got := s.LR(step); math.Abs(got-want) > 1e-12 {
					t.Errorf("step %d: got %v, want %v", step, got, want)
				}
			}
		})
	}
}

func TestGoldenLoss(t *testing.T) {
	var golden struct {
		Cases []struct {
			Name           string      `json:"name"`
			Dtype          string      `json:"dtype"`
			LabelSmoothing float64     `json:"label_smoothing"`
			Logits         [][]float64 `json:"logits"`
			Targets        []int       `json:"targets"`
			Loss           float64     `json:"loss"`
			Grad           [][]float64 `json:"grad"`
		} `json:"cases"`
	}
	readGolden(t, "loss.json", &golden)
	for _, c := range golden.Cases {
		t.Run(c.Name, func(t *testing.T) {
			var flat []float64
			for _, row := range c.Logits {
				flat = append(flat, row...)
			}
			dt := goldenModel{Dtype: c.Dtype}.config().Dtype
			got := crossEntropyOf(t, dt, flat, len(c.Logits[0]), c.Targets, c.LabelSmoothing)
			tol := 1e-12
			if c.Dtype == "float32" {
				tol = 1e-6
			}
			if d := math.Abs(got - c.Loss); d > tol*math.Max(1, math.Abs(c.Loss)) {
				t.Errorf("loss: got %v, want %v", got, c.Loss)
			}
		})
	}
}
