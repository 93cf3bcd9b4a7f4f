package resnet_test

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/resnetgo/resnet"
	"github.com/resnetgo/resnet/graph"
)

// This example embeds a ResNet-18 feature extractor in a caller's graph and adds a head of the
// caller's own, a linear regression on the pooled features. It then takes gradients of the
// caller's cost with respect to both the head and the network's own weights.
func Example_embed() {
	g := gorgonia.NewGraph()
	x := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(2, 3, 32, 32), gorgonia.WithName("images"),
		gorgonia.WithInit(gorgonia.Gaussian(0, 1)))

	// Build the network without its classifier: the output is the N×C pooled features.
	net, err := resnet.New(g, x, &resnet.Config{Depth: 18, BaseWidth: 8, NoHead: true, Seed: 1})
	if err != nil {
		panic(err)
	}
	features := net.Output.Shape()[1]

	// The caller's head: one score per image, y = features·w.
	w := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(features, 1), gorgonia.WithName("head"),
		gorgonia.WithInit(gorgonia.Gaussian(0, 0.1)))
	scores := gorgonia.Must(gorgonia.Mul(net.Output, w))
	cost := gorgonia.Must(gorgonia.Mean(gorgonia.Must(gorgonia.Square(scores))))

	// Gradients with respect to the head and to the first convolution of the network.
	conv1 := net.Params[0]
	grads, err := gorgonia.Grad(cost, w, conv1.Node)
	if err != nil {
		panic(err)
	}

	// Optional: let activations and gradients share memory. Name every node read after the
	// run; the gradients, which nothing reads inside the graph, are kept anyway.
	if _, err := graph.PlanMemory(g, cost, scores); err != nil {
		panic(err)
	}

	net.SetTraining(true) // batch statistics, as in a training step
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		panic(err)
	}
	fmt.Println("features per image:", features)
	fmt.Println("head gradient shape:", grads[0].Shape())
	fmt.Println(conv1.Name, "gradient shape:", grads[1].Shape())
	// Output:
	// features per image: 64
	// head gradient shape: (64, 1)
	// conv1.weight gradient shape: (8, 3, 7, 7)
}
