package graph

import (
	"fmt"
	"io"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// WriteFullDot writes every node of g (forward and, when built, backward ops) in Graphviz dot
// format, as Gorgonia draws it. For ResNet-50 this is thousands of nodes: use the compact view
// to read the architecture.
func WriteFullDot(w io.Writer, g *gorgonia.ExprGraph) error {
	_, err := io.WriteString(w, g.ToDot())
	return errors.Wrap(err, "writing the full graph")
}

// WriteCompactDot writes one node per layer, labelled with its name, kind and output shape,
// grouped in clusters by stage and, inside a stage, by residual block. Edges follow the data
// from layer to layer, so shortcuts show as the second input of each "add" node.
func WriteCompactDot(w io.Writer, title string, layers []*Layer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %q {\n", title)
	b.WriteString("  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f4f4f4\", fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("  edge [color=\"#555555\"];\n")
	b.WriteString("  input [label=\"input\", shape=ellipse, fillcolor=\"#dde8f5\"];\n")

	// Group layers by stage and block, keeping build order.
	type block struct {
		name   string
		layers []*Layer
	}
	type stage struct {
		name   string
		blocks []*block
	}
	var stages []*stage
	for _, l := range layers {
		if len(stages) == 0 || stages[len(stages)-1].name != l.Stage {
			stages = append(stages, &stage{name: l.Stage})
		}
		s := stages[len(stages)-1]
		if len(s.blocks) == 0 || s.blocks[len(s.blocks)-1].name != l.Block {
			s.blocks = append(s.blocks, &block{name: l.Block})
		}
		bl := s.blocks[len(s.blocks)-1]
		bl.layers = append(bl.layers, l)
	}

	for i, s := range stages {
		fmt.Fprintf(&b, "  subgraph cluster_%d {\n    label=%q; style=rounded; color=\"#888888\";\n", i, s.name)
		for j, bl := range s.blocks {
			indent := "    "
			if bl.name != "" {
				fmt.Fprintf(&b, "    subgraph cluster_%d_%d {\n      label=%q; style=dashed; color=\"#aaaaaa\";\n", i, j, bl.name)
				indent = "      "
			}
			for _, l := range bl.layers {
				fmt.Fprintf(&b, "%s%q [label=%q%s];\n", indent, l.Name,
					fmt.Sprintf("%s\n%s\n%s", l.Name, l.Kind, shapeString(l.Out)), layerStyle(l.Kind))
			}
			if bl.name != "" {
				b.WriteString("    }\n")
			}
		}
		b.WriteString("  }\n")
	}
	for _, l := range layers {
		for _, in := range l.Inputs {
			fmt.Fprintf(&b, "  %q -> %q;\n", in, l.Name)
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return errors.Wrap(err, "writing the compact graph")
}

// layerStyle colours a node by the kind of layer, so convolutions and merges stand out.
func layerStyle(kind string) string {
	switch {
	case strings.HasPrefix(kind, "Conv2d"):
		return ", fillcolor=\"#fde9c9\""
	case kind == "Add" || kind == "Add+ReLU":
		return ", shape=ellipse, fillcolor=\"#d8f0d2\""
	case kind == "Linear":
		return ", fillcolor=\"#e6d8f0\""
	}
	return ""
}
