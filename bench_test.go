package resnet

import (
	"runtime/debug"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/resnetgo/resnet/graph"
)

// benchTrainStep times training steps of a network of the given depth on a fixed batch.
func benchTrainStep(b *testing.B, depth, batch, size int) {
	tr, err := NewTrainer(TrainConfig{
		Model:     Config{Depth: depth, Classes: 2},
		BatchSize: batch, Height: size, Width: size,
		Optimizer: &SGD{Schedule: ConstantLR(0.01), Momentum: 0.9, WeightDecay: 5e-4},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	b.Cleanup(releaseMemory)
	images, labels := syntheticBatch(batch, 3, size)
	if _, err := tr.Step(images, labels); err != nil { // warm-up: allocates buffers
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Step(images, labels); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
}

// benchForward times inference-mode forward passes.
func benchForward(b *testing.B, depth, batch, size int) {
	g := gorgonia.NewGraph()
	x := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(batch, 3, size, size), gorgonia.WithName("x"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(batch, 3, size, size), tensor.Of(tensor.Float32))))
	net, err := New(g, x, &Config{Depth: depth, Classes: 2})
	if err != nil {
		b.Fatal(err)
	}
	images, _ := syntheticBatch(batch, 3, size)
	if err := fillInput(x, images, batch); err != nil {
		b.Fatal(err)
	}
	if _, err := graph.PlanMemory(g, net.Output); err != nil {
		b.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	b.Cleanup(releaseMemory)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := m.RunAll(); err != nil {
			b.Fatal(err)
		}
		m.Reset()
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
}

// releaseMemory hands a finished benchmark's memory back to the system. With -test.count N each
// repetition builds a new network, and without it the peak memory that cmd/benchcompare reads
// could include the previous network, not yet collected.
func releaseMemory() { debug.FreeOSMemory() }

func syntheticBatch(n, c, size int) ([]float32, []int) {
	images := make([]float32, n*c*size*size)
	for i, v := range wave(len(images), 0.7) {
		images[i] = float32(v)
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = i % 2
	}
	return images, labels
}

func BenchmarkTrainStep50Batch8Size224(b *testing.B)  { benchTrainStep(b, 50, 8, 224) }
func BenchmarkTrainStep50Batch32Size64(b *testing.B)  { benchTrainStep(b, 50, 32, 64) }
func BenchmarkTrainStep50Batch32Size224(b *testing.B) { benchTrainStep(b, 50, 32, 224) }
func BenchmarkForward50Batch8Size224(b *testing.B)    { benchForward(b, 50, 8, 224) }
func BenchmarkForward50Batch32Size64(b *testing.B)    { benchForward(b, 50, 32, 64) }
