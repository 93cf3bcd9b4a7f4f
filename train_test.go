package resnet

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/resnetgo/resnet/dataset"
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

// TestOverfitRealImages trains a small network on eight photos from the sample data set until
// it has learned them: the whole loop (decoding, normalization, forward, backward, update) must
// be able to fit real data.
func TestOverfitRealImages(t *testing.T) {
	dir := filepath.Join("..", "shared", "data", "catsdogs", "train")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("sample photos not found at %s", dir)
	}
	var samples []dataset.Sample
	for label, class := range []string{"cat", "dog"} {
		for i := 1; i <= 4; i++ {
			samples = append(samples, dataset.Sample{Path: filepath.Join(dir, class, fmt.Sprintf("%s.%d.jpg", class, i)), Label: label})
		}
	}
	src := &dataset.Source{Classes: []string{"cat", "dog"}, Samples: samples}
	loader, err := dataset.NewLoader(src, dataset.Config{Size: 32, BatchSize: 8, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	it := loader.Epoch(0)
	batch, ok := it.Next()
	if !ok {
		t.Fatal("no batch")
	}
	images, labels := append([]float32(nil), batch.X...), append([]int(nil), batch.Labels...)
	it.Close()

	tr, err := NewTrainer(TrainConfig{
		Model:     Config{Depth: 18, Classes: 2, BaseWidth: 8},
		BatchSize: 8, Height: 32, Width: 32,
		Optimizer: &SGD{Schedule: ConstantLR(0.05), Momentum: 0.9},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var res StepResult
	for i := 0; i < 60; i++ {
		if res, err = tr.Step(images, labels); err != nil {
			t.Fatal(err)
		}
	}
	if res.CE > 0.05 || res.Accuracy != 1 {
		t.Errorf("after 60 steps on 8 photos: cross-entropy %.4f, accuracy %.2f; want below 0.05 and 1", res.CE, res.Accuracy)
	}
	eval, err := tr.Evaluate(func() func() ([]float32, []int, bool) {
		done := false
		return func() ([]float32, []int, bool) {
			if done {
				return nil, nil, false
			}
			done = true
			return images, labels, true
		}
	}())
	if err != nil {
		t.Fatal(err)
	}
	if eval.Accuracy != 1 {
		t.Errorf("inference-mode accuracy on the training photos %.2f, want 1 (loss %.4f)", eval.Accuracy, eval.Loss)
	}
}

// TestTrainerPlanMatchesPlainGraph checks the memory plan on ResNet-50's bottleneck blocks and
// projection shortcuts. The trainer's planned graph must give the same loss and gradients, bit
// for bit, as the same network in a graph without a plan. TestGoldenForward compares such
// unplanned gradients with PyTorch.
func TestTrainerPlanMatchesPlainGraph(t *testing.T) {
	const batch, size = 4, 32
	tr, err := NewTrainer(TrainConfig{
		Model:     Config{Depth: 50, Classes: 3, BaseWidth: 4, Dtype: tensor.Float64},
		BatchSize: batch, Height: size, Width: size,
		Optimizer: &SGD{Schedule: ConstantLR(0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if tr.Memory.ArenaBytes*2 > tr.Memory.SeparateBytes {
		t.Errorf("plan %v saves less than half", tr.Memory)
	}

	g := gorgonia.NewGraph()
	x := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(batch, 3, size, size), gorgonia.WithName("x"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(batch, 3, size, size), tensor.Of(tensor.Float64))))
	plain, err := NewShared(g, x, tr.Net)
	if err != nil {
		t.Fatal(err)
	}
	targetV := make([]float64, batch*3)
	targets := gorgonia.NewTensor(g, tensor.Float64, 2, gorgonia.WithShape(batch, 3), gorgonia.WithName("targets"),
		gorgonia.WithValue(graph.NewDense(tensor.Float64, tensor.Shape{batch, 3}, targetV)))
	loss, err := CrossEntropy(plain.Output, targets)
	if err != nil {
		t.Fatal(err)
	}
	var wrt gorgonia.Nodes
	for _, p := range plain.Params {
		wrt = append(wrt, p.Node)
	}
	grads, err := gorgonia.Grad(loss, wrt...)
	if err != nil {
		t.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()

	images, labels := syntheticBatch(batch, 3, size)
	for i := range labels {
		labels[i] = i % 3
	}
	if err := fillInput(x, images, batch); err != nil {
		t.Fatal(err)
	}
	if err := Targets(targetV, labels, 3, 0); err != nil {
		t.Fatal(err)
	}
	setFloats(targets.Value().(*tensor.Dense), targetV)
	plain.SetTraining(true)
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	// A second planned step reads memory that the first one left behind; the rate is 0, so the
	// weights stay as they are.
	for step := 0; step < 2; step++ {
		res, err := tr.Step(images, labels)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := graph.Scalar(loss.Value())
		if res.CE != want {
			t.Fatalf("step %d: cross-entropy %v with the plan, %v without", step, res.CE, want)
		}
	}
	for i, gr := range grads {
		want, got := graph.ToFloat64s(gr.Value()), graph.ToFloat64s(tr.grads[i].Value())
		for j := range want {
			if got[j] != want[j] {
				t.Fatalf("gradient of %s, element %d: %v with the plan, %v without", plain.Params[i].Name, j, got[j], want[j])
			}
		}
	}
}
