package report

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// EpochRow contains the summary of one training epoch. Losses are mean
// cross-entropy values per image, and accuracies are fractions in [0, 1].
// ValLoss and ValAcc are NaN when the run has no validation set.
type EpochRow struct {
	Epoch        int     // 1-based epoch number
	TrainLoss    float64 // mean training loss over the epoch
	TrainAcc     float64 // training accuracy, fraction in [0, 1]
	ValLoss      float64 // mean validation loss, NaN without a validation set
	ValAcc       float64 // validation accuracy, fraction in [0, 1], NaN without a validation set
	LR           float64 // learning rate used in the epoch
	ImagesPerSec float64 // training throughput in images per second
	Seconds      float64 // wall-clock duration of the epoch in seconds
}

// epochColumn is one fixed-width field of the epoch line.
type epochColumn struct {
	header string
	width  int
	format func(r EpochRow) string
}

// epochColumns lists the fields of the epoch line in print order. Each field
// is right-aligned to its width, and fields are separated by two spaces.
var epochColumns = []epochColumn{
	{"epoch", 5, func(r EpochRow) string { return fmt.Sprintf("%d", r.Epoch) }},
	{"train loss", 10, func(r EpochRow) string { return formatLoss(r.TrainLoss) }},
	{"train acc", 9, func(r EpochRow) string { return formatPercent(r.TrainAcc) }},
	{"val loss", 9, func(r EpochRow) string { return formatLoss(r.ValLoss) }},
	{"val acc", 8, func(r EpochRow) string { return formatPercent(r.ValAcc) }},
	{"lr", 9, func(r EpochRow) string { return formatLR(r.LR) }},
	{"images/s", 8, func(r EpochRow) string { return formatFixed(r.ImagesPerSec, 1) }},
	{"seconds", 8, func(r EpochRow) string { return formatFixed(r.Seconds, 1) }},
}

// EpochHeader writes the column names that EpochLine aligns to. Write errors
// are ignored because the line is informational terminal or log output.
func EpochHeader(w io.Writer) {
	fields := make([]string, len(epochColumns))
	for i, c := range epochColumns {
		fields[i] = fmt.Sprintf("%*s", c.width, c.header)
	}
	io.WriteString(w, strings.Join(fields, "  ")+"\n")
}

// EpochLine writes one fixed-width line for row, aligned under EpochHeader.
// A field wider than its column, such as a loss of 1e6, widens that line
// instead of being cut. Write errors are ignored, as in EpochHeader.
func EpochLine(w io.Writer, row EpochRow) {
	fields := make([]string, len(epochColumns))
	for i, c := range epochColumns {
		fields[i] = fmt.Sprintf("%*s", c.width, c.format(row))
	}
	io.WriteString(w, strings.Join(fields, "  ")+"\n")
}

// formatLoss formats a loss with 4 decimals, or "-" for NaN.
func formatLoss(v float64) string {
	return formatFixed(v, 4)
}

// formatFixed formats v with the given number of decimals, or "-" for NaN.
func formatFixed(v float64, decimals int) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.*f", decimals, v)
}

// formatPercent formats a fraction as a percentage with 2 decimals, or "-"
// for NaN.
func formatPercent(fraction float64) string {
	if math.IsNaN(fraction) {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*fraction)
}

// formatLR formats a learning rate with 3 significant digits, so that both
// 0.1 and 3.2e-05 stay short.
func formatLR(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.3g", v)
}
