package graph

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/pkg/errors"
)

// WriteSummary prints one row per layer (name, kind, output shape without the batch dimension,
// parameter count) and the totals, in the manner of Keras' model.summary().
func WriteSummary(w io.Writer, layers []*Layer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "layer\tkind\toutput shape\tparameters")
	total := 0
	for _, l := range layers {
		total += l.Params
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.Name, l.Kind, shapeString(l.Out[1:]), Thousands(l.Params))
	}
	if err := tw.Flush(); err != nil {
		return errors.Wrap(err, "writing the summary")
	}
	_, err := fmt.Fprintf(w, "%d layers, %s learnable parameters\n", len(layers), Thousands(total))
	return errors.Wrap(err, "writing the summary")
}

// Thousands formats n with commas between groups of three digits: 25557032 → "25,557,032".
func Thousands(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
