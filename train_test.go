package resnet

import (
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/graph"
)

func smallTrainer(t *testing.T, batch int, opt *SGD) *Trainer {
	t.Helper()
	tr, err := NewTrainer(TrainConfig{
		Model:     Config{Depth: 18, Classes: 3, BaseWidth: 4},
		BatchSize: batch, Height: 32, Width: 32,
		Optimizer: opt,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func TestTrainerMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 300 steps")
	}
	tr := smallTrainer(t, 4, &SGD{Schedule: ConstantLR(0.01), Momentum: 0.9, WeightDecay: 1e-4})
	images, labels := syntheticBatch(4, 3, 32)
	for i := range labels {
		labels[i] = i % 3
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	var before uint64
	const steps, warmup = 300, 20
	for i := 0; i < steps; i++ {
		if i == warmup {
			before = heap()
		}
		if _, err := tr.Step(images, labels); err != nil {
			t.Fatal(err)
		}
	}
	after := heap()
	// The model's weights, activations and gradients take a few MB; growth of a few hundred
	// bytes per step would pass unnoticed, so the bound is 1 MB over 280 steps.
	if after > before+1<<20 {
		t.Errorf("heap grew from %d to %d bytes over %d steps, want under 1 MB of growth", before, after, steps-warmup)
	}
}

func TestTrainerKeepsWeightsOnNaN(t *testing.T) {
	tr := smallTrainer(t, 2, &SGD{Schedule: ConstantLR(0.1), Momentum: 0.9})
	images, labels := syntheticBatch(2, 3, 32)
	if _, err := tr.Step(images, labels); err != nil {
		t.Fatal(err)
	}
	snapshot := map[string][]float64{}
	for _, e := range tr.Net.State() {
		snapshot[e.Name] = graph.ToFloat64s(e.Value)
	}
	images[5] = float32(math.NaN())
	_, err := tr.Step(images, labels)
	if err == nil || !strings.Contains(err.Error(), "step 1") {
		t.Fatalf("got error %v, want one naming step 1", err)
	}
	for _, e := range tr.Net.State() {
		now := graph.ToFloat64s(e.Value)
		for i, v := range snapshot[e.Name] {
			if now[i] != v && !(math.IsNaN(now[i]) && math.IsNaN(v)) {
				t.Fatalf("%s[%d] changed from %v to %v after the failed step", e.Name, i, v, now[i])
			}
		}
	}
	if tr.Opt.Step() != 1 {
		t.Errorf("optimizer step is %d after one good and one failed step, want 1", tr.Opt.Step())
	}
}

func TestTrainerLossDecreases(t *testing.T) {
	tr := smallTrainer(t, 4, &SGD{Schedule: ConstantLR(0.05), Momentum: 0.9})
	images, labels := syntheticBatch(4, 3, 32)
	labels = []int{0, 1, 2, 1}
	var first, last StepResult
	for i := 0; i < 40; i++ {
		res, err := tr.Step(images, labels)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = res
		}
		last = res
	}
	if !(last.Loss < first.Loss/4) || last.Accuracy != 1 {
		t.Errorf("after 40 steps on one batch: loss %v (first %v), accuracy %v; want loss below a quarter of the first and accuracy 1", last.Loss, first.Loss, last.Accuracy)
	}
}

func TestEvaluatePadsPartialBatch(t *testing.T) {
	tr := smallTrainer(t, 4, &SGD{Schedule: ConstantLR(0.05)})
	images, labels := syntheticBatch(4, 3, 32)
	if _, err := tr.Step(images, labels); err != nil {
		t.Fatal(err)
	}
	full, err := tr.Predict(images, 4)
	if err != nil {
		t.Fatal(err)
	}
	per := len(images) / 4
	part, err := tr.Predict(images[:3*per], 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range part {
		for k := range part[i] {
			if math.Abs(part[i][k]-full[i][k]) > 1e-6 {
				t.Fatalf("image %d class %d: logit %v in a padded batch of 3, %v in a full batch", i, k, part[i][k], full[i][k])
			}
		}
	}
}
