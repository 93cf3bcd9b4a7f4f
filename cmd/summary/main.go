// Command summary prints the layers of a ResNet (name, kind, output shape, parameters) and the
// totals, and can write the graph in Graphviz dot format.
//
//	go run ./cmd/summary -depth 50 -classes 2 -size 224
//	go run ./cmd/summary -depth 50 -classes 2 -size 224 -dot resnet50.dot
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/resnetgo/resnet"
	"github.com/resnetgo/resnet/blocks"
	"github.com/resnetgo/resnet/graph"
)

func main() {
	depth := flag.Int("depth", 50, "network depth: 18, 34, 50, 101 or 152")
	classes := flag.Int("classes", 1000, "number of classes of the classifier")
	size := flag.Int("size", 224, "input height and width in pixels")
	width := flag.Int("width", 64, "base width: channels of the stem and first stage")
	channels := flag.Int("channels", 3, "input channels: 3 for RGB, 1 for grayscale")
	batch := flag.Int("batch", 1, "batch size of the input node")
	strideOn1x1 := flag.Bool("stride-on-1x1", false, "put the stride of downsampling bottlenecks on the first 1x1 convolution (He et al. 2016) instead of the 3x3")
	plain := flag.Bool("plain-projection", false, "projection shortcuts without batch normalization")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: go run ./cmd/summary [-depth 50] [-classes 1000] [-size 224] [flags]\n\nPrints the layers of a ResNet and their totals, and writes Graphviz views.\n\nFlags:\n")
		flag.PrintDefaults()
	}
	dotFile := flag.String("dot", "", "write the compact Graphviz view (one node per layer) to this file")
	fullDot := flag.String("dot-full", "", "write the full Gorgonia graph in Graphviz format to this file")
	flag.Parse()

	g := gorgonia.NewGraph()
	x := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(*batch, *channels, *size, *size), gorgonia.WithName("input"))
	net, err := resnet.New(g, x, &resnet.Config{
		Depth: *depth, Classes: *classes, BaseWidth: *width, InChannels: *channels,
		Block: blocks.Options{StrideOn1x1: *strideOn1x1, PlainProjection: *plain},
	})
	if err != nil {
		fail(err)
	}
	fmt.Printf("ResNet-%d, input %s, %d classes\n\n", *depth, graph.ShapeString(x.Shape()), *classes)
	if err := graph.WriteSummary(os.Stdout, net.Layers); err != nil {
		fail(err)
	}
	if *dotFile != "" {
		title := fmt.Sprintf("ResNet-%d", *depth)
		if err := writeFile(*dotFile, func(w io.Writer) error { return graph.WriteCompactDot(w, title, net.Layers) }); err != nil {
			fail(err)
		}
		fmt.Printf("wrote the compact graph to %s; render it with: dot -Tsvg %s -o resnet.svg\n", *dotFile, *dotFile)
	}
	if *fullDot != "" {
		if err := writeFile(*fullDot, func(w io.Writer) error { return graph.WriteFullDot(w, g) }); err != nil {
			fail(err)
		}
		fmt.Printf("wrote the full graph to %s\n", *fullDot)
	}
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "summary:", err)
	os.Exit(1)
}
